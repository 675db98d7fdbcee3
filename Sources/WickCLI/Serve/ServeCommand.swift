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
      dashboard is read-only. GET /metrics answers in the Prometheus text format (no token; \
      [dashboard] metrics = false turns it off). --tls-cert and --tls-key serve HTTPS, so a phone \
      can reach the dashboard without a proxy.
      """)

  @Option(help: "The SQLite file with the ledger (the candle cache).")
  var db: String = CandleStore.defaultPath
  @Option(help: "Address to listen on (loopback by default; 0.0.0.0 exposes it to the network).")
  var host: String = "127.0.0.1"
  @Option(help: "Port to listen on.")
  var port: Int = 8080
  @Option(help: "The config file with [dashboard] token (read when it exists).")
  var config: String = "wick.toml"
  @Option(help: "PEM certificate chain: serve HTTPS (with --tls-key).")
  var tlsCert: String?
  @Option(help: "PEM private key of --tls-cert.")
  var tlsKey: String?

  public init() {}

  public func validate() throws {
    guard (1...65535).contains(port) else {
      throw ValidationError("--port \(port): expected 1 to 65535")
    }
    if (tlsCert == nil) != (tlsKey == nil) {
      throw ValidationError("give --tls-cert and --tls-key together")
    }
  }

  public func run() throws {
    try reportingErrors {
      let token = try Self.resolveToken(
        environment: ProcessInfo.processInfo.environment, configPath: config)
      var settings = DashboardSettings(token: token)
      settings.metrics = try Self.fileConfig(config)?.dashboard.metrics ?? true
      let tls = try tlsCert.map { try DashboardTLS.configuration(certificate: $0, key: tlsKey!) }
      let store = try DashboardStore(path: db)
      let dashboard = Dashboard(store: store, settings: settings)
      let logger = {
        var logger = Logger(label: "wick.serve")
        logger.logLevel = .notice
        return logger
      }()
      printError(
        "wick serve: \(tls == nil ? "http" : "https")://\(host):\(port)/runs on \(db) — controls "
          + (token == nil
            ? "off (read-only: set [dashboard] token or WICK_DASHBOARD_TOKEN)"
            : "need the dashboard token")
          + (settings.metrics ? "; metrics at /metrics" : ""))
      if let warning = Self.plainHTTPWarning(host: host, tls: tls != nil) { printError(warning) }
      // SIGINT/SIGTERM stop it gracefully: no new connections, the requests being answered
      // finish, live streams end (the browsers reconnect to whatever serves next).
      let interrupts = InterruptSignals()
      defer { interrupts.restore() }
      let done = DispatchSemaphore(value: 0)
      let failure = FailureBox()
      let (host, port) = (host, port)
      Task {
        do {
          let server = try await dashboard.start(host: host, port: port, logger: logger, tls: tls)
          await interrupts.wait()
          printError("wick serve: stopping")
          await server.stop()
        } catch { failure.set(error) }
        done.signal()
      }
      done.wait()
      if let error = failure.get() {
        throw WickError.invalidArgument("cannot serve on \(host):\(port): \(error)")
      }
    }
  }

  /// Plain HTTP on an address other machines reach: the token would cross the network in clear.
  static func plainHTTPWarning(host: String, tls: Bool) -> String? {
    guard !tls, !["127.0.0.1", "::1", "localhost"].contains(host) else { return nil }
    return
      "warning: \(host) is reachable from other machines and this server speaks plain HTTP: the dashboard token would cross the network in clear. Serve HTTPS with --tls-cert FILE --tls-key FILE (or put TLS in front of it)."
  }

  static func fileConfig(_ path: String) throws -> WickConfig? {
    FileManager.default.fileExists(atPath: path) ? try WickConfig.load(path: path) : nil
  }

  /// WICK_DASHBOARD_TOKEN wins over `[dashboard] token` in the config; nil when neither is set.
  static func resolveToken(environment: [String: String], configPath: String) throws -> String? {
    if let token = environment["WICK_DASHBOARD_TOKEN"], !token.isEmpty {
      guard token.count >= 12 else {
        throw WickError.invalidArgument("WICK_DASHBOARD_TOKEN: use at least 12 characters")
      }
      return token
    }
    return try fileConfig(configPath)?.dashboard.token
  }
}

/// The server task's error, handed to the waiting command.
private final class FailureBox: @unchecked Sendable {
  private let lock = NSLock()
  private var error: (any Error)?
  func set(_ e: any Error) { lock.withLock { error = e } }
  func get() -> (any Error)? { lock.withLock { error } }
}
