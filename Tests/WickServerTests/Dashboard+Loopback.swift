import Foundation
import Logging
import WickNet

@testable import WickServer

extension Dashboard {
  /// Runs the dashboard's real server (`start`, as `wick serve` runs it: its connection limits,
  /// timeouts and TLS) on a free port of 127.0.0.1 for the length of `body`, then stops it
  /// gracefully, as SIGTERM does `wick serve`, and waits until it has stopped.
  /// `logger` defaults to one that prints only warnings and errors.
  func onLoopback<T>(
    logger: Logger? = nil, tls: TLSContext? = nil,
    _ body: (LoopbackClient) async throws -> T
  ) async throws -> T {
    let server = try await start(
      host: "127.0.0.1", port: 0, logger: logger ?? Self.quietLogger, tls: tls)
    let outcome: Result<T, any Error>
    do { outcome = .success(try await body(LoopbackClient(port: server.port))) } catch {
      outcome = .failure(error)
    }
    await server.stop()
    return try outcome.get()
  }

  static let quietLogger: Logger = {
    var logger = Logger(label: "wick.serve.test")
    logger.logLevel = .warning
    return logger
  }()
}
