import ArgumentParser
import Foundation
import Logging
import WickCore
import WickData
import WickRisk
import WickServer

/// `wick serve`: the dashboard over the ledger (runs, a run with live updates and controls,
/// sweeps, saved backtest reports). Loopback unless `--host` says otherwise.
public struct ServeCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "serve",
    abstract: "Serve the dashboard: runs, live updates, emergency stop and parameter changes.",
    discussion: """
      The controls (emergency stop, pause/resume, parameter changes) need a token: [dashboard] \
      token in wick.toml or the WICK_DASHBOARD_TOKEN environment variable. Without one the \
      dashboard is read-only.
      """)

  @Option(help: "The SQLite file with the ledger (the candle cache).")
  var db: String = CandleStore.defaultPath
  @Option(help: "Address to listen on (loopback by default; 0.0.0.0 exposes it to the network).")
  var host: String = "127.0.0.1"
  @Option(help: "Port to listen on.")
  var port: Int = 8080
  @Option(help: "The config file with [dashboard] token (read when it exists).")
  var config: String = "wick.toml"

  public init() {}

  public func validate() throws {
    guard (1...65535).contains(port) else {
      throw ValidationError("--port \(port): expected 1 to 65535")
    }
  }

  public func run() throws {
    try reportingErrors {
      let token = try Self.resolveToken(
        environment: ProcessInfo.processInfo.environment, configPath: config)
      let store = try DashboardStore(path: db)
      let dashboard = Dashboard(store: store, settings: DashboardSettings(token: token))
      var logger = Logger(label: "wick.serve")
      logger.logLevel = .notice
      let app = dashboard.application(host: host, port: port, logger: logger)
      printError(
        "wick serve: http://\(host):\(port)/runs on \(db) — controls "
          + (token == nil
            ? "off (read-only: set [dashboard] token or WICK_DASHBOARD_TOKEN)"
            : "need the dashboard token"))
      if !["127.0.0.1", "::1", "localhost"].contains(host) {
        printError(
          "warning: \(host) is reachable from other machines and this server speaks plain HTTP: put TLS in front of it"
        )
      }
      let done = DispatchSemaphore(value: 0)
      let failure = FailureBox()
      Task {
        do { try await app.runService() } catch { failure.set(error) }
        done.signal()
      }
      done.wait()
      if let error = failure.get() {
        throw WickError.invalidArgument("cannot serve on \(host):\(port): \(error)")
      }
    }
  }

  /// WICK_DASHBOARD_TOKEN wins over `[dashboard] token` in the config; nil when neither is set.
  static func resolveToken(environment: [String: String], configPath: String) throws -> String? {
    if let token = environment["WICK_DASHBOARD_TOKEN"], !token.isEmpty {
      guard token.count >= 12 else {
        throw WickError.invalidArgument("WICK_DASHBOARD_TOKEN: use at least 12 characters")
      }
      return token
    }
    guard FileManager.default.fileExists(atPath: configPath) else { return nil }
    return try WickConfig.load(path: configPath).dashboard.token
  }
}

/// The server task's error, handed to the waiting command.
private final class FailureBox: @unchecked Sendable {
  private let lock = NSLock()
  private var error: (any Error)?
  func set(_ e: any Error) { lock.withLock { error = e } }
  func get() -> (any Error)? { lock.withLock { error } }
}
