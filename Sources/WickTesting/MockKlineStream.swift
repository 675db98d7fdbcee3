import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import WickCore

/// A loopback WebSocket server speaking Bybit v5's public kline stream, for tests of the live
/// candle path. The test scripts it: it pushes kline messages as Bybit documents them
/// (`{"topic":"kline.1.BTCUSDT","data":[{...,"confirm":true}]}`), and can push unconfirmed
/// updates, duplicates and out-of-order candles, or drop every socket mid-candle. It answers
/// `{"op":"ping"}` like Bybit and records every message a client sent (subscriptions, pings).
///
///     let ws = try MockKlineStream()
///     defer { ws.stop() }
///     ws.send(symbol: "BTCUSDT", interval: "1", candle: c, confirm: true)
///     ws.dropConnections()
public final class MockKlineStream: @unchecked Sendable {
  private let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
  private var server: Channel?
  private let lock = NSLock()
  private var clients: [Channel] = []
  private var received: [String] = []
  /// Clients that subscribed to a kline topic (a run's candle stream; a liquidation recorder
  /// beside it subscribes to other topics).
  private var klineChannels: [ObjectIdentifier] = []
  private var connectionCount = 0
  public private(set) var port: Int = 0
  /// The `--ws-url` base: the client appends `/v5/public/linear`.
  public var baseURL: String { "ws://127.0.0.1:\(port)" }

  public init() throws {
    let upgrader = NIOWebSocketServerUpgrader(
      shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
      upgradePipelineHandler: { [self] channel, _ in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(FrameHandler(stream: self))
          self.lock.withLock {
            self.clients.append(channel)
            self.connectionCount += 1
          }
        }
      })
    let bootstrap = ServerBootstrap(group: group)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
        }
      }
    let channel = try bootstrap.bind(host: "127.0.0.1", port: 0).wait()
    server = channel
    port = channel.localAddress?.port ?? 0
  }

  deinit { stop() }

  public func stop() {
    dropConnections()
    try? server?.close().wait()
    server = nil
    try? group.syncShutdownGracefully()
  }

  /// Messages clients sent, in order (subscriptions, pings).
  public var messages: [String] { lock.withLock { received } }
  /// Sockets accepted so far (a reconnect adds one).
  public var connections: Int { lock.withLock { connectionCount } }
  /// Sockets open now.
  public var openClients: Int { lock.withLock { clients.count } }
  /// Open clients subscribed to a kline topic.
  public var klineClients: Int {
    lock.withLock { clients.filter { klineChannels.contains(ObjectIdentifier($0)) }.count }
  }

  /// Closes every client socket without a close frame: a dropped connection.
  public func dropConnections() {
    let open = lock.withLock {
      defer { clients.removeAll() }
      return clients
    }
    for c in open { try? c.close().wait() }
  }

  /// Sends a raw text frame to every client.
  public func send(text: String) {
    let open = lock.withLock { clients }
    for c in open {
      var buffer = c.allocator.buffer(capacity: text.utf8.count)
      buffer.writeString(text)
      c.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }
  }

  /// A Bybit kline message, as documented for `kline.{interval}.{symbol}`.
  public func send(
    symbol: String, interval: String, candle c: Candle, confirm: Bool, end: Int64? = nil
  ) {
    send(
      text: Self.klineMessage(
        symbol: symbol, interval: interval, candle: c, confirm: confirm, end: end))
  }

  public static func klineMessage(
    symbol: String, interval: String, candle c: Candle, confirm: Bool, end: Int64? = nil
  ) -> String {
    let closeTime = end ?? (c.time + 60_000 - 1)
    return """
      {"topic":"kline.\(interval).\(symbol)","data":[{"start":\(c.time),"end":\(closeTime),"interval":"\(interval)",\
      "open":"\(c.open)","close":"\(c.close)","high":"\(c.high)","low":"\(c.low)","volume":"\(c.volume)",\
      "turnover":"0","confirm":\(confirm),"timestamp":\(closeTime)}],"ts":\(closeTime),"type":"snapshot"}
      """
  }

  fileprivate func receive(_ text: String, from channel: Channel) {
    lock.withLock {
      received.append(text)
      if text.contains("\"kline.") { klineChannels.append(ObjectIdentifier(channel)) }
    }
    if text.contains("\"op\":\"ping\"") {
      var buffer = channel.allocator.buffer(capacity: 64)
      buffer.writeString(#"{"success":true,"ret_msg":"pong","conn_id":"mock","op":"ping"}"#)
      channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    } else if text.contains("\"op\":\"subscribe\"") {
      var buffer = channel.allocator.buffer(capacity: 64)
      buffer.writeString(#"{"success":true,"ret_msg":"","conn_id":"mock","op":"subscribe"}"#)
      channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .text, data: buffer), promise: nil)
    }
  }

  fileprivate func closed(_ channel: Channel) {
    lock.withLock {
      clients.removeAll { $0 === channel }
      klineChannels.removeAll { $0 == ObjectIdentifier(channel) }
    }
  }
}

private final class FrameHandler: ChannelInboundHandler {
  typealias InboundIn = WebSocketFrame
  typealias OutboundOut = WebSocketFrame
  let stream: MockKlineStream
  init(stream: MockKlineStream) { self.stream = stream }

  func channelRead(context: ChannelHandlerContext, data: NIOAny) {
    let frame = unwrapInboundIn(data)
    switch frame.opcode {
    case .text:
      var d = frame.unmaskedData
      stream.receive(d.readString(length: d.readableBytes) ?? "", from: context.channel)
    case .connectionClose:
      context.close(promise: nil)
    case .ping:
      let pong = WebSocketFrame(fin: true, opcode: .pong, data: frame.unmaskedData)
      context.writeAndFlush(Self.wrapOutboundOut(pong), promise: nil)
    default: break
    }
  }

  func channelInactive(context: ChannelHandlerContext) {
    stream.closed(context.channel)
    context.fireChannelInactive()
  }
}
