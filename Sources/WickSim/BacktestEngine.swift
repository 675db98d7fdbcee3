import WickCore

/// The backtest event loop: closed candles in time order across symbols, one time slice at a
/// time. For each slice:
///
/// 1. the risk layer advances (daily resets, emergency flattening);
/// 2. orders decided on earlier candles fill at this candle's **open** (exits first, then entries,
///    pairs only when both legs have a candle);
/// 3. stops, takes and trailing stops are checked against this candle's range: a gap through a
///    level fills at the open, and when one candle touches both, the stop is taken first;
/// 4. the candle is closed: prices, history and trailing stops update, equity is marked;
/// 5. the strategy sees the closed candle(s) and may leave intents for the **next** open.
///
/// Nothing in step 5 can affect fills of the same candle: no lookahead by construction.
public final class BacktestEngine {
  public let config: BacktestConfig
  public let symbols: [String]
  let risk: RiskGate
  let strategy: Strategy

  // Per-symbol state, indexed by symbol; no dictionaries on the hot path.
  var positions: [Position?]
  var positionTags: [String?]
  /// Per open position: its liquidation price (0 when margin is off) and funding paid so far.
  var liquidationPrices: [Double]
  var positionFunding: [Double]
  var fundingCursors: [Int]
  var fundingCheckedUntil: Int64?
  var rejects: RandomRejects
  var pendingOrders: [PendingEntry?]
  var pendingExits: [String??]
  var lastPrices: [Double]
  var histories: [CandleHistory]
  var candlesSeen: [Int]
  var pendingPairs: [PendingPair] = []

  var cash: Double
  public internal(set) var positionsVersion = 0
  public internal(set) var now: Int64 = 0
  var trades: [Trade] = []
  var refusals: [String: Int] = [:]
  var tracker: EquityTracker
  var candleCount = 0
  var firstTime: Int64?
  var lastTime: Int64?
  var openPositionCount = 0

  // The current time slice.
  var slice: [SymbolCandle] = []
  var sliceCount = 0
  var bars: [Candle]
  var barsPresent: [Bool]
  var missingBars = 0

  public init(config: BacktestConfig, symbols: [String], strategy: Strategy, risk: RiskGate) {
    self.config = config
    self.symbols = symbols
    self.strategy = strategy
    self.risk = risk
    let n = symbols.count
    positions = Array(repeating: nil, count: n)
    positionTags = Array(repeating: nil, count: n)
    liquidationPrices = Array(repeating: 0, count: n)
    positionFunding = Array(repeating: 0, count: n)
    fundingCursors = Array(repeating: 0, count: n)
    rejects = RandomRejects(probability: config.rejectProbability, seed: config.rejectSeed)
    pendingOrders = Array(repeating: nil, count: n)
    pendingExits = Array(repeating: nil, count: n)
    lastPrices = Array(repeating: 0, count: n)
    histories = Array(repeating: CandleHistory(capacity: config.historyDepth), count: n)
    candlesSeen = Array(repeating: 0, count: n)
    cash = config.initialEquity
    tracker = EquityTracker(initialEquity: config.initialEquity, chartLimit: config.chartPoints)
    slice = Array(
      repeating: SymbolCandle(
        symbol: 0, candle: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0)), count: n
    )
    bars = Array(
      repeating: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0), count: n)
    barsPresent = Array(repeating: false, count: n)
  }

  /// Runs the strategy over `source` to the end, or until the strategy fails: then the result
  /// up to the failure is returned with `error` set (the caller decides the exit status).
  public func run(source: CandleSource) throws -> BacktestResult {
    var failure: String? = nil
    do {
      try strategy.start(host: self)
      var next = try source.next()
      while let first = next {
        slice[0] = first
        sliceCount = 1
        next = try source.next()
        while let c = next, c.candle.time == first.candle.time {
          guard sliceCount < slice.count else {
            throw WickError.data(
              "two candles for \(symbols[c.symbol]) at \(UTCTime.iso(c.candle.time)) in the source")
          }
          slice[sliceCount] = c
          sliceCount += 1
          next = try source.next()
        }
        try processSlice(time: first.candle.time)
      }
    } catch let error as WickError {
      guard case .script(let message) = error else { throw error }
      failure = message
    }
    closeAllAtEnd()
    return makeResult(error: failure)
  }

  private func processSlice(time: Int64) throws {
    now = time
    if firstTime == nil { firstTime = time }
    lastTime = time
    if config.funding != nil { chargeFunding(until: time) }
    for (symbol, reason) in risk.advance(to: time, portfolio: self) where positions[symbol] != nil {
      pendingExits[symbol] = .some("risk: \(reason)")
    }
    // Only slice[0..<sliceCount] is this time's: entries past it are an earlier slice's candles.
    for k in 0..<sliceCount { executeAtOpen(symbol: slice[k].symbol, candle: slice[k].candle) }
    if !pendingPairs.isEmpty { executePairsAtOpen() }
    for k in 0..<sliceCount { checkLevels(symbol: slice[k].symbol, candle: slice[k].candle) }
    for k in 0..<sliceCount { closeCandle(symbol: slice[k].symbol, candle: slice[k].candle) }
    let exposed = openPositionCount > 0
    candleCount += sliceCount
    tracker.record(
      time: time, closeTime: time + config.timeframe.milliseconds, equity: markedEquity(),
      exposed: exposed)
    if strategy.wantsBars {
      try deliverBars(time: time)
    } else {
      for k in 0..<sliceCount {
        try strategy.onCandle(symbol: slice[k].symbol, candle: slice[k].candle, host: self)
      }
    }
  }

  /// on_bars runs only when every symbol has its candle for `time`; a missing one is counted and
  /// reported, never filled in.
  private func deliverBars(time: Int64) throws {
    if sliceCount != symbols.count {
      missingBars += 1
      if missingBars <= 20 {
        let have = Set(slice.prefix(sliceCount).map(\.symbol))
        let missing = symbols.indices.filter { !have.contains($0) }.map { symbols[$0] }
        log(
          "on_bars skipped at \(UTCTime.iso(time)): no candle for \(missing.joined(separator: ", "))"
        )
      }
      return
    }
    for k in 0..<sliceCount { bars[slice[k].symbol] = slice[k].candle }
    try bars.withUnsafeBufferPointer { try strategy.onBars(time: time, bars: $0, host: self) }
  }

  @inline(__always) private func closeCandle(symbol: Int, candle c: Candle) {
    lastPrices[symbol] = c.close
    histories[symbol].append(c)
    candlesSeen[symbol] += 1
    // Trailing stops follow the best close by the trail distance, effective from the next candle.
    if let p = positions[symbol], let trail = p.trail {
      let candidate = c.close - p.side.sign * trail
      if let stop = p.stop {
        if (candidate - stop) * p.side.sign > 0 {
          positions[symbol]!.stop = candidate
          positionsVersion &+= 1
        }
      } else {
        positions[symbol]!.stop = candidate
        positionsVersion &+= 1
      }
    }
  }

  /// Cash plus unrealised PnL at the last closes.
  @inline(__always) func markedEquity() -> Double {
    guard openPositionCount > 0 else { return cash }
    var e = cash
    for i in positions.indices { if let p = positions[i] { e += p.unrealized(at: lastPrices[i]) } }
    return e
  }

  private func closeAllAtEnd() {
    guard let lastTime else { return }
    let closeTime = lastTime + config.timeframe.milliseconds
    for i in positions.indices where positions[i] != nil {
      close(symbol: i, at: lastPrices[i], time: closeTime, reason: .endOfData, note: nil)
    }
  }

  func count(_ refusal: Refusal) {
    refusals[refusal.code, default: 0] += 1
  }

  private func makeResult(error: String?) -> BacktestResult {
    var limits = risk.limitsInForce
    if missingBars > 0 {
      limits.append("on_bars skipped \(missingBars) times with a symbol's candle missing")
    }
    var result = BacktestResult(
      strategy: config.strategyName, params: config.params, symbols: symbols,
      timeframe: config.timeframe,
      candles: candleCount, firstTime: firstTime, lastTime: lastTime,
      initialEquity: config.initialEquity,
      finalEquity: cash, trades: trades, equity: tracker.chartWithLast, dailyEquity: tracker.daily,
      maxDrawdown: tracker.maxDrawdown,
      exposure: tracker.times > 0 ? Double(tracker.exposedTimes) / Double(tracker.times) : 0,
      refusals: refusals, logs: logLines, limitsInForce: limits, error: error)
    if let journal = risk as? RiskJournal {
      result.riskEvents = journal.events
      result.riskStates = journal.statePoints
    }
    return result
  }

  var logLines: [String] = []
  public var onLog: ((String) -> Void)?
  /// A line for the run's log (strategy `ctx:log` lines go through the strategy's own log).
  public func log(_ line: String) {
    if logLines.count < 10_000 { logLines.append(line) }
    onLog?(line)
  }
}

/// An accepted entry waiting for the next open.
struct PendingEntry {
  var intent: OrderIntent
  var qty: Double
}

/// An accepted pair entry waiting for a time at which both legs have a candle.
struct PendingPair {
  var intent: PairIntent
  var qtyLong: Double
  var qtyShort: Double
}
