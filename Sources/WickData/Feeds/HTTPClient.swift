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
  case connection(String)
  public var description: String {
    switch self {
    case .timeout(let m): return "timed out (\(m))"
    case .connection(let m): return "connection failed (\(m))"
    }
  }
}

/// The seam between the fetchers and the network: tests can pass a transport without sockets.
public protocol HTTPTransport: AnyObject {
  func get(_ url: String) throws -> HTTPResponse
}

/// HTTP GET over libcurl. One easy handle is reused so connections to a host stay alive.
/// Not thread-safe: use one client per thread.
public final class CurlHTTPClient: HTTPTransport {
  public var connectTimeout: TimeInterval
  public var totalTimeout: TimeInterval
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

  public func get(_ url: String) throws -> HTTPResponse {
    let h = UnsafeMutableRawPointer(handle)
    curl_easy_reset(h)
    let sink = Sink()
    let box = Unmanaged.passRetained(sink)
    defer { box.release() }
    _ = url.withCString { wick_curl_setopt_string(h, CURLOPT_URL, $0) }
    _ = wick_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(connectTimeout * 1000))
    _ = wick_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(totalTimeout * 1000))
    _ = wick_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
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
    let code = curl_easy_perform(h)
    guard code == CURLE_OK else {
      let message = String(cString: curl_easy_strerror(code))
      if code == CURLE_OPERATION_TIMEDOUT { throw TransportError.timeout(message) }
      throw TransportError.connection(message)
    }
    var status = 0
    _ = wick_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
    return HTTPResponse(status: status, headers: sink.headers, body: sink.body)
  }
}
