import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

@testable import WickNet

/// Certificates made for one test by the `openssl` command line, in a folder removed afterwards.
struct CertificateFolder: ~Copyable {
  let dir: URL

  init() throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-net-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  }

  deinit { try? FileManager.default.removeItem(at: dir) }

  func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

  /// A self-signed certificate and its key, `name`.pem and `name`.key, made out to `subjectAltName`
  /// (e.g. "IP:127.0.0.1" or "DNS:wick.test").
  func selfSigned(_ name: String, subjectAltName: String) throws -> (cert: String, key: String) {
    let (cert, key) = (path(name + ".pem"), path(name + ".key"))
    try Self.openssl([
      "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
      "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=wick test",
      "-addext", "subjectAltName=\(subjectAltName)",
    ])
    return (cert, key)
  }

  static func openssl(_ arguments: [String]) throws {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["openssl"] + arguments
    p.standardOutput = FileHandle.nullDevice
    p.standardError = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0 else {
      throw TLSError.handshakeFailed(reason: "openssl \(arguments.joined(separator: " ")) failed")
    }
  }
}

/// A wss:// server on 127.0.0.1 over `TLSHandler` (server side): echoes every text message,
/// answers "big:N" with an N-byte message, "ping" with a ping frame (the client's pong is
/// counted), "bye" with a close frame. Counts what reached it, so tests see what got through.
final class LoopbackTLSWebSocketServer: @unchecked Sendable {
  private let lock = NSLock()
  private var _upgrades = 0
  private var _pongs = 0
  private var _errors: [String] = []
  private var channel: (any Channel)?
  var port: Int { channel?.localAddress?.port ?? 0 }

  init(context: TLSContext) throws {
    let upgrader = NIOWebSocketServerUpgrader(
      maxFrameSize: 1 << 21,
      shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
      upgradePipelineHandler: { [self] channel, _ in
        lock.withLock { _upgrades += 1 }
        return channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(Echo(server: self))
        }
      })
    channel = try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
      .childChannelInitializer { [self] channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(TLSHandler(context: context))
          try channel.pipeline.syncOperations.configureHTTPServerPipeline(
            withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
          try channel.pipeline.syncOperations.addHandler(ErrorRecorder(server: self))
        }
      }
      .bind(host: "127.0.0.1", port: 0).wait()
  }

  deinit { try? channel?.close().wait() }

  var upgrades: Int { lock.withLock { _upgrades } }
  var pongs: Int { lock.withLock { _pongs } }
  var errors: [String] { lock.withLock { _errors } }
  func url(host: String = "127.0.0.1") -> String { "wss://\(host):\(port)/echo" }

  fileprivate func pong() { lock.withLock { _pongs += 1 } }
  fileprivate func record(_ error: any Error) { lock.withLock { _errors.append("\(error)") } }

  private final class ErrorRecorder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = NIOAny
    let server: LoopbackTLSWebSocketServer
    init(server: LoopbackTLSWebSocketServer) { self.server = server }
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      server.record(error)
      context.close(promise: nil)
    }
  }

  private final class Echo: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame
    let server: LoopbackTLSWebSocketServer
    init(server: LoopbackTLSWebSocketServer) { self.server = server }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      let frame = unwrapInboundIn(data)
      switch frame.opcode {
      case .text:
        var d = frame.unmaskedData
        let text = d.readString(length: d.readableBytes) ?? ""
        if text == "ping" {
          send(context, .ping, ByteBuffer(string: "are you there"))
        } else if text == "bye" {
          var code = context.channel.allocator.buffer(capacity: 2)
          code.write(webSocketErrorCode: .goingAway)
          send(context, .connectionClose, code)
        } else if text.hasPrefix("big:"), let n = Int(text.dropFirst(4)) {
          send(context, .text, ByteBuffer(string: String(repeating: "x", count: n)))
        } else {
          send(context, .text, ByteBuffer(string: text))
        }
      case .pong:
        server.pong()
      case .connectionClose:
        context.close(promise: nil)
      default:
        break
      }
    }

    func send(_ context: ChannelHandlerContext, _ opcode: WebSocketOpcode, _ data: ByteBuffer) {
      context.writeAndFlush(
        wrapOutboundOut(WebSocketFrame(fin: true, opcode: opcode, data: data)), promise: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
      server.record(error)
      context.close(promise: nil)
    }
  }
}

/// A raw TCP peer on 127.0.0.1: a server that reads the first bytes and hangs up (or says
/// nothing at all), or a client that sends bytes and waits for the server to hang up.
enum RawPeer {
  /// A listener whose every connection gets `onFirstRead` (nil: never answers, never closes).
  static func server(closeOnFirstRead: Bool) throws -> any Channel {
    try ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .childChannelInitializer { channel in
        channel.eventLoop.makeCompletedFuture {
          try channel.pipeline.syncOperations.addHandler(HangUp(enabled: closeOnFirstRead))
        }
      }
      .bind(host: "127.0.0.1", port: 0).wait()
  }

  /// Connects, sends `bytes`, and returns once the server closed the connection (true) or
  /// `seconds` passed (false).
  static func sendAndAwaitHangUp(_ bytes: [UInt8], port: Int, seconds: Int64 = 5) async throws
    -> Bool
  {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .connect(host: "127.0.0.1", port: port).get()
    try await channel.writeAndFlush(ByteBuffer(bytes: bytes)).get()
    let timedOut = Flag()
    let timer = channel.eventLoop.scheduleTask(in: .seconds(seconds)) {
      timedOut.set()
      channel.close(promise: nil)
    }
    try? await channel.closeFuture.get()
    timer.cancel()
    return !timedOut.value
  }

  private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false
    func set() { lock.withLock { on = true } }
    var value: Bool { lock.withLock { on } }
  }

  private final class HangUp: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let enabled: Bool
    init(enabled: Bool) { self.enabled = enabled }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
      if enabled { context.close(promise: nil) }
    }
  }
}
