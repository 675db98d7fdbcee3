import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// A whole WebSocket message (fragments joined).
public enum WebSocketMessage: Sendable, Equatable {
  case text(String)
  case binary([UInt8])
}

public enum WebSocketError: Error, Equatable, CustomStringConvertible {
  case invalidURL(String)
  /// The server answered the upgrade request with something other than 101.
  case notUpgraded
  /// No upgrade (TCP, TLS and the HTTP exchange) within the connect timeout.
  case timedOut(seconds: Int)
  /// A message larger than the session's `maxMessageSize`.
  case messageTooLarge(limit: Int)
  /// Frames that break RFC 6455 (a continuation without a start, a text message that is not
  /// UTF-8).
  case protocolViolation(String)

  public var description: String {
    switch self {
    case .invalidURL(let url): "not a ws:// or wss:// URL: \(url)"
    case .notUpgraded: "the server did not upgrade the connection to a WebSocket"
    case .timedOut(let s): "no WebSocket connection within \(s) s"
    case .messageTooLarge(let limit): "a WebSocket message larger than \(limit) bytes"
    case .protocolViolation(let what): "WebSocket protocol violation: \(what)"
    }
  }
}

/// Messages from the server, in order; ends when the server closes (or the socket drops, then
/// with the error). Ending the iteration early closes nothing: `connect` closes on return.
public struct WebSocketInbound: AsyncSequence, Sendable {
  public typealias Element = WebSocketMessage
  let stream: AsyncThrowingStream<WebSocketMessage, any Error>
  public func makeAsyncIterator() -> AsyncThrowingStream<WebSocketMessage, any Error>.Iterator {
    stream.makeAsyncIterator()
  }
}

/// Sends messages to the server; a write returns once the frame is handed to the socket.
public struct WebSocketOutbound: Sendable {
  let channel: any Channel
  let closing: ClaimOnce

  public func write(_ message: WebSocketMessage) async throws {
    var buffer: ByteBuffer
    let opcode: WebSocketOpcode
    switch message {
    case .text(let text):
      buffer = channel.allocator.buffer(capacity: text.utf8.count)
      buffer.writeString(text)
      opcode = .text
    case .binary(let bytes):
      buffer = channel.allocator.buffer(capacity: bytes.count)
      buffer.writeBytes(bytes)
      opcode = .binary
    }
    try await channel.writeAndFlush(WebSocketFrame.fromClient(opcode, buffer)).get()
  }

  /// Sends a close frame (once: a second close does nothing); the server answers with its own
  /// and closes the socket.
  public func close(_ code: WebSocketErrorCode = .normalClosure, reason: String? = nil)
    async throws
  {
    guard closing.claim() else { return }
    try await channel.writeAndFlush(WebSocketFrame.close(code, reason: reason, on: channel)).get()
  }
}

/// Something done once, by whichever of several racing callers claims it first: here a
/// WebSocket's one close frame (the session, its caller or the end of `connect`).
final class ClaimOnce: @unchecked Sendable {
  private let lock = NSLock()
  private var claimed = false
  /// True for the first caller only.
  func claim() -> Bool {
    lock.withLock {
      defer { claimed = true }
      return !claimed
    }
  }
}

/// A WebSocket client over NIO, ws:// and wss:// (TLS through the system's OpenSSL, verifying the
/// server's certificate and host name). It answers pings, joins fragmented messages and
/// answers the server's close.
///
///     try await WebSocketClient.connect(url: "wss://stream.bybit.com/v5/public/linear") {
///       inbound, outbound in
///       try await outbound.write(.text(#"{"op":"subscribe","args":["kline.1.BTCUSDT"]}"#))
///       for try await case .text(let text) in inbound { print(text) }
///     }
public enum WebSocketClient {
  /// Connects, runs `session` with the open socket, then closes it (a close frame, then the
  /// socket) and returns what `session` returned. Throws if no connection is made: a refused
  /// port, a refused certificate (`TLSError`), an answer other than an upgrade.
  /// `trust`: the client TLS context for wss:// (default: the system's CA store).
  public static func connect<T: Sendable>(
    url: String, trust: TLSContext? = nil, maxMessageSize: Int = 1 << 22,
    connectTimeout: Duration = .seconds(10),
    _ session: (WebSocketInbound, WebSocketOutbound) async throws -> T
  ) async throws -> T {
    guard let target = Target(url) else { throw WebSocketError.invalidURL(url) }
    let tls = try target.secure ? (trust ?? TLSContext.systemTrust.get()) : nil
    let (stream, inbox) = AsyncThrowingStream.makeStream(of: WebSocketMessage.self)
    let closing = ClaimOnce()
    let seconds = Int(connectTimeout.components.seconds)
    let (channel, upgraded) = try await ClientBootstrap(
      group: MultiThreadedEventLoopGroup.singleton
    )
    .connectTimeout(TimeAmount(connectTimeout))
    .connect(host: target.host, port: target.port) { channel in
      channel.eventLoop.makeCompletedFuture {
        if let tls {
          try channel.pipeline.syncOperations.addHandler(
            try TLSHandler(context: tls, serverHostname: target.host))
        }
        let upgrader = NIOTypedWebSocketClientUpgrader<Bool>(
          maxFrameSize: maxMessageSize, enableAutomaticErrorHandling: false,
          upgradePipelineHandler: { channel, _ in
            channel.eventLoop.makeCompletedFuture {
              try channel.pipeline.syncOperations.addHandler(
                WebSocketSession(inbox: inbox, maxMessageSize: maxMessageSize, closing: closing))
              return true
            }
          })
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: target.path)
        head.headers.add(name: "Host", value: target.hostHeader)
        var configuration = NIOUpgradableHTTPClientPipelineConfiguration(
          upgradeConfiguration: .init(
            upgradeRequestHead: head, upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
              channel.close(promise: nil)
              return channel.eventLoop.makeSucceededFuture(false)
            }))
        // A server may send its first frames right behind the 101 answer, in the same read
        // (an exchange's stream pushes at once): NIO's default drops whatever the HTTP decoder
        // read past the answer, which lost a resumed run's first candle.
        configuration.leftOverBytesStrategy = .forwardBytes
        let upgrade = try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
          configuration: configuration)
        // The whole exchange (TLS included) must end within the timeout: a peer that accepts
        // and then says nothing does not hold the caller forever.
        let timeout = channel.eventLoop.scheduleTask(in: TimeAmount(connectTimeout)) {
          channel.pipeline.fireErrorCaught(WebSocketError.timedOut(seconds: seconds))
          channel.close(promise: nil)
        }
        upgrade.whenComplete { _ in timeout.cancel() }
        return (channel, upgrade)
      }
    }
    inbox.onTermination = { _ in channel.close(promise: nil) }
    // A server that hangs up right behind its 101 answer closes the socket before the session's
    // handler is in the pipeline, which then never sees the end: the inbox ends with the socket
    // whatever the pipeline holds (a second finish does nothing).
    channel.closeFuture.whenComplete { _ in inbox.finish() }
    let ok = try await withTaskCancellationHandler {
      try await upgraded.get()
    } onCancel: {
      channel.close(promise: nil)
    }
    guard ok else { throw WebSocketError.notUpgraded }
    let outbound = WebSocketOutbound(channel: channel, closing: closing)
    do {
      let result = try await session(WebSocketInbound(stream: stream), outbound)
      await closeGracefully(channel, closing)
      return result
    } catch {
      await closeGracefully(channel, closing)
      throw error
    }
  }

  /// A close frame, then a short wait for the server's answer and its closing of the socket.
  private static func closeGracefully(_ channel: any Channel, _ closing: ClaimOnce) async {
    guard channel.isActive else { return }
    if closing.claim() {
      let frame = WebSocketFrame.close(.normalClosure, reason: nil, on: channel)
      channel.writeAndFlush(frame, promise: nil)
    }
    let deadline = channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
    try? await channel.closeFuture.get()
    deadline.cancel()
  }

  struct Target {
    let secure: Bool
    let host: String
    let port: Int
    let path: String
    var hostHeader: String {
      let h = host.contains(":") ? "[\(host)]" : host
      return port == (secure ? 443 : 80) ? h : "\(h):\(port)"
    }

    init?(_ url: String) {
      guard let c = URLComponents(string: url), let scheme = c.scheme?.lowercased(),
        scheme == "ws" || scheme == "wss", var host = c.host, !host.isEmpty
      else { return nil }
      if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
      secure = scheme == "wss"
      self.host = host
      port = c.port ?? (secure ? 443 : 80)
      let p = c.percentEncodedPath.isEmpty ? "/" : c.percentEncodedPath
      path = c.percentEncodedQuery.map { p + "?" + $0 } ?? p
    }
  }
}

extension WebSocketFrame {
  /// Client frames are masked (RFC 6455 §5.3), with a fresh key each.
  static func fromClient(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketFrame {
    WebSocketFrame(fin: true, opcode: opcode, maskKey: .random(), data: data)
  }

  static func close(_ code: WebSocketErrorCode, reason: String?, on channel: any Channel)
    -> WebSocketFrame
  {
    var data = channel.allocator.buffer(capacity: 2 + (reason?.utf8.count ?? 0))
    data.write(webSocketErrorCode: code)
    if let reason { data.writeString(reason) }
    return fromClient(.connectionClose, data)
  }
}

/// The socket's end of the session, on the event loop: joins fragments into messages for the
/// inbox, answers pings and the server's close, and ends the inbox when the socket ends.
final class WebSocketSession: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame

  private let inbox: AsyncThrowingStream<WebSocketMessage, any Error>.Continuation
  private let maxMessageSize: Int
  private var partial: (opcode: WebSocketOpcode, data: ByteBuffer)?
  private let closing: ClaimOnce

  init(
    inbox: AsyncThrowingStream<WebSocketMessage, any Error>.Continuation, maxMessageSize: Int,
    closing: ClaimOnce
  ) {
    self.inbox = inbox
    self.maxMessageSize = maxMessageSize
    self.closing = closing
  }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .text, .binary:
      guard partial == nil else {
        return violate(context, .protocolViolation("a new message inside a fragmented one"))
      }
      partial = (frame.opcode, frame.unmaskedData)
      append(nil, fin: frame.fin, context: context)
    case .continuation:
      guard partial != nil else {
        return violate(context, .protocolViolation("a continuation frame with no message"))
      }
      append(frame.unmaskedData, fin: frame.fin, context: context)
    case .ping:
      let pong = WebSocketFrame.fromClient(.pong, frame.unmaskedData)
      context.writeAndFlush(wrapOutboundOut(pong), promise: nil)
    case .connectionClose:
      // Echo the server's status code, then close: the session ends normally.
      if closing.claim() {
        var data = frame.unmaskedData
        let code = data.readWebSocketErrorCode() ?? .normalClosure
        context.writeAndFlush(
          wrapOutboundOut(WebSocketFrame.close(code, reason: nil, on: context.channel)),
          promise: nil)
      }
      inbox.finish()
      context.close(promise: nil)
    default:
      break
    }
  }

  private func append(_ more: ByteBuffer?, fin: Bool, context: ChannelHandlerContext) {
    guard var message = partial else { return }
    if var more { message.data.writeBuffer(&more) }
    guard message.data.readableBytes <= maxMessageSize else {
      partial = nil
      return violate(context, .messageTooLarge(limit: maxMessageSize), code: .messageTooLarge)
    }
    guard fin else {
      partial = message
      return
    }
    partial = nil
    if message.opcode == .text {
      guard
        let text = message.data.getString(
          at: message.data.readerIndex, length: message.data.readableBytes),
        Array(text.utf8) == Array(message.data.readableBytesView)
      else { return violate(context, .protocolViolation("a text message that is not UTF-8")) }
      inbox.yield(.text(text))
    } else {
      inbox.yield(.binary(Array(message.data.readableBytesView)))
    }
  }

  private func violate(
    _ context: ChannelHandlerContext, _ error: WebSocketError,
    code: WebSocketErrorCode = .protocolError
  ) {
    if closing.claim() {
      context.writeAndFlush(
        wrapOutboundOut(WebSocketFrame.close(code, reason: nil, on: context.channel)),
        promise: nil)
    }
    inbox.finish(throwing: error)
    context.close(promise: nil)
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    switch error as? NIOWebSocketError {
    case .invalidFrameLength?:
      violate(context, .messageTooLarge(limit: maxMessageSize), code: .messageTooLarge)
    case let frameError?:
      violate(context, .protocolViolation("\(frameError)"))
    case nil:
      inbox.finish(throwing: error)
      context.close(promise: nil)
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    inbox.finish()
    context.fireChannelInactive()
  }
}
