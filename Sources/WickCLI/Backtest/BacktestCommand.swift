import ArgumentParser
import Foundation
import WickCore
import WickData
import WickLua
import WickReport
import WickRisk
import WickSim

/// `wick backtest STRATEGY.lua`: runs a strategy over cached candles and reports.
public struct BacktestCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "backtest",
    abstract: "Backtest a Lua strategy against cached candles.",
    discussion: """
      Intents made on a candle fill at the next candle's open, with spread, slippage and fees.

      Example:
        wick backtest strategies/ma_cross.lua --symbol BTCUSDT --timeframe 1m --param period=120 --html out.html
      """)

  @Argument(help: "The strategy script (.lua).") var strategy: String
  @Option(help: "Symbol to trade (default: the script's symbols).") var symbol: String?
  @Option(help: "Comma-separated symbols (multi-symbol strategies, pairs).") var symbols: String?
  @Option(help: "Candle timeframe, e.g. 1m, 5m, 4h (default: the script's).") var timeframe: String?
  @Option(help: "Exchange of the cached series (needed only when several have it).") var exchange:
    String?
  @Option(help: "Start time (ISO-8601 UTC, inclusive).") var from: String?
  @Option(help: "End time (ISO-8601 UTC, exclusive).") var to: String?
  @Option(name: .customLong("param"), help: "Override a param: name=value (repeatable).")
  var params: [String] = []
  @Option(name: .customLong("params"), help: "Params file (JSON or TOML).") var paramsFile: String?
  @OptionGroup var simulation: SimulationOptions
  @Option(help: "Seed for simulated rejects (and the Lua math.random seed).") var seed: UInt64 = 1
  @Option(help: "Write the JSON result here.") var json: String?
  @Option(help: "Write the self-contained HTML report here.") var html: String?
  @Option(help: "Candle cache (SQLite).") var db: String = CandleStore.defaultPath
  @Flag(help: "Re-run when the script, a plugin or the params file changes.") var watch = false
  @Flag(help: "Do not print strategy log lines.") var quiet = false
  @Flag(
    help:
      "Save the run (accounts, orders, fills, positions, equity, daily PnL, incidents) into the cache file's ledger."
  )
  var save = false

  public init() {}

  func job() throws -> BacktestJob {
    if symbol != nil && symbols != nil {
      throw WickError.invalidArgument("give --symbol or --symbols, not both")
    }
    var list: [String]? = symbol.map { [$0] }
    if let symbols {
      list = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
    var job = BacktestJob(
      strategyPath: strategy, symbols: list,
      timeframe: try timeframe.map { try Timeframe(parsing: $0) },
      exchange: exchange, from: try parseTime(from, option: "--from"),
      to: try parseTime(to, option: "--to"),
      paramsFile: paramsFile,
      paramAssignments: params, dbPath: db, seed: seed,
      onLog: quiet
        ? nil : { line in FileHandle.standardError.write(Data(("log " + line + "\n").utf8)) },
      save: save, recordPrices: html != nil || json != nil, streamTradesJSON: json != nil && !watch)
    try simulation.apply(to: &job)
    job.rerunArguments = rerunArguments(configPath: job.riskConfigPath)
    return job
  }

  /// The arguments that repeat this run (`reproduce.arguments`): the data and simulation flags as
  /// typed, with the config made explicit (the one read, else `--no-config`, so that a re-run
  /// elsewhere does not pick up another ./wick.toml). Params are recorded apart, as resolved.
  func rerunArguments(configPath: String?) -> [String] {
    var args = [strategy]
    for case (let flag, let v?) in [
      ("--symbol", symbol), ("--symbols", symbols), ("--timeframe", timeframe),
      ("--exchange", exchange), ("--from", from), ("--to", to),
    ] {
      args += [flag, v]
    }
    var sim = simulation
    sim.config = configPath
    sim.noConfig = configPath == nil
    return args + sim.arguments + ["--seed", String(seed), "--db", db]
  }

  public func run() throws {
    let job: BacktestJob
    do { job = try self.job() } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
    if watch { return try runWatching(job) }
    do {
      let outcome = try job.run()
      // The strategy's failure came first: a report that then cannot be written must not hide it.
      do { try report(outcome, job: job) } catch let reportError where outcome.result.error != nil {
        printError("error: \(reportError)")
      }
      if let error = outcome.result.error {
        printError("error: \(error)")
        throw ExitCode(1)
      }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }

  private func report(_ outcome: BacktestJob.Outcome, job: BacktestJob) throws {
    print(SummaryTable.render(outcome.result, metrics: outcome.metrics))
    print(String(format: "ran %d candles in %.2f s", outcome.result.candles, outcome.seconds))
    if let run = outcome.savedRun { print("saved as run \(run) in \(db)") }
    let tearsheet = Tearsheet(
      outcome.result, prices: outcome.prices, regimes: outcome.regimes,
      sessions: job.riskConfig?.sessions ?? .standard)
    if let json {
      try ResultJSON.withUTF8Parts(
        outcome.result, metrics: outcome.metrics, tearsheet: tearsheet,
        reproduce: outcome.reproduce, trades: outcome.tradesJSON
      ) { parts in
        try OutputFile.write(parts: parts, to: json, durable: false)
      }
      print("json: \(json)")
    }
    if let html {
      try OutputFile.write(
        HTMLReport.render(
          outcome.result, metrics: outcome.metrics, prices: outcome.prices, tearsheet: tearsheet,
          reproduce: outcome.reproduce?.json),
        to: html, durable: false)
      print("html: \(html)")
    }
  }

  /// Re-runs on every change of the script, a plugin or the params file; prints how the metrics
  /// moved. An edit that fails to load prints its error and keeps watching.
  private func runWatching(_ job: BacktestJob) throws {
    let session = BacktestWatch(
      job: job,
      firstReport: { outcome in
        var text = SummaryTable.render(outcome.result, metrics: outcome.metrics)
        text += String(
          format: "\nran %d candles in %.2f s", outcome.result.candles, outcome.seconds)
        return text
      })
    while true {
      print(session.runOnce())
      print("watching \(session.watchedFiles.joined(separator: ", ")) — Ctrl-C to stop")
      fflush(nil)  // flush stdout too: a pipe is block-buffered, and each run should show as it ends
      let changed = session.waitForChange()
      print("\nchanged: \(changed.joined(separator: ", ")) — re-running")
    }
  }
}
