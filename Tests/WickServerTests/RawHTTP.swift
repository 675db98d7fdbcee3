import Foundation
import WickTesting

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// Bytes over a plain TCP socket to a loopback server, for what an HTTP client library will not
/// send: half a request, a request head of 200 KiB, silence.
enum RawHTTP {
  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// Blocking socket work, on a thread of its own (WickTesting's `offPool`).
  static func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await WickTesting.offPool(work)
  }

  final class Connection {
    let fd: Int32

    init(port: Int) throws {
      fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
      guard fd >= 0 else { throw Failure(description: "socket: errno \(errno)") }
      var address = sockaddr_in()
      address.sin_family = sa_family_t(AF_INET)
      address.sin_port = in_port_t(UInt16(port).bigEndian)
      address.sin_addr.s_addr = inet_addr("127.0.0.1")
      let connected = withUnsafePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
          connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
        }
      }
      guard connected == 0 else {
        close(fd)
        throw Failure(description: "connect to port \(port): errno \(errno)")
      }
    }

    deinit { close(fd) }

    /// Sends `text`; a peer that already closed is not an error (the reply says what happened).
    func send(_ text: String) throws { try send(Array(text.utf8)) }

    func send(_ data: [UInt8]) throws {
      var bytes = data[...]
      while !bytes.isEmpty {
        let n = bytes.withUnsafeBytes {
          Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
        }
        if n <= 0 { return }
        bytes = bytes.dropFirst(n)
      }
    }

    /// Everything the server sends until it closes the connection; nil when it is still open
    /// after `timeout` seconds (times `testTimeScale`: under TSan the server is slower).
    func readUntilClosed(timeout: TimeInterval) -> String? {
      receiveUntilClosed(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The bytes the server sends until it closes the connection; nil when it is still open
    /// after `timeout` seconds.
    func receiveUntilClosed(timeout: TimeInterval) -> [UInt8]? {
      let deadline = Date().addingTimeInterval(timeout * testTimeScale)
      var out: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 65536)
      while Date() < deadline {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        let left = Int32(max(1, deadline.timeIntervalSinceNow * 1000))
        guard poll(&p, 1, left) > 0 else { continue }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { return out }
        out += buffer[0..<n]
      }
      return nil
    }

    /// What arrives until `marker` has arrived `count` times, the server closes, or `timeout`
    /// seconds pass.
    func read(until marker: String, count: Int = 1, timeout: TimeInterval) -> String {
      let deadline = Date().addingTimeInterval(timeout * testTimeScale)
      var out = ""
      while Date() < deadline, out.components(separatedBy: marker).count - 1 < count {
        let piece = read(for: min(0.05, max(0.001, deadline.timeIntervalSinceNow)))
        if piece.isEmpty, isClosed { break }
        out += piece
      }
      return out
    }

    /// Whether the server has closed its side (a read would return end of file now).
    var isClosed: Bool {
      var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
      guard poll(&p, 1, 0) > 0 else { return false }
      var byte: UInt8 = 0
      return recv(fd, &byte, 1, Int32(MSG_PEEK)) == 0
    }

    /// What arrives within `seconds` (or until the server closes).
    func read(for seconds: TimeInterval) -> String {
      let deadline = Date().addingTimeInterval(seconds)
      var out: [UInt8] = []
      var buffer = [UInt8](repeating: 0, count: 65536)
      while Date() < deadline {
        var p = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&p, 1, Int32(max(1, deadline.timeIntervalSinceNow * 1000))) > 0 else {
          continue
        }
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out += buffer[0..<n]
      }
      return String(decoding: out, as: UTF8.self)
    }
  }

  /// Sends `request` on a new connection and returns what came back within `readFor` seconds
  /// (times `testTimeScale`: under TSan the answer takes longer), or until the server closed.
  static func exchange(port: Int, _ request: String, readFor: TimeInterval) throws -> String {
    let c = try Connection(port: port)
    try c.send(request)
    return c.read(for: readFor * testTimeScale)
  }
}
