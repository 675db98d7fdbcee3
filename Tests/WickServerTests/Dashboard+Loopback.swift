import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import WickNet

@testable import WickServer

extension Dashboard {
  /// Runs the dashboard's real server (`application`, as `wick serve` runs it: its HTTP/1
  /// settings, timeouts and TLS) on a free port of 127.0.0.1 for the length of `body`, then
  /// shuts it down gracefully, as SIGTERM does `wick serve`, and waits until it has stopped.
  /// `logger` defaults to one that prints only warnings and errors.
  func onLoopback<T>(
    logger: Logger? = nil, tls: TLSContext? = nil,
    _ body: (LoopbackClient) async throws -> T
  ) async throws -> T {
    let (ports, listening) = AsyncStream.makeStream(of: Int.self)
    let logger = logger ?? Self.quietLogger
    let app = try application(
      host: "127.0.0.1", port: 0, logger: logger, tls: tls,
      onServerRunning: { port in
        listening.yield(port)
        listening.finish()
      })
    let group = ServiceGroup(configuration: .init(services: [app], logger: logger))
    let server = Task {
      // A server that fails to start ends the wait for its port.
      defer { listening.finish() }
      try await group.run()
    }
    var next = ports.makeAsyncIterator()
    guard let port = await next.next() else {
      try await server.value
      throw LoopbackClient.Failure(description: "the dashboard stopped before it listened")
    }
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body(LoopbackClient(port: port))) } catch {
      outcome = .failure(error)
    }
    await group.triggerGracefulShutdown()
    _ = await server.result
    return try outcome.get()
  }

  static let quietLogger: Logger = {
    var logger = Logger(label: "wick.serve.test")
    logger.logLevel = .warning
    return logger
  }()
}
