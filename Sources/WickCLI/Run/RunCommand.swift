import ArgumentParser
import Foundation
import GRDB
import WickCore
import WickData
import WickLive
import WickRisk

/// Set by SIGTERM/SIGINT; the runner stops between candles.
nonisolated(unsafe) private var stopSignal: sig_atomic_t = 0

/// `wick run STRATEGY.lua`: paper (default) or live trading on the exchange's closed candles.
public struct RunCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "run",
    abstract: "Trade a Lua strategy on live closed candles: paper (default) or live.",
    discussion: """
      Paper fills with the backtest's fill model on the live candles; --live trades on the \
      exchange (testnet unless --mainnet) with keys from the environment: WICK_BYBIT_API_KEY and \
      WICK_BYBIT_API_SECRET for --exchange bybit, WICK_BINANCE_API_KEY and \
      WICK_BINANCE_API_SECRET for --exchange binance. The same command after a crash resumes the \
      same run. The run also records its symbols' liquidations from the exchange's public \
      stream into the cache (--no-record-liquidations to skip).

      Without a strategy, --config starts every [[run]] entry of the file in one process under \
      one governor (see examples/wick.multi.toml).

      Examples:
        wick run strategies/ma_cross.lua --symbol BTCUSDT --timeframe 1m
        wick run --config wick.toml
      """)

  @Argument(help: "The strategy script (.lua); without it, --config runs every [[run]] entry.")
  var strategy: String?
  @Option(name: .customLong("symbol"), help: "Symbol to trade (repeatable).") var symbols:
    [String] = []
  @Option(help: "Candle timeframe, e.g. 1m, 5m, 4h.") var timeframe: String?
  @Option(name: .customLong("params"), help: "Params file (JSON or TOML), hot-reloaded.")
  var paramsFile: String?
  @Option(help: "Risk and cost config (TOML).") var config: String?
  @Flag(help: "Simulated fills on live candles (the default).") var paper = false
  @Flag(help: "Trade on the exchange.") var live = false
  @Option(help: "bybit or binance.") var exchange: String = "bybit"
  @Flag(help: "Exchange testnet (the default with --live).") var testnet = false
  @Flag(help: "Exchange mainnet (asks for confirmation on a terminal with --live).") var mainnet =
    false
  @Option(help: "REST base URL (e.g. a local mock).") var baseURL: String?
  @Option(help: "WebSocket base URL (e.g. a local mock); the exchange's stream paths are appended.")
  var wsURL: String?
  @Flag(
    inversion: .prefixedNo,
    help: ArgumentHelp(
      """
      Record the symbols' liquidations from the exchange's public stream into the cache, what \
      c.liquidations_long/_short read (the default; [data] record_liquidations = false in \
      --config turns it off).
      """))
  var recordLiquidations: Bool?
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Option(help: "Exit 0 after this many closed candles.") var stopAfter: Int?
  @Option(help: "Initial (paper) equity in quote currency.") var equity: Double = 10_000

  public init() {}

  func spec() throws -> RunSpec {
    guard let strategy else {
      throw WickError.invalidArgument(
        "give the strategy script, or --config wick.toml with [[run]] entries")
    }
    if paper && live { throw WickError.invalidArgument("give --paper or --live, not both") }
    if testnet && mainnet {
      throw WickError.invalidArgument("give --testnet or --mainnet, not both")
    }
    guard !symbols.isEmpty else { throw WickError.invalidArgument("give at least one --symbol") }
    guard let tfText = timeframe else {
      throw WickError.invalidArgument("give --timeframe, e.g. 1m")
    }
    if let n = stopAfter, n < 1 {
      throw WickError.invalidArgument("--stop-after \(n): expected at least 1")
    }
    guard equity > 0, equity.isFinite else {
      throw WickError.invalidArgument("--equity \(equity): must be positive")
    }
    var s = RunSpec(
      strategyPath: strategy, symbols: symbols, timeframe: try Timeframe(parsing: tfText))
    s.paramsFile = paramsFile
    s.configPath = config
    s.mode = live ? .live : .paper
    s.exchange = exchange
    guard ["bybit", "binance"].contains(exchange) else {
      throw WickError.invalidArgument("--exchange \(exchange): expected bybit or binance")
    }
    // Live defaults to testnet; paper reads mainnet market data unless told otherwise.
    s.testnet = live ? !mainnet : testnet
    s.baseURL = baseURL
    s.recordLiquidations =
      try recordLiquidations ?? config.map { try WickConfig.load(path: $0).recordLiquidations }
      ?? true
    s.wsURL = wsURL
    s.dbPath = db
    s.stopAfter = stopAfter
    s.initialEquity = equity
    return s
  }

  /// Live on mainnet is real money: a person must type the confirmation on a terminal.
  static func confirmMainnet(exchange: String) throws {
    guard isatty(STDIN_FILENO) != 0 else {
      throw WickError.invalidArgument(
        "--live --mainnet needs confirmation on a terminal (stdin is not one)")
    }
    print(
      "Live trading on \(["bybit": "Bybit", "binance": "Binance"][exchange] ?? "several exchanges'") MAINNET with real funds. Type 'mainnet' to continue: ",
      terminator: "")
    fflush(nil)
    guard readLine()?.trimmingCharacters(in: .whitespaces) == "mainnet" else {
      throw WickError.invalidArgument("not confirmed: nothing was sent")
    }
  }

  @Sendable static func printLine(_ line: String) {
    print(line)
    fflush(nil)
  }

  /// SIGTERM/SIGINT set a flag the runners check between candles.
  static func listenForStop() -> () -> Bool {
    signal(SIGTERM) { _ in stopSignal = 1 }
    signal(SIGINT) { _ in stopSignal = 1 }
    // A parent may have started us with these blocked (the mask is inherited): a runner that
    // cannot hear SIGTERM could not stop cleanly.
    var unblock = sigset_t()
    sigemptyset(&unblock)
    sigaddset(&unblock, SIGTERM)
    sigaddset(&unblock, SIGINT)
    sigprocmask(SIG_UNBLOCK, &unblock, nil)
    return { stopSignal != 0 }
  }

  public func run() throws {
    LiveAdapters.install()
    if strategy == nil, config != nil { return try runGroup() }
    do {
      let spec = try spec()
      if spec.mode == .live {
        _ = try LiveCredentials.fromEnvironment(exchange: spec.exchange)
        if !spec.testnet { try Self.confirmMainnet(exchange: spec.exchange) }
      }
      let runner = try Runner(
        spec: spec,
        output: { line in
          print(line)
          fflush(nil)
        })
      runner.shouldStop = Self.listenForStop()
      let notifier = try NotifyCommand.dispatcher(
        configPath: spec.configPath, ledger: runner.ledger, output: Self.printLine)
      runner.notifications = notifier?.routes
      runner.onNotify = notifier?.wake
      let id = try runner.prepare()
      print("run: \(id)\(runner.resumed ? " (resumed)" : "")")
      fflush(nil)
      NotifyCommand.serve(notifier, ledger: runner.ledger, runs: [id], output: Self.printLine)
      notifier?.start()
      // What is due is given a few seconds to go out; the rest waits in the outbox.
      defer { notifier?.stop(drain: 3) }
      let ending: Runner.Ending
      do { ending = try runner.run() } catch {
        // Resumable by the same command once the cause is fixed (not 'failed', which is final).
        try? runner.markStopped(error: "\(error)")
        throw error
      }
      if case .halted(let why) = ending { print("halted: \(why)") }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    } catch let error as DatabaseError {
      printError(databaseFailure(error))
      throw ExitCode(1)
    }
  }
}
