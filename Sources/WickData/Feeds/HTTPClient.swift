import CCurl
import Foundation
import WickCore

/// A finished HTTP exchange.
public struct HTTPResponse: Sendable {
  public var status: Int
  /// Header names lower-cased.
  public var headers: [String: String]
  public var body: [UInt8]
  public init(status: Int, headers: [String: String] = [:], body: [UInt8]) {
    self.status = status
    self.headers = headers
    self.body = body
  }
}

/// Why a request produced no response.
public enum TransportError: Error, Equatable, CustomStringConvertible {
  case timeout(String)
  /// The connection broke: the request may or may not have reached the server.
  case connection(String)
  /// The connection was never made: the request certainly did not reach the server.
  case notSent(String)
  public var description: String {
    switch self {
    case .timeout(let m): return "timed out (\(m))"
    case .connection(let m): return "connection failed (\(m))"
    case .notSent(let m): return "could not connect (\(m))"
    }
  }
}

/// A request with a method, headers and a body (signed exchange calls); GET-only callers use `get`.
public struct HTTPRequest: Sendable {
  public var method: String
  public var url: String
  public var headers: [(String, String)]
  public var body: [UInt8]
  public init(
    method: String = "GET", url: String, headers: [(String, String)] = [], body: [UInt8] = []
  ) {
    self.method = method
    self.url = url
    self.headers = headers
    self.body = body
  }
}

/// The seam between the fetchers and the network: tests can pass a transport without sockets.
public protocol HTTPTransport: AnyObject {
  func get(_ url: String) throws -> HTTPResponse
  func send(_ request: HTTPRequest) throws -> HTTPResponse
}

extension HTTPTransport {
  /// Transports that only fetch market data answer plain GETs.
  public func send(_ request: HTTPRequest) throws -> HTTPResponse {
    guard request.method == "GET", request.headers.isEmpty, request.body.isEmpty else {
      throw TransportError.connection("this transport only sends plain GET requests")
    }
    return try get(request.url)
  }
}

/// HTTP GET over libcurl. One easy handle is reused so connections to a host stay alive.
/// Not thread-safe: use one client per thread.
public final class CurlHTTPClient: HTTPTransport {
  public var connectTimeout: TimeInterval
  public var totalTimeout: TimeInterval
  /// Whether requests count in `RequestLatency.shared` (exchange requests do; notifications not).
  public var recordsLatency = true
  /// A PEM file of certificate authorities to trust instead of the system's (a self-signed
  /// dashboard, a test's server).
  public var caFile: String?
  private let handle: OpaquePointer

  /// curl_global_init must run once, before any handle; a static let is initialised exactly once.
  private static let globalInit: Bool = { curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK }()

  public init(connectTimeout: TimeInterval = 5, totalTimeout: TimeInterval = 30) throws {
    guard Self.globalInit, let h = curl_easy_init() else {
      throw WickError.exchange("cannot initialise libcurl")
    }
    handle = OpaquePointer(h)
    self.connectTimeout = connectTimeout
    self.totalTimeout = totalTimeout
  }

  deinit { curl_easy_cleanup(UnsafeMutableRawPointer(handle)) }

  /// Accumulates the body and headers of one transfer (the callbacks' user data).
  private final class Sink {
    var body: [UInt8] = []
    var headers: [String: String] = [:]
  }

  public func get(_ url: String) throws -> HTTPResponse { try send(HTTPRequest(url: url)) }

  public func send(_ request: HTTPRequest) throws -> HTTPResponse {
    let h = UnsafeMutableRawPointer(handle)
    curl_easy_reset(h)
    let sink = Sink()
    let box = Unmanaged.passRetained(sink)
    defer { box.release() }
    _ = request.url.withCString { wick_curl_setopt_string(h, CURLOPT_URL, $0) }
    // Header list and body must outlive curl_easy_perform; both are freed when send returns.
    var headerList: UnsafeMutablePointer<curl_slist>? = nil
    for (name, value) in request.headers {
      headerList = "\(name): \(value)".withCString { curl_slist_append(headerList, $0) }
    }
    defer { curl_slist_free_all(headerList) }
    if let headerList { _ = wick_curl_setopt_pointer(h, CURLOPT_HTTPHEADER, headerList) }
    let body =
      request.method == "POST" ? strdup(String(decoding: request.body, as: UTF8.self)) : nil
    defer { free(body) }
    if let body {
      _ = wick_curl_setopt_long(h, CURLOPT_POST, 1)
      _ = wick_curl_setopt_long(h, CURLOPT_POSTFIELDSIZE, request.body.count)
      _ = wick_curl_setopt_pointer(h, CURLOPT_POSTFIELDS, body)
    } else if request.method != "GET" {
      _ = request.method.withCString { wick_curl_setopt_string(h, CURLOPT_CUSTOMREQUEST, $0) }
    }
    _ = wick_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
    _ = wick_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000))
    _ = wick_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
    if let caFile { _ = caFile.withCString { wick_curl_setopt_string(h, CURLOPT_CAINFO, $0) } }
    _ = wick_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
    _ = "wick/0.1".withCString { wick_curl_setopt_string(h, CURLOPT_USERAGENT, $0) }
    _ = "".withCString { wick_curl_setopt_string(h, CURLOPT_ACCEPT_ENCODING, $0) }
    _ = wick_curl_setopt_write(
      h, CURLOPT_WRITEFUNCTION,
      { ptr, size, count, user in
        let n = size * count
        guard let ptr, let user else { return n }
        let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
        ptr.withMemoryRebound(to: UInt8.self, capacity: n) {
          sink.body.append(contentsOf: UnsafeBufferPointer(start: $0, count: n))
        }
        return n
      })
    _ = wick_curl_setopt_pointer(h, CURLOPT_WRITEDATA, box.toOpaque())
    _ = wick_curl_setopt_write(
      h, CURLOPT_HEADERFUNCTION,
      { ptr, size, count, user in
        let n = size * count
        guard let ptr, let user else { return n }
        let line = String(decoding: UnsafeRawBufferPointer(start: ptr, count: n), as: UTF8.self)
        if let colon = line.firstIndex(of: ":") {
          let sink = Unmanaged<Sink>.fromOpaque(user).takeUnretainedValue()
          let name = line[..<colon].lowercased()
          sink.headers[name] = line[line.index(after: colon)...].trimmingCharacters(
            in: .whitespacesAndNewlines)
        }
        return n
      })
    _ = wick_curl_setopt_pointer(h, CURLOPT_HEADERDATA, box.toOpaque())
    let started = DispatchTime.now().uptimeNanoseconds
    let code = curl_easy_perform(h)
    if recordsLatency {
      RequestLatency.shared.record(
        host: RequestLatency.host(of: request.url),
        seconds: Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
    }
    guard code == CURLE_OK else {
      let message = String(cString: curl_easy_strerror(code))
      if code == CURLE_OPERATION_TIMEDOUT { throw TransportError.timeout(message) }
      // Refused or unresolved: nothing reached the server, so even an order may be sent again.
      if code == CURLE_COULDNT_CONNECT || code == CURLE_COULDNT_RESOLVE_HOST {
        throw TransportError.notSent(message)
      }
      throw TransportError.connection(message)
    }
    var status = 0
    _ = wick_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
    return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
  }
}
