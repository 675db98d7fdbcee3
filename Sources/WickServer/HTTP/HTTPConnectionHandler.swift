import Foundation
import Logging
import NIOCore
import NIOHTTP1

/// One connection's HTTP/1.1 exchanges, after NIO's decoder and pipelining handler: collects a
/// request's body within `HTTPLimits`, hands the whole request to the responder, writes its
/// answer (streamed bodies chunk by chunk), keeps the connection alive or closes it. Every
/// timeout and limit is enforced here, on the channel's event loop.
final class HTTPConnectionHandler: ChannelInboundHandler, RemovableChannelHandler {
  typealias InboundIn = HTTPServerRequestPart
  typealias OutboundOut = HTTPServerResponsePart
  typealias Responder = @Sendable (Request) async -> Response

  /// Sent through every connection's pipeline when the server stops: an idle connection closes,
  /// a request being handled is answered (with `Connection: close`), a live stream ends.
  struct StopServing: Sendable {}

  private enum State {
    case awaitingHead
    case receivingBody(HTTPRequestHead, ByteBuffer)
    /// The responder is at work, or a sized answer is being written.
    case responding
    /// The task writes a streamed body; then the connection stays open if `keepAlive`.
    case streaming(keepAlive: Bool)
    /// Answered early: what the client still sends is dropped until the request's end, the
    /// linger time or `bytesLeft`, then the connection closes.
    case discarding(bytesLeft: Int)
    case closed
  }

  private let limits: HTTPLimits
  private let responder: Responder
  private let logger: Logger
  private var state = State.awaitingHead
  private var stopping = false
  private var idleTimer: Scheduled<Void>?
  private var bodyTimer: Scheduled<Void>?
  private var lingerTimer: Scheduled<Void>?
  private var responseTask: Task<Void, Never>?
  private var context: ChannelHandlerContext?

  init(limits: HTTPLimits, logger: Logger, responder: @escaping Responder) {
    self.limits = limits
    self.logger = logger
    self.responder = responder
  }

  func handlerAdded(context: ChannelHandlerContext) {
    self.context = context
    if context.channel.isActive { armIdleTimer() }
  }

  func handlerRemoved(context: ChannelHandlerContext) {
    cancelTimers()
    self.context = nil
  }

  func channelActive(context: ChannelHandlerContext) {
    logger.debug("connection from \(context.channel.remoteAddress?.description ?? "?")")
    armIdleTimer()
    context.fireChannelActive()
  }

  func channelInactive(context: ChannelHandlerContext) {
    // The client went away (or we closed): a live stream stops polling the ledger.
    state = .closed
    cancelTimers()
    responseTask?.cancel()
    context.fireChannelInactive()
  }

  // MARK: - Reading a request

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    switch (unwrapInboundIn(data), state) {
    case (.head(let head), .awaitingHead):
      idleTimer?.cancel()
      if let length = head.headers.first(name: "Content-Length").flatMap(Int.init),
        length > limits.maxBodyBytes
      {
        refuse(.payloadTooLarge, "The request body is larger than \(limits.maxBodyBytes) bytes.")
        return
      }
      state = .receivingBody(head, context.channel.allocator.buffer(capacity: 0))
      armIdleTimer()
      armBodyTimer()
    case (.body(var part), .receivingBody(let head, var body)):
      guard body.readableBytes + part.readableBytes <= limits.maxBodyBytes else {
        refuse(.payloadTooLarge, "The request body is larger than \(limits.maxBodyBytes) bytes.")
        return
      }
      state = .responding  // drops the state's reference, so the append does not copy
      body.writeBuffer(&part)
      state = .receivingBody(head, body)
      armIdleTimer()
    case (.end, .receivingBody(let head, let body)):
      cancelTimers()
      state = .responding
      dispatch(Request(head: head, body: body, client: Self.client(context.channel)))
    case (.body(let part), .discarding(let left)):
      if part.readableBytes >= left {
        close()
      } else {
        state = .discarding(bytesLeft: left - part.readableBytes)
      }
    case (.end, .discarding):
      close()
    case (_, .closed), (.body, .awaitingHead), (.end, .awaitingHead):
      break
    default:
      // NIO's pipelining handler holds the next request until this answer is out; anything
      // else out of order is a client to stop talking to.
      close()
    }
  }

  func errorCaught(context: ChannelHandlerContext, error: any Error) {
    switch (error, state) {
    case (let parse as HTTPParserError, .awaitingHead),
      (let parse as HTTPParserError, .receivingBody):
      logger.debug("refused a malformed request: \(parse)")
      if parse == .headerOverflow {
        refuse(.requestHeaderFieldsTooLarge, "The request's headers are too large or too many.")
      } else {
        refuse(.badRequest, "Malformed HTTP request.")
      }
    case (_, .discarding), (_, .closed):
      break  // the decoder's complaints about what follows an early answer
    default:
      logger.debug("connection error: \(error)")
      close()
    }
  }

  func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
    guard event is StopServing else { return context.fireUserInboundEventTriggered(event) }
    stopping = true
    switch state {
    case .awaitingHead: close()
    case .streaming: responseTask?.cancel()
    case .receivingBody, .responding, .discarding, .closed: break
    }
  }

  // MARK: - Answering

  /// Runs the responder off the event loop, then writes its answer.
  private func dispatch(_ request: Request) {
    guard let context else { return }
    let this = NIOLoopBound(self, eventLoop: context.eventLoop)
    let channel = context.channel
    let responder = responder
    let writer = ResponseBodyWriter(channel: channel, stallTimeout: limits.idleTimeout)
    responseTask = Task {
      let response = await responder(request)
      // The head is written on the event loop (where the connection's state lives); a streamed
      // body then runs here.
      guard
        let body = try? await channel.eventLoop.submit({
          this.value.writeHead(response, for: request)
        }).get()
      else { return }
      do {
        try await body(writer)
      } catch {
        // A client that went away, or the server stopping: the stream just ends.
      }
      channel.eventLoop.execute { this.value.endStream() }
    }
  }

  /// Writes the answer's head, and the whole of a sized body; returns the body writer of a
  /// streamed one (which the task then runs), or nil when the answer is complete.
  private func writeHead(_ response: Response, for request: Request)
    -> (@Sendable (ResponseBodyWriter) async throws -> Void)?
  {
    guard let context, case .responding = state else { return nil }
    let head = request.head
    var headers = response.headers
    var keepAlive = head.isKeepAlive && !stopping
    logger.trace("\(head.method) \(request.path) \(response.status.code)")
    switch response.body {
    case .bytes(let bytes):
      headers.replaceOrAdd(name: "Content-Length", value: String(bytes.readableBytes))
      writeHead(response.status, headers, version: head.version, keepAlive: keepAlive)
      if head.method != .HEAD, bytes.readableBytes > 0 {
        context.write(wrapOutboundOut(.body(.byteBuffer(bytes))), promise: nil)
      }
      finish(keepAlive: keepAlive)
      return nil
    case .stream(let writer):
      // HTTP/1.0 has no chunked encoding: the end of the stream is the end of the connection.
      if head.version.minor == 0 { keepAlive = false }
      writeHead(response.status, headers, version: head.version, keepAlive: keepAlive)
      guard head.method != .HEAD, !stopping else {
        finish(keepAlive: keepAlive)
        return nil
      }
      context.flush()
      state = .streaming(keepAlive: keepAlive)
      return writer
    }
  }

  /// The head with the headers every answer carries (Date, Server, Connection).
  private func writeHead(
    _ status: HTTPResponseStatus, _ headers: HTTPHeaders, version: HTTPVersion, keepAlive: Bool
  ) {
    var headers = headers
    headers.replaceOrAdd(name: "Date", value: Self.httpDate())
    headers.replaceOrAdd(name: "Server", value: "wick")
    if !keepAlive {
      headers.replaceOrAdd(name: "Connection", value: "close")
    } else if version.minor == 0 {
      headers.replaceOrAdd(name: "Connection", value: "keep-alive")
    }
    context?.write(
      wrapOutboundOut(.head(HTTPResponseHead(version: version, status: status, headers: headers))),
      promise: nil)
  }

  private func endStream() {
    guard case .streaming(let keepAlive) = state else { return }
    finish(keepAlive: keepAlive)
  }

  /// Ends the answer; then the connection waits for the next request or closes.
  private func finish(keepAlive: Bool) {
    guard let context else { return }
    responseTask = nil
    // The state first: writing the end lets NIO's pipelining handler pass on a request it held,
    // from inside the write.
    let next: State = keepAlive && !stopping ? .awaitingHead : .closed
    state = next
    if case .awaitingHead = next { armIdleTimer() }
    let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
    if case .closed = next {
      let channel = context.channel
      done.whenComplete { _ in channel.close(promise: nil) }
    }
  }

  /// Answers now, without reading the rest of the request, and closes after the linger time.
  private func refuse(_ status: HTTPResponseStatus, _ message: String) {
    guard let context else { return }
    cancelTimers()
    state = .discarding(bytesLeft: limits.maxDiscardedBytes)
    logger.debug("refused: \(status.code) \(message)")
    let answer = HTTPError(status, message: message).response
    guard case .bytes(let body) = answer.body else { return }
    var headers = answer.headers
    headers.replaceOrAdd(name: "Content-Length", value: String(body.readableBytes))
    writeHead(status, headers, version: .http1_1, keepAlive: false)
    context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
    context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
    lingerTimer = schedule(limits.linger) { $0.close() }
  }

  private func close() {
    guard let context else { return }
    state = .closed
    cancelTimers()
    context.close(promise: nil)
  }

  // MARK: - Timers

  private func armIdleTimer() {
    idleTimer?.cancel()
    idleTimer = schedule(limits.idleTimeout) { handler in
      switch handler.state {
      case .awaitingHead:
        handler.logger.debug("closing an idle connection")
        handler.close()
      case .receivingBody:
        handler.refuse(.requestTimeout, "The request body stopped arriving.")
      default: break
      }
    }
  }

  private func armBodyTimer() {
    bodyTimer?.cancel()
    bodyTimer = schedule(limits.bodyTimeout) { handler in
      guard case .receivingBody = handler.state else { return }
      handler.refuse(.requestTimeout, "The request body did not arrive in time.")
    }
  }

  private func cancelTimers() {
    for timer in [idleTimer, bodyTimer, lingerTimer] { timer?.cancel() }
    (idleTimer, bodyTimer, lingerTimer) = (nil, nil, nil)
  }

  private func schedule(_ delay: Duration, _ fire: @escaping (HTTPConnectionHandler) -> Void)
    -> Scheduled<Void>?
  {
    guard let context else { return nil }
    return context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(delay)) { [self] in
      fire(self)
    }
  }

  // MARK: - Helpers

  static func client(_ channel: any Channel) -> String {
    channel.remoteAddress?.ipAddress ?? "unknown"
  }

  /// The Date header's form (RFC 9110 IMF-fixdate), e.g. `Sun, 06 Nov 1994 08:49:37 GMT`.
  static func httpDate(_ date: Date = Date()) -> String {
    var seconds = time_t(date.timeIntervalSince1970)
    var parts = tm()
    gmtime_r(&seconds, &parts)
    let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    let months = [
      "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
    func two(_ v: Int32) -> String { v < 10 ? "0\(v)" : "\(v)" }
    return
      "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) \(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
  }
}
