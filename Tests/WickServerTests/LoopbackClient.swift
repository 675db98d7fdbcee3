import Foundation
import NIOHTTP1

/// The route tests' HTTP client: one request per connection to a server on 127.0.0.1, over
/// `RawHTTP`'s socket on a thread of its own (never a thread of the cooperative pool, which the
/// server's handlers need). The request target goes out byte for byte as written (no URL
/// normalisation: the traversal tests send `..` and `%2e` on purpose), and the answer is read
/// until the server closes, then parsed: status, every header field in order, and the body
/// (chunked or sized; a body cut short is an error, not a shorter page).
struct LoopbackClient: Sendable {
  let port: Int
  /// For the whole exchange, answer included (a live stream's lifetime must fit in it).
  var timeout: TimeInterval = 30

  struct Response: Sendable {
    var status: HTTPResponseStatus
    var headers: HTTPHeaders
    var body: [UInt8]
    var text: String { String(decoding: body, as: UTF8.self) }
  }

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// What a browser that opened http://127.0.0.1:port sends as its Origin (and, without the
  /// scheme, as its Host).
  var origin: String { "http://127.0.0.1:\(port)" }

  func execute(
    uri: String, method: HTTPMethod = .GET, headers: HTTPHeaders = [:], body: [UInt8] = []
  ) async throws -> Response {
    let request = Self.request(
      uri: uri, method: method, host: "127.0.0.1:\(port)", headers: headers, body: body)
    let (port, timeout) = (port, timeout)
    let reply = try await RawHTTP.offPool {
      let connection = try RawHTTP.Connection(port: port)
      try connection.send(request)
      return connection.receiveUntilClosed(timeout: timeout)
    }
    guard let reply else {
      throw Failure(description: "\(method) \(uri): no complete answer within \(timeout) s")
    }
    do {
      return try Self.parse(reply)
    } catch let failure as Failure {
      throw Failure(description: "\(method) \(uri): \(failure.description)")
    }
  }

  /// An HTTP/1.1 request that asks the server to close the connection after its answer, so
  /// that the end of the answer is the end of the connection.
  static func request(
    uri: String, method: HTTPMethod, host: String, headers: HTTPHeaders, body: [UInt8]
  ) -> [UInt8] {
    var head = "\(method.rawValue) \(uri) HTTP/1.1\r\nHost: \(host)\r\n"
    for field in headers { head += "\(field.name): \(field.value)\r\n" }
    if !body.isEmpty || method == .POST || method == .PUT {
      head += "Content-Length: \(body.count)\r\n"
    }
    head += "Connection: close\r\n\r\n"
    return Array(head.utf8) + body
  }

  /// Parses everything a server sent on one connection as one HTTP/1.1 response.
  static func parse(_ bytes: [UInt8]) throws -> Response {
    let separator: [UInt8] = Array("\r\n\r\n".utf8)
    guard let end = find(separator, in: bytes[...]) else {
      throw Failure(
        description: bytes.isEmpty
          ? "the server closed the connection without an answer"
          : "no end of the response head in \(bytes.count) bytes: \(String(decoding: bytes.prefix(120), as: UTF8.self))"
      )
    }
    let lines = String(decoding: bytes[..<end], as: UTF8.self).components(separatedBy: "\r\n")
    let statusLine = lines[0].split(separator: " ", maxSplits: 2)
    guard statusLine.count >= 2, statusLine[0].hasPrefix("HTTP/1."), let code = Int(statusLine[1])
    else { throw Failure(description: "not an HTTP/1.1 status line: \(lines[0])") }
    var headers = HTTPHeaders()
    for line in lines.dropFirst() {
      guard let colon = line.firstIndex(of: ":"), colon > line.startIndex,
        !line[..<colon].contains(where: { $0 == " " || $0 == "\t" })
      else { throw Failure(description: "malformed header line: \(line)") }
      let name = String(line[..<colon])
      let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
      headers.add(name: name, value: value)
    }
    let rest = bytes[(end + separator.count)...]
    let body: [UInt8]
    if headers.first(name: "Transfer-Encoding")?.lowercased() == "chunked" {
      body = try dechunk(rest)
    } else if let length = headers.first(name: "Content-Length") {
      guard let n = Int(length), n >= 0 else {
        throw Failure(description: "Content-Length is not a length: \(length)")
      }
      guard rest.count >= n else {
        throw Failure(description: "body cut short: \(rest.count) of \(n) bytes")
      }
      body = Array(rest.prefix(n))
    } else {
      body = Array(rest)
    }
    return Response(
      status: HTTPResponseStatus(
        statusCode: code, reasonPhrase: statusLine.count > 2 ? String(statusLine[2]) : ""),
      headers: headers, body: body)
  }

  /// A chunked body's data; the stream must end with its zero-size chunk.
  static func dechunk(_ bytes: ArraySlice<UInt8>) throws -> [UInt8] {
    let crlf: [UInt8] = [13, 10]
    var out: [UInt8] = []
    var rest = bytes
    while true {
      guard let lineEnd = find(crlf, in: rest) else {
        throw Failure(description: "chunked body cut short after \(out.count) bytes")
      }
      let sizeText =
        String(decoding: rest[rest.startIndex..<lineEnd], as: UTF8.self)
        .split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
      guard let size = Int(sizeText, radix: 16), size >= 0 else {
        throw Failure(description: "not a chunk size: \(sizeText)")
      }
      rest = rest[(lineEnd + 2)...]
      if size == 0 { return out }
      guard rest.count >= size + 2 else {
        throw Failure(description: "chunked body cut short after \(out.count) bytes")
      }
      let dataEnd = rest.startIndex + size
      guard rest[dataEnd..<(dataEnd + 2)].elementsEqual(crlf) else {
        throw Failure(description: "a chunk of \(size) bytes does not end with CRLF")
      }
      out += rest[..<dataEnd]
      rest = rest[(dataEnd + 2)...]
    }
  }

  /// The index of the first occurrence of `needle` in `haystack`.
  static func find(_ needle: [UInt8], in haystack: ArraySlice<UInt8>) -> Int? {
    guard haystack.count >= needle.count else { return nil }
    var i = haystack.startIndex
    while i <= haystack.endIndex - needle.count {
      if haystack[i..<(i + needle.count)].elementsEqual(needle) { return i }
      i += 1
    }
    return nil
  }
}
