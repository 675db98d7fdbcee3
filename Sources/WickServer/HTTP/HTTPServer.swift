import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import WickNet

/// An HTTP/1.1 server on NIO (HTTPS when given a `TLSContext`): binds, hands each complete
/// request to `responder`, and stops gracefully.
///
///     let server = try await HTTPServer.start(host: "127.0.0.1", port: 0, responder: respond)
///     print(server.port)
///     await server.stop()
public final class HTTPServer: Sendable {
  /// The bound port (the one the system chose when asked for port 0).
  public let port: Int
  private let listener: any Channel
  private let connections: ConnectionSet
  private let logger: Logger

  private init(port: Int, listener: any Channel, connections: ConnectionSet, logger: Logger) {
    self.port = port
    self.listener = listener
    self.connections = connections
    self.logger = logger
  }

  public static func start(
    host: String, port: Int, tls: TLSContext? = nil, limits: HTTPLimits = HTTPLimits(),
    logger: Logger, responder: @escaping @Sendable (Request) async -> Response
  ) async throws -> HTTPServer {
    let connections = ConnectionSet(capacity: limits.maxConnections)
    let listener = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
      .serverChannelOption(.backlog, value: 256)
      .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
      .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
      .childChannelInitializer { channel in
        // Failing the initializer makes NIO close the accepted socket.
        guard connections.admit(channel) else {
          logger.debug("refused a connection: \(limits.maxConnections) open, or stopping")
          return channel.eventLoop.makeFailedFuture(ChannelError.inappropriateOperationForState)
        }
        return channel.eventLoop.makeCompletedFuture {
          let pipeline = channel.pipeline.syncOperations
          if let tls { try pipeline.addHandler(TLSHandler(context: tls)) }
          // Parse errors reach HTTPConnectionHandler, which answers 400 or 431 itself.
          try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: true, withErrorHandling: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits.decoder)
          try pipeline.addHandler(
            HTTPConnectionHandler(limits: limits, logger: logger, responder: responder))
        }
      }
      .bind(host: host, port: port).get()
    let bound = listener.localAddress?.port ?? port
    logger.debug("listening on \(host):\(bound)")
    return HTTPServer(port: bound, listener: listener, connections: connections, logger: logger)
  }

  /// Stops accepting, lets the requests being handled finish (live streams end at once), closes
  /// idle connections, and returns when every connection is closed or, after `grace`, closes
  /// the rest.
  public func stop(grace: Duration = .seconds(10)) async {
    try? await listener.close()
    let open = connections.closeDoors()
    logger.debug("stopping: \(open.count) connections open")
    for channel in open {
      channel.pipeline.fireUserInboundEventTriggered(HTTPConnectionHandler.StopServing())
    }
    let deadline = NIODeadline.now() + TimeAmount(grace)
    let cutoffs = open.map { channel in
      channel.eventLoop.scheduleTask(deadline: deadline) { channel.close(promise: nil) }
    }
    for channel in open { try? await channel.closeFuture.get() }
    for cutoff in cutoffs { cutoff.cancel() }
  }

  /// Returns once the listening socket is closed (by `stop`).
  public func waitUntilClosed() async {
    try? await listener.closeFuture.get()
  }
}

/// The open connections, so that `stop` can reach each of them, at most `capacity` at a time.
final class ConnectionSet: @unchecked Sendable {
  private let lock = NSLock()
  private let capacity: Int
  private var channels: [ObjectIdentifier: any Channel] = [:]
  private var stopping = false

  init(capacity: Int) { self.capacity = capacity }

  /// Counts `channel` in; false (the caller closes it) when full or stopping.
  func admit(_ channel: any Channel) -> Bool {
    let key = ObjectIdentifier(channel)
    let admitted = lock.withLock {
      guard !stopping, channels.count < capacity else { return false }
      channels[key] = channel
      return true
    }
    if admitted {
      channel.closeFuture.whenComplete { [self] _ in
        _ = lock.withLock { channels.removeValue(forKey: key) }
      }
    }
    return admitted
  }

  /// Admits no more, and returns those open now.
  func closeDoors() -> [any Channel] {
    lock.withLock {
      stopping = true
      return Array(channels.values)
    }
  }
}
