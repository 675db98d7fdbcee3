import Foundation
import WickCore

#if canImport(Glibc)
  import Glibc
#endif

/// The TCP side shared by the loopback test servers (`LoopbackServer`, `MockExchange`): a
/// listening socket on an ephemeral port of 127.0.0.1 whose accept loop (`start`) hands each
/// connection to a handler on a thread of its own, plus the HTTP/1.1 request reader and response
/// writer both servers answer with.
final class LoopbackListener: @unchecked Sendable {
  let port: UInt16
  private let socketFD: Int32
  private let lock = NSLock()
  private var running = true

  /// Binds and listens; `label` names the server in errors ("loopback: socket failed").
  init(label: String) throws {
    let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard listener >= 0 else { throw WickError.exchange("\(label): socket failed") }
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
      close(listener)
      throw WickError.exchange("\(label): bind/listen failed")
    }
    var len = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafeMutablePointer(to: &addr) {
      $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &len) }
    }
    socketFD = listener
    port = UInt16(bigEndian: addr.sin_port)
  }

  /// Starts accepting: each connection's socket goes to `onConnection` on a new thread, which
  /// owns (and closes) it.
  func start(onConnection: @escaping @Sendable (Int32) -> Void) {
    Thread { [self] in acceptLoop(onConnection) }.start()
  }

  deinit { stop() }

  /// Stops accepting; connections in flight finish on their own threads.
  func stop() {
    let wasRunning: Bool = lock.withLock {
      defer { running = false }
      return running
    }
    guard wasRunning else { return }
    shutdown(socketFD, Int32(SHUT_RDWR))
    close(socketFD)
  }

  private var isRunning: Bool { lock.withLock { running } }

  private func acceptLoop(_ onConnection: @escaping @Sendable (Int32) -> Void) {
    while isRunning {
      let fd = accept(socketFD, nil, nil)
      if fd < 0 {
        if !isRunning { return }
        continue
      }
      Thread { onConnection(fd) }.start()
    }
  }

  /// Reads one request: head up to the blank line, then `Content-Length` bytes of body. Nil
  /// when the connection ends before the head does or the request line is malformed.
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

  /// Writes one HTTP/1.1 answer that closes the connection (the caller closes `fd`); the body
  /// is JSON unless `headers` name another Content-Type.
  static func writeResponse(
    _ fd: Int32, status: Int, headers: [(String, String)], body: [UInt8]
  ) {
    var head =
      "HTTP/1.1 \(status) \(status == 200 ? "OK" : "Error")\r\nContent-Length: \(body.count)\r\nConnection: close\r\n"
    if !headers.contains(where: { $0.0.lowercased() == "content-type" }) {
      head += "Content-Type: application/json\r\n"
    }
    for (k, v) in headers { head += "\(k): \(v)\r\n" }
    write(fd, Array((head + "\r\n").utf8) + body)
  }

  /// Closes `fd` with a TCP reset (RST instead of FIN): the peer sees the connection torn down.
  static func reset(_ fd: Int32) {
    var off = linger(l_onoff: 1, l_linger: 0)
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &off, socklen_t(MemoryLayout<linger>.size))
    close(fd)
  }

  /// Sends all of `bytes`; false once the peer is gone (no SIGPIPE).
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
