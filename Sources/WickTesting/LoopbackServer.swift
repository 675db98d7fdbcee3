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
  /// `greeting`: text messages sent in the same write as the 101 answer, as a server that pushes
  /// at once can deliver them (the client reads both in one go).
  case webSocket(greeting: [String] = [], @Sendable (LoopbackWebSocket) -> Void)
}

/// A minimal HTTP/1.1 and WebSocket (RFC 6455) server on 127.0.0.1 for tests that need the
/// network to be real: each connection gets a thread, each answer closes the connection.
public final class LoopbackServer: @unchecked Sendable {
  public let port: UInt16
  private let listener: LoopbackListener
  private let handler: @Sendable (LoopbackRequest) -> LoopbackReply

  public init(handler: @escaping @Sendable (LoopbackRequest) -> LoopbackReply) throws {
    self.handler = handler
    listener = try LoopbackListener(label: "loopback")
    port = listener.port
    listener.start { [self] fd in serve(fd) }
  }

  deinit { stop() }

  public func stop() { listener.stop() }

  private func serve(_ fd: Int32) {
    guard let request = LoopbackListener.readRequest(fd) else {
      close(fd)
      return
    }
    switch handler(request) {
    case .reset:
      LoopbackListener.reset(fd)
    case .http(let status, let headers, let body):
      LoopbackListener.writeResponse(fd, status: status, headers: headers, body: body)
      close(fd)
    case .webSocket(let greeting, let session):
      guard let key = request.headers["sec-websocket-key"] else {
        LoopbackListener.write(
          fd,
          Array("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n".utf8))
        close(fd)
        return
      }
      let digest = MockCrypto.sha1(Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
      let accept = Data(digest).base64EncodedString()
      LoopbackListener.write(
        fd,
        Array(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: \(accept)\r\n\r\n"
            .utf8) + greeting.flatMap { LoopbackWebSocket.encode(opcode: 1, Array($0.utf8)) })
      let ws = LoopbackWebSocket(fd: fd)
      session(ws)
      ws.close()
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
    let out = Self.encode(opcode: opcode, payload)
    return lock.withLock {
      guard !closed else { return false }
      return LoopbackListener.write(fd, out)
    }
  }

  /// One unmasked frame (servers do not mask), FIN set.
  static func encode(opcode: UInt8, _ payload: [UInt8]) -> [UInt8] {
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
    return out
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
