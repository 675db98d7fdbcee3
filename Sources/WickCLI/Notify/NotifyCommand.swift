import ArgumentParser
import Foundation
import WickCore
import WickData
import WickNotify
import WickRisk

/// `wick notify …`: the `[notify]` sinks of a config.
public struct NotifyCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "notify",
    abstract: "Check the [notify] sinks of a config (Telegram, Discord, Slack, ntfy, webhook).",
    subcommands: [NotifyTestCommand.self])
  public init() {}

  /// The delivery thread for a run's process, or nil when the config has no sinks. A bad sink
  /// (a missing token variable) is an error before anything trades.
  static func dispatcher(
    configPath: String?, ledger: RunLedger, output: @escaping @Sendable (String) -> Void
  ) throws -> NotifyDispatcher? {
    guard let configPath else { return nil }
    let config = try WickConfig.load(path: configPath)
    let sinks = try NotifySink.resolve(
      config.notify, environment: ProcessInfo.processInfo.environment)
    guard !sinks.isEmpty else { return nil }
    let d = NotifyDispatcher(
      ledger: ledger, sinks: sinks, runs: [], dailyHourUTC: config.notify.dailyHourUTC)
    d.log = output
    return d
  }

  /// Hands `runs` to the delivery thread; without one, still drops their rows for sinks that
  /// were removed from the config, which nothing would ever send.
  static func serve(
    _ notifier: NotifyDispatcher?, ledger: RunLedger, runs: [Int64],
    output: @escaping @Sendable (String) -> Void
  ) {
    if let notifier {
      notifier.serve(runs: runs)
    } else {
      NotifyDispatcher.dropOrphans(ledger: ledger, runs: runs, sinks: [], log: output)
    }
  }
}

/// `wick notify test`: one message through every sink, and what each answered.
public struct NotifyTestCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "test",
    abstract: "Send a test message through every [notify] sink and say which failed and why.")

  @Option(help: "The config file with [notify].") var config: String = "wick.toml"

  public init() {}

  public func run() throws {
    try reportingErrors {
      let file = try WickConfig.load(path: config)
      let sinks = try NotifySink.resolve(
        file.notify, environment: ProcessInfo.processInfo.environment)
      guard !sinks.isEmpty else {
        throw WickError.invalidFile(
          path: config, line: nil, reason: "no [notify] sinks: nothing to test")
      }
      let transport = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 15)
      transport.recordsLatency = false
      let results = NotifyTest.run(sinks, transport: transport, time: RunLedger.wallNow())
      for r in results {
        print("\(r.delivered ? "ok    " : "FAILED") \(r.sink): \(r.detail)")
      }
      let failed = results.filter { !$0.delivered }.count
      print(
        failed == 0
          ? "all \(results.count) sink(s) delivered"
          : "\(failed) of \(results.count) sink(s) failed")
      if failed > 0 { throw ExitCode(1) }
    }
  }
}
