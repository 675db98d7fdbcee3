import Foundation
import WickCore
import WickData
import WickLua
import WickReport
import WickRisk
import WickSim

/// One backtest from a script and the candle cache to a result: the wiring behind
/// `wick backtest`, kept out of the command so tests and `--watch` call it directly.
struct BacktestJob {
  var strategyPath: String
  /// The script's text when already read (a sweep reads it once, so every set runs the same
  /// version even if the file is edited meanwhile); nil reads `strategyPath`.
  var strategySource: String? = nil
  var symbols: [String]?
  var timeframe: Timeframe?
  var exchange: String?
  var from: Int64?
  var to: Int64?
  var paramsFile: String?
  var paramAssignments: [String] = []
  /// Params applied after the params file and `--param` (`wick reproduce`: the recorded ones).
  var paramOverrides: [(name: String, value: ParamValue, source: String)] = []
  var fills = FillModel()
  var initialEquity = 10_000.0
  var riskPerTrade = 0.01
  var leverage = 3.0
  var dbPath = CandleStore.defaultPath
  /// A risk config turns on the accounts, governor and caps (like freqtrade's
  /// --enable-protections); without one only sizing and the mandatory stop apply.
  var riskConfig: WickConfig?
  /// Where `riskConfig` was read: its `[[run]]` entries' paths are relative to it.
  var riskConfigPath: String?
  /// Funding per 8h when no rate is stored for a funding time (nil: stored rates only).
  var fundingRate: Double?
  var rejectProbability = 0.0
  var seed: UInt64 = 1
  var onLog: ((String) -> Void)?
  /// Persist the run (accounts, orders, fills, positions, equity, daily PnL, incidents) into the
  /// ledger tables of the cache file.
  var save = false
  /// Bucket each symbol's candles for the HTML report's price chart while they stream past.
  var recordPrices = false
  /// Format the trades for `--json` on another core while the simulation runs.
  var streamTradesJSON = false
  /// The `wick backtest` arguments that repeat this run, recorded in `Outcome.reproduce`.
  var rerunArguments: [String] = []

  struct Outcome {
    var result: BacktestResult
    var metrics: Metrics
    /// Files the strategy read (script and plugins), for `--watch`.
    var sourceFiles: [String]
    var seconds: Double
    /// The ledger run id when `save` was on.
    var savedRun: Int64?
    /// Per symbol, the decimated prices for the report's chart (when `recordPrices` was on).
    var prices: [PriceBuckets] = []
    /// Per symbol, the regime over the candles (when `recordPrices` was on), for attribution.
    var regimes: [RegimeTape] = []
    /// The trades' JSON, written during the run (when `streamTradesJSON` was on).
    var tradesJSON: TradeJSONStream?
    /// The inputs as applied, hashed and fingerprinted: `"reproduce"` in the result.
    var reproduce: Reproduce? = nil
  }

  /// Loads the script with its params; throws on any script or params error. `extra` values
  /// (a sweep's parameter set) apply after the params file and `--param`.
  func loadStrategy(extra: [(name: String, value: ParamValue, source: String)] = []) throws
    -> LuaStrategy
  {
    var overrides: [(name: String, value: ParamValue, source: String)] = []
    if let paramsFile { overrides += try ParamsFile.load(path: paramsFile) }
    overrides += try paramAssignments.map(parseParamAssignment)
    overrides += paramOverrides
    overrides += extra
    let sandbox = riskConfig?.sandbox ?? SandboxConfig()
    return try LuaStrategy(
      path: strategyPath, source: strategySource, overrides: overrides, symbols: symbols,
      limits: LuaLimits(sandbox: sandbox, randomSeed: Int(truncatingIfNeeded: seed)),
      sessions: riskConfig?.sessions ?? .standard)
  }

  /// The series a run reads, resolved against the cache, and their funding rates: what a sweep
  /// resolves once and shares between all its parameter sets.
  struct Market: Sendable {
    var symbols: [String]
    var timeframe: Timeframe
    var keys: [SeriesKey]
    var rates: [[FundingRate]]
    /// Higher timeframes of a multi-timeframe strategy found in the cache, by timeframe and
    /// symbol index: preferred over resampling the base series.
    var stored: [Timeframe: [Int: [Candle]]] = [:]
    /// Open interest, long/short ratios and liquidations stored for the symbols (nil: none).
    var extras: CandleExtras? = nil
  }

  func market(for strategy: LuaStrategy, store: CandleStore) throws -> Market {
    let symbols = self.symbols ?? strategy.manifest.symbols
    guard let tf = timeframe ?? strategy.manifest.timeframe else {
      throw WickError.invalidArgument("\(strategyPath) declares no timeframe: pass --timeframe")
    }
    if let from, let to, from >= to {
      throw WickError.invalidArgument(
        "--from \(UTCTime.iso(from)) must be before --to \(UTCTime.iso(to))")
    }
    let keys = try symbols.map {
      try store.resolveSeries(symbol: $0, timeframe: tf, exchange: exchange)
    }
    // Funding: rates fetched into the cache for the series' exchange, else the constant.
    let rates = try keys.map {
      try store.fundingRates(exchange: $0.exchange, symbol: $0.symbol, from: from, to: to)
    }
    return Market(
      symbols: symbols, timeframe: tf, keys: keys, rates: rates,
      stored: try storedHigherTimeframes(strategy.timeframes.dropFirst(), keys: keys, store: store),
      extras: try store.candleExtras(series: keys, from: from, to: to))
  }

  /// The higher timeframes the cache holds for the base series' exchange, over the run's range
  /// (from one higher candle before `from`, so the first one closing in the range is there).
  func storedHigherTimeframes(
    _ timeframes: ArraySlice<Timeframe>, keys: [SeriesKey], store: CandleStore
  ) throws -> [Timeframe: [Int: [Candle]]] {
    guard !timeframes.isEmpty else { return [:] }
    let stored = Set(try store.seriesKeys())
    var out: [Timeframe: [Int: [Candle]]] = [:]
    for tf in timeframes {
      for (i, base) in keys.enumerated() {
        let key = SeriesKey(exchange: base.exchange, symbol: base.symbol, timeframe: tf)
        guard stored.contains(key) else { continue }
        let cursor = try store.cursor(series: key, from: from.map { $0 - tf.milliseconds }, to: to)
        var candles: [Candle] = []
        while let c = try cursor.next() { candles.append(c) }
        if !candles.isEmpty { out[tf, default: [:]][i] = candles }
      }
    }
    return out
  }

  /// The config's schedule for this backtest: that of the `[[run]]` entry running this strategy
  /// on these symbols and timeframe (its own `[run.schedule]`), else the top-level `[schedule]`.
  func schedule(market: Market) throws -> ScheduleConfig? {
    guard let riskConfig else { return nil }
    guard let path = riskConfigPath else { return riskConfig.schedule }
    return try riskConfig.schedule(
      strategy: strategyPath, symbols: market.symbols, timeframe: market.timeframe,
      configPath: path)
  }

  /// Runs `strategy` over `source` with this job's costs, funding and risk: the one path from a
  /// loaded strategy to a result, shared by `wick backtest` and `wick optimize`.
  func simulate(
    _ strategy: LuaStrategy, market: Market, source: CandleSource,
    onTradeClosed: ((Trade) -> Void)? = nil
  ) throws -> (result: BacktestResult, risk: RiskGate) {
    let symbols = market.symbols
    let rates = market.rates
    let funding: FundingModel? =
      rates.contains { !$0.isEmpty } || fundingRate != nil
      ? FundingModel(rates: rates, constant: fundingRate) : nil
    var config = BacktestConfig(
      initialEquity: initialEquity, fills: fills, strategyName: strategy.name,
      params: strategy.params,
      timeframe: market.timeframe, historyDepth: max(strategy.warmup, 1), margin: MarginModel(),
      funding: funding,
      rejectProbability: rejectProbability, rejectSeed: seed)
    config.decisionGrid = try schedule(market: market)?.decisionGrid(timeframe: market.timeframe)
    let risk: RiskGate =
      riskConfig.map {
        RiskEngine(
          config: $0, strategy: strategy.name, symbols: symbols, initialEquity: initialEquity)
      }
      ?? FixedFractionSizer(riskPerTrade: riskPerTrade, leverage: leverage)
    let engine = BacktestEngine(config: config, symbols: symbols, strategy: strategy, risk: risk)
    for (tf, bySymbol) in market.stored {
      for (i, candles) in bySymbol {
        engine.kernel.useStored(timeframe: tf, symbol: i, candles: candles)
      }
    }
    engine.kernel.candleExtras = market.extras
    engine.onLog = onLog
    engine.kernel.onTradeClosed = onTradeClosed
    var result = try engine.run(source: source)
    result.logs = strategy.logs + result.logs
    result.limitsInForce.append(
      "isolated margin with Bybit maintenance tiers (liquidation before a stop beyond it)")
    if let funding {
      let stored = rates.map(\.count).reduce(0, +)
      result.limitsInForce.append(
        "funding at 00/08/16 UTC: \(stored) stored rates"
          + (funding.constant.map { ", else \($0) per 8h" } ?? ""))
    }
    let higher = strategy.timeframes.dropFirst()
    if !higher.isEmpty {
      result.limitsInForce.append(
        "timeframes "
          + strategy.timeframes.map(\.description).joined(separator: ", ")
          + ": "
          + higher.map {
            market.stored[$0] == nil
              ? "\($0) resampled from \(market.timeframe)" : "\($0) from the cache"
          }
          .joined(separator: ", ") + "; fills at the next \(market.timeframe) open")
    }
    if let grid = config.decisionGrid {
      result.limitsInForce.append(
        "decisions only on candles closing on the \(grid) UTC grid (eval_every)")
    }
    if rejectProbability > 0 {
      result.limitsInForce.append("random rejects p=\(rejectProbability) seed=\(seed)")
    }
    return (result, risk)
  }

  func run() throws -> Outcome {
    let started = Date()
    // Read once: the text hashed is the text run, even if the file is saved meanwhile.
    var job = self
    job.strategySource = try strategySource ?? ScriptText.read(path: strategyPath)
    let strategy = try job.loadStrategy()
    strategy.onLog = onLog
    let store = try CandleStore(path: dbPath)
    let market = try market(for: strategy, store: store)
    let fingerprints = try market.keys.map {
      FingerprintCursor(try store.cursor(series: $0, from: from, to: to))
    }
    var cursors: [CandleCursor] = fingerprints
    let recorders =
      recordPrices
      ? cursors.indices.map {
        PriceRecordingCursor(
          cursors[$0],
          prices: PriceBuckets(
            symbol: market.symbols[$0], timeframe: market.timeframe,
            capacity: PriceBuckets.interactiveCapacity),
          regimes: RegimeTape(symbol: market.symbols[$0], timeframe: market.timeframe))
      } : []
    if recordPrices { cursors = recorders }
    let tradesJSON = streamTradesJSON ? TradeJSONStream() : nil
    let (result, risk) = try simulate(
      strategy, market: market,
      source: MergedCandleSource(symbols: market.symbols, cursors: cursors),
      onTradeClosed: tradesJSON?.append)
    let symbols = market.symbols
    // The first failure wins: a script that failed before any candle (in init, say) reports its
    // own error, not the empty range that followed from it.
    if result.candles == 0, let error = result.error { throw WickError.script(error) }
    if result.candles == 0 {
      throw WickError.data(
        "no candles for \(symbols.joined(separator: ",")) \(market.timeframe) in the requested range of \(dbPath)"
      )
    }
    let metrics = Metrics.compute(result)
    let reproduce = try self.reproduce(
      strategy, script: job.strategySource!, market: market, params: result.params,
      candles: fingerprints.map(\.fingerprint))
    var runID: Int64? = nil
    if save {
      let accounts = (risk as? RiskEngine)?.accounts.map {
        Ledger.AccountRecord(
          name: $0.name, symbol: symbols[$0.symbol], allocation: $0.allocation, killed: $0.killed,
          killReason: $0.killReason)
      }
      runID = try Ledger(store: store).saveBacktest(
        result, metricsJSON: ResultJSON.metrics(metrics, reproduce: reproduce),
        paramsJSON: ResultJSON.params(result.params),
        accounts: accounts ?? [])
    }
    return Outcome(
      result: result, metrics: metrics, sourceFiles: strategy.sourceFiles,
      seconds: Date().timeIntervalSince(started),
      savedRun: runID, prices: recorders.map(\.prices), regimes: recorders.compactMap(\.regimes),
      tradesJSON: tradesJSON, reproduce: reproduce)
  }

  /// What the run applied and read, for `"reproduce"`.
  func reproduce(
    _ strategy: LuaStrategy, script: String, market: Market,
    params: [(name: String, value: ParamValue)], candles: [CandleFingerprint]
  ) throws -> Reproduce {
    Reproduce(
      arguments: rerunArguments, script: strategyPath, scriptSHA256: SHA256.hex(script),
      plugins: strategy.pluginTexts.map { ($0.key, SHA256.hex($0.value)) },
      config: riskConfigPath, configSHA256: try riskConfigPath.map { try SHA256.hex(file: $0) },
      params: params,
      costs: Reproduce.Costs(
        takerFeeBps: fills.takerFeeBps, makerFeeBps: fills.makerFeeBps,
        spreadBps: fills.spreadBps, slippageBps: fills.slippageBps,
        rejectProbability: rejectProbability, seed: seed, fundingRateConstant: fundingRate,
        fundingStoredRates: market.rates.map(\.count).reduce(0, +)),
      candles: zip(market.keys, candles).map {
        Reproduce.Series(
          exchange: $0.exchange, symbol: $0.symbol, timeframe: $0.timeframe, fingerprint: $1)
      })
  }
}
