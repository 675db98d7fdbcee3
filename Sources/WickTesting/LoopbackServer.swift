import Crypto
import Foundation
import WickCore

#if canImport(Glibc)
  import Glibc
#endif

/// One HTTP request as a loopback server received it.
public struct LoopbackRequest: Sendable {
  public var method: String
  /// Path and query, as sent.
  public var target: String
  /// Header names lower-cased.
  public var headers: [String: String]
  public var body: [UInt8]

  public var path: String { String(target.split(separator: "?", maxSplits: 1).first ?? "") }
  /// The raw query string (what a Bybit GET signature covers).
  public var queryString: String {
    target.split(separator: "?", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
  }
  /// Query parameters, percent-decoded.
  public var query: [String: String] {
    var out: [String: String] = [:]
    for pair in queryString.split(separator: "&") {
      let kv = pair.split(separator: "=", maxSplits: 1)
      let value = kv.count == 2 ? String(kv[1]) : ""
      out[String(kv[0])] = value.removingPercentEncoding ?? value
    }
    return out
  }
}

/// How a loopback server answers a request.
public enum LoopbackReply: Sendable {
  case http(status: Int, headers: [(String, String)], body: [UInt8])
  /// Close with a TCP reset, no answer.
  case reset
  /// Upgrade to a WebSocket and hand the connection over (the handler runs on its own thread).
  case webSocket(@Sendable (LoopbackWebSocket) -> Void)
}

/// A minimal HTTP/1.1 and WebSocket (RFC 6455) server on 127.0.0.1 for tests that need the
/// network to be real: each connection gets a thread, each answer closes the connection.
public final class LoopbackServer: @unchecked Sendable {
  public private(set) var port: UInt16 = 0
  private let listener: Int32
  private let lock = NSLock()
  private var running = true
  private let handler: @Sendable (LoopbackRequest) -> LoopbackReply

  public init(handler: @escaping @Sendable (LoopbackRequest) -> LoopbackReply) throws {
    self.handler = handler
    listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw WickError.exchange("loopback: socket failed") }
    var yes: Int32 = 1
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    addr.sin_port = 0
    let bound = withUnsafePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
        bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
      }
    }
    guard bound == 0, listen(listener, 64) == 0 else {
      throw WickError.exchange("loopback: bind/listen failed")
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
    }
    port = UInt16(bigEndian: addr.sin_port)
    Thread { [self] in acceptLoop() }.start()
  }

  deinit { stop() }

  public func stop() {
    let wasRunning: Bool = lock.withLock {
      defer { running = false }
      return running
    }
    guard wasRunning else { return }
    shutdown(listener, Int32(SHUT_RDWR))
    close(listener)
  }

  private var isRunning: Bool { lock.withLock { running } }

  private func acceptLoop() {
    while isRunning {
      let fd = accept(listener, nil, nil)
      if fd < 0 {
        if !isRunning { return }
        continue
      }
      Thread { [self] in serve(fd) }.start()
    }
  }

  private func serve(_ fd: Int32) {
    guard let request = Self.readRequest(fd) else {
      close(fd)
      return
    }
    switch handler(request) {
    case .reset:
      var off = linger(l_onoff: 1, l_linger: 0)
      setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, socklen_t(MemoryLayout<linger>.size))
      close(fd)
    case .http(let status, let headers, let body):
      var head =
        "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
      if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
        head += "Content-Type: application/json\r\n"
      }
      for (k, v) in headers { head += "\(k): \(v)\r\n" }
      Self.write(fd, Array((head + "\r\n").utf8) + body)
      close(fd)
    case .webSocket(let session):
      guard let key = request.headers["sec-websocket-key"] else {
        Self.write(
          fd,
          Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        close(fd)
        return
      }
      let digest = Insecure.SHA1.hash(
        data: Data((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
      let accept = Data(digest).base64EncodedString()
      Self.write(
        fd,
        Array(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
            .utf8))
      let ws = LoopbackWebSocket(fd: fd)
      session(ws)
      ws.close()
    }
  }

  static func readRequest(_ fd: Int32) -> LoopbackRequest? {
    var buffer = [UInt8](repeating: 0, count: 8192)
    var data: [UInt8] = []
    var headerEnd: Int? = nil
    while headerEnd == nil {
      let n = read(fd, &buffer, buffer.count)
      if n <= 0 { return nil }
      data.append(contentsOf: buffer[0..<n])
      headerEnd = find(data, [13, 10, 13, 10])
    }
    let head = String(decoding: data[..<headerEnd!], as: UTF8.self)
    var lines = head.components(separatedBy: "\r\n")
    let requestLine = lines.removeFirst().split(separator: " ")
    guard requestLine.count >= 2 else { return nil }
    var headers: [String: String] = [:]
    for line in lines {
      guard let colon = line.firstIndex(of: ":") else { continue }
      headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
        in: .whitespaces)
    }
    var body = Array(data[(headerEnd! + 4)...])
    let length = headers["content-length"].flatMap(Int.init) ?? 0
    while body.count < length {
      let n = read(fd, &buffer, buffer.count)
      if n <= 0 { break }
      body.append(contentsOf: buffer[0..<n])
    }
    return LoopbackRequest(
      method: String(requestLine[0]), target: String(requestLine[1]), headers: headers, body: body)
  }

  static func find(_ data: [UInt8], _ needle: [UInt8]) -> Int? {
    guard data.count >= needle.count else { return nil }
    for i in 0...(data.count - needle.count) where data[i] == needle[0] {
      if Array(data[i..<(i + needle.count)]) == needle { return i }
    }
    return nil
  }

  @discardableResult
  static func write(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { raw in
      var sent = 0
      while sent < raw.count {
        let n = send(fd, raw.baseAddress! + sent, raw.count - sent, Int32(MSG_NOSIGNAL))
        if n <= 0 { return false }
        sent += n
      }
      return true
    }
  }
}

/// The server side of one WebSocket: text messages in and out, pings answered.
public final class LoopbackWebSocket: @unchecked Sendable {
  private let fd: Int32
  private let lock = NSLock()
  private var closed = false

  init(fd: Int32) { self.fd = fd }

  public var isClosed: Bool { lock.withLock { closed } }

  /// Sends a text frame (unmasked, as servers do). False once the connection is gone.
  @discardableResult
  public func send(_ text: String) -> Bool {
    frame(opcode: 1, Array(text.utf8))
  }

  /// Closes the TCP connection without a close frame: a dropped socket, as the client sees it.
  public func drop() {
    lock.withLock {
      guard !closed else { return }
      closed = true
      shutdown(fd, Int32(SHUT_RDWR))
    }
  }

  func close() {
    lock.withLock {
      if !closed { shutdown(fd, Int32(SHUT_RDWR)) }
      closed = true
    }
    Glibc.close(fd)
  }

  private func frame(opcode: UInt8, _ payload: [UInt8]) -> Bool {
    var out: [UInt8] = [0x80 | opcode]
    if payload.count < 126 {
      out.append(UInt8(payload.count))
    } else if payload.count <= 0xFFFF {
      out += [126, UInt8(payload.count >> 8), UInt8(payload.count & 0xFF)]
    } else {
      out.append(127)
      for shift in stride(from: 56, through: 0, by: -8) {
        out.append(UInt8((payload.count >> shift) & 0xFF))
      }
    }
    out += payload
    return lock.withLock {
      guard !closed else { return false }
      return LoopbackServer.write(fd, out)
    }
  }

  /// The next text message; nil when the client closed or the connection broke.
  public func receive() -> String? {
    while true {
      guard let header = readExactly(2) else { return nil }
      let opcode = header[0] & 0x0F
      var length = Int(header[1] & 0x7F)
      if length == 126 {
        guard let b = readExactly(2) else { return nil }
        length = Int(b[0]) << 8 | Int(b[1])
      } else if length == 127 {
        guard let b = readExactly(8) else { return nil }
        length = b.reduce(0) { $0 << 8 | Int($1) }
      }
      let masked = header[1] & 0x80 != 0
      let mask = masked ? (readExactly(4) ?? []) : []
      guard var payload = readExactly(length) else { return nil }
      if masked, mask.count == 4 {
        for i in payload.indices { payload[i] ^= mask[i % 4] }
      }
      switch opcode {
      case 1, 2: return String(decoding: payload, as: UTF8.self)
      case 8:
        _ = frame(opcode: 8, Array(payload.prefix(2)))
        return nil
      case 9: _ = frame(opcode: 10, payload)
      default: continue
      }
    }
  }

  private func readExactly(_ n: Int) -> [UInt8]? {
    var out = [UInt8](repeating: 0, count: n)
    var got = 0
    while got < n {
      let r = out.withUnsafeMutableBytes { read(fd, $0.baseAddress! + got, n - got) }
      if r <= 0 { return nil }
      got += r
    }
    return out
  }
}
