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
  @Option(help: "Taker fee in basis points of notional.") var feeBps: Double = 5.5
  @Option(help: "Bid-ask spread in basis points (half is paid per fill).") var spreadBps: Double =
    1.0
  @Option(help: "Slippage in basis points per market fill.") var slippageBps: Double = 2.0
  @Option(help: "Initial equity in quote currency.") var equity: Double = 10_000
  @Option(help: "Fraction of equity risked to the stop per trade.") var risk: Double = 0.01
  @Option(help: "Leverage cap used for sizing and margin.") var leverage: Double = 3
  @Option(help: "Funding rate per 8h for funding times without a stored rate (e.g. 0.0001).")
  var fundingRate: Double?
  @Option(help: "Probability that the venue rejects an order (seeded).") var rejectProb: Double = 0
  @Option(help: "Seed for simulated rejects (and the Lua math.random seed).") var seed: UInt64 = 1
  @Option(help: "Risk and cost config (TOML). Default: ./wick.toml when present.") var config:
    String?
  @Flag(help: "Ignore ./wick.toml: sizing and the mandatory stop only.") var noConfig = false
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
    func time(_ text: String?, _ flag: String) throws -> Int64? {
      guard let text else { return nil }
      guard let t = UTCTime.parse(text) else {
        throw WickError.invalidArgument(
          "\(flag) '\(text)': expected an ISO-8601 UTC time such as 2024-01-01 or 2024-01-01T12:00:00Z"
        )
      }
      return t
    }
    if symbol != nil && symbols != nil {
      throw WickError.invalidArgument("give --symbol or --symbols, not both")
    }
    for (name, v) in [
      ("--fee-bps", feeBps), ("--spread-bps", spreadBps), ("--slippage-bps", slippageBps),
    ] where !(v >= 0 && v < 1_000) {
      throw WickError.invalidArgument(
        "\(name) \(v): expected a number of basis points between 0 and 1000")
    }
    guard equity > 0, equity.isFinite else {
      throw WickError.invalidArgument("--equity \(equity): must be positive")
    }
    guard risk > 0, risk <= 0.05 else {
      throw WickError.invalidArgument("--risk \(risk): expected a fraction in (0, 0.05]")
    }
    guard leverage >= 1, leverage <= 100 else {
      throw WickError.invalidArgument("--leverage \(leverage): expected 1 to 100")
    }
    guard rejectProb >= 0, rejectProb < 1 else {
      throw WickError.invalidArgument("--reject-prob \(rejectProb): expected [0, 1)")
    }
    if let f = fundingRate, !(abs(f) < 0.05) {
      throw WickError.invalidArgument("--funding-rate \(f): expected a per-8h rate such as 0.0001")
    }
    // A config file enables the account, governor and absolute limits; its [costs] replace the
    // cost flags' defaults (flags given explicitly on the command line still win).
    var loaded: WickConfig? = nil
    if !noConfig,
      let path = config ?? (FileManager.default.fileExists(atPath: "wick.toml") ? "wick.toml" : nil)
    {
      loaded = try WickConfig.load(path: path)
    }
    var list: [String]? = symbol.map { [$0] }
    if let symbols {
      list = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
    return BacktestJob(
      strategyPath: strategy, symbols: list,
      timeframe: try timeframe.map { try Timeframe(parsing: $0) },
      exchange: exchange, from: try time(from, "--from"), to: try time(to, "--to"),
      paramsFile: paramsFile,
      paramAssignments: params,
      fills: loaded.map { costFills($0.costs) }
        ?? FillModel(takerFeeBps: feeBps, spreadBps: spreadBps, slippageBps: slippageBps),
      initialEquity: equity, riskPerTrade: risk, leverage: leverage, dbPath: db, riskConfig: loaded,
      fundingRate: fundingRate ?? loaded?.costs.fundingRate,
      rejectProbability: loaded?.costs.rejectProbability ?? rejectProb,
      seed: loaded?.costs.seed ?? seed,
      onLog: quiet
        ? nil : { line in FileHandle.standardError.write(Data(("log " + line + "\n").utf8)) },
      save: save, recordPrices: html != nil)
  }

  /// Costs from the config, with any cost flag given on the command line taking precedence.
  private func costFills(_ c: CostsConfig) -> FillModel {
    let given = Set(CommandLine.arguments)
    return FillModel(
      takerFeeBps: given.contains("--fee-bps") ? feeBps : c.takerFeeBps, makerFeeBps: c.makerFeeBps,
      spreadBps: given.contains("--spread-bps") ? spreadBps : c.spreadBps,
      slippageBps: given.contains("--slippage-bps") ? slippageBps : c.slippageBps)
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
      try report(outcome)
      if let error = outcome.result.error {
        printError("error: \(error)")
        throw ExitCode(1)
      }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }

  private func report(_ outcome: BacktestJob.Outcome) throws {
    print(SummaryTable.render(outcome.result, metrics: outcome.metrics))
    print(String(format: "ran %d candles in %.2f s", outcome.result.candles, outcome.seconds))
    if let run = outcome.savedRun { print("saved as run \(run) in \(db)") }
    if let json {
      try write(Data(ResultJSON.encodeUTF8(outcome.result, metrics: outcome.metrics)), to: json)
      print("json: \(json)")
    }
    if let html {
      try write(
        Data(
          HTMLReport.render(outcome.result, metrics: outcome.metrics, prices: outcome.prices).utf8),
        to: html)
      print("html: \(html)")
    }
  }

  /// Writes through a temporary file and a rename: a report is never left half-written.
  private func write(_ data: Data, to path: String) throws {
    let url = URL(fileURLWithPath: path)
    try FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    let tmp = url.deletingLastPathComponent().appendingPathComponent(
      ".\(url.lastPathComponent).tmp")
    do {
      try data.write(to: tmp)
      guard rename(tmp.path, url.path) == 0 else {
        throw WickError.invalidFile(path: path, line: nil, reason: "rename failed")
      }
    } catch {
      try? FileManager.default.removeItem(at: tmp)
      throw WickError.invalidFile(
        path: path, line: nil, reason: "cannot write: \(error.localizedDescription)")
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
