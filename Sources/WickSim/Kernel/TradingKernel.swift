import WickCore

/// The event loop shared by backtest, paper and live: closed candles in, strategy dispatch,
/// intents through the risk gate, orders to a `Venue`, fills into the `Book`. For each candle
/// time (`handle(time:slice:)`):
///
/// 1. the venue charges funding up to this time; the risk layer advances (daily resets,
///    emergency flattening);
/// 2. the venue executes orders decided on earlier candles at this candle's **open** (exits
///    first, then entries, pairs only when both legs have a candle), then stops, takes and
///    liquidation within this candle's range;
/// 3. the candle is closed: prices, history and trailing stops update, equity is marked;
/// 4. the strategy sees the closed candle(s) and may leave intents for the **next** open;
/// 5. the journal (if any) commits the decisions — write-ahead — and only then the venue sends.
///
/// Nothing in step 4 can affect fills of the same candle: no lookahead by construction. The
/// kernel knows nothing of where candles come from (`CandleSource`: the cache, a live stream) or
/// where orders go (`Venue`): `BacktestEngine` drives it over the cache with `SimulatedVenue`;
/// the paper and live runners drive it from the exchange's stream.
public final class TradingKernel {
  public let symbols: [String]
  public let timeframe: Timeframe
  public let initialEquity: Double
  public let risk: RiskGate
  public private(set) var strategy: Strategy
  public let venue: Venue
  public let book: Book
  /// Decision hooks (paper and live persist them; `wick replay` compares them). Nil in backtests.
  public weak var journal: KernelJournal? { didSet { journaled = journal != nil } }
  /// Whether a journal was set: the per-candle commit checks this plain flag rather than loading
  /// the weak reference on every candle of a backtest, which has none.
  private var journaled = false
  /// Called with every closed trade as the book records it (a backtest's `--json` formats them
  /// on another core meanwhile).
  public var onTradeClosed: ((Trade) -> Void)?

  /// The base timeframe's history per symbol and the closed candles each has seen.
  let histories: CandleRings
  /// Closed candles seen per symbol.
  public var candlesSeen: [Int] {
    Array(UnsafeBufferPointer(start: histories.seen, count: histories.symbolCount))
  }
  public internal(set) var now: Int64 = 0
  var refusals: [String: Int] = [:]
  var tracker: EquityTracker
  var candleCount = 0
  public internal(set) var firstTime: Int64?
  public internal(set) var lastTime: Int64?
  var bars: [Candle]
  var missingBars = 0
  /// While true, entries are refused ("paused") but positions, exits and stops are managed.
  public var entriesPaused = false
  /// `[schedule] eval_every`: the strategy decides only on candles whose close time lies on this
  /// grid (TradingKernel+Schedule.swift). Nil: on every candle.
  public var decisionGrid: Timeframe?
  /// Open interest, long/short ratio and liquidations the strategy reads on its candles (set
  /// before the run; the strategy reads it once at start).
  public var candleExtras: CandleExtras?
  /// True while the strategy sees a candle off the decision grid: its intents are suppressed.
  public internal(set) var offSchedule = false
  /// Set when the strategy failed: it is no longer called; the book and the venue carry on.
  public private(set) var strategyError: String?
  /// Per symbol: the other leg of the pair last accepted on it (-1: its last entry was not a
  /// pair leg). Two symbols naming each other are one pair: one position toward
  /// `max_concurrent_positions` (`pairedUnits`).
  var pairPartner: [Int]

  /// The current time slice, `slice[0..<sliceCount]`: room for one candle per symbol, allocated
  /// once and owned here, so handing it to the venue costs no reference counting.
  let slice: UnsafeMutableBufferPointer<SymbolCandle>
  var sliceCount = 0

  public init(
    symbols: [String], timeframe: Timeframe, initialEquity: Double, historyDepth: Int,
    chartPoints: Int = 2_000, strategy: Strategy, risk: RiskGate, venue: Venue
  ) {
    self.symbols = symbols
    self.timeframe = timeframe
    self.initialEquity = initialEquity
    self.strategy = strategy
    self.risk = risk
    self.venue = venue
    let n = symbols.count
    book = Book(symbols: symbols, cash: initialEquity)
    pairPartner = Array(repeating: -1, count: n)
    histories = CandleRings(symbols: n, capacity: historyDepth)
    tracker = EquityTracker(initialEquity: initialEquity, chartLimit: chartPoints)
    bars = Array(
      repeating: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0), count: n)
    slice = .allocate(capacity: n)
    slice.initialize(
      repeating: SymbolCandle(
        symbol: 0, candle: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0)))
    book.listener = self
    book.lotRules = symbols.indices.map { risk.lotRules(symbol: $0) }
    venue.attach(book: self.book)
  }

  deinit { slice.deallocate() }

  /// Several timeframes: nil for a single-timeframe strategy, whose loop checks only
  /// `multiTimeframe` (TradingKernel+Timeframes.swift).
  var higher: HigherTimeframes?
  var multiTimeframe = false
  /// Higher-timeframe series read from the cache, by timeframe and symbol (`useStored`).
  var storedHigher: [Timeframe: [Int: [Candle]]] = [:]
  /// Paper and live: picks the higher candle to deliver in place of the one resampled from the
  /// base series, once it is due (the exchange's own kline, else a stored one, else the
  /// resampled one). Called with the timeframe index (≥ 1), the symbol and the resampled candle.
  public var chooseHigher: ((_ timeframe: Int, _ symbol: Int, _ resampled: Candle) -> Candle)?

  /// Calls the strategy's `init` (after setting up its higher timeframes, if it declares any).
  /// Throws a script error as `WickError.script`, a timeframe the run cannot build as
  /// `WickError.invalidArgument`.
  public func start() throws {
    try setUpTimeframes()
    try strategy.start(host: self)
  }

  /// Replaces the strategy (a hot-reload wrapper swaps versions itself; this is for a runner that
  /// builds a new one). Call between two candles.
  public func replaceStrategy(_ s: Strategy) { strategy = s }

  /// Handles the candles of one time. `slice[0..<count]` are the candles of `time`, one per
  /// symbol at most. A strategy error is thrown after the venue has executed and the journal has
  /// committed what the strategy decided before failing.
  public func handle(time: Int64, slice incoming: UnsafeBufferPointer<SymbolCandle>) throws {
    guard incoming.count <= slice.count else {
      throw WickError.data("more candles than symbols at \(UTCTime.iso(time))")
    }
    for k in 0..<incoming.count { slice[k] = incoming[k] }
    sliceCount = incoming.count
    try processSlice(time: time, strategy: strategy)
  }

  /// The backtest loop's entry: the slice is already in `slice[0..<sliceCount]`. The caller
  /// passes `strategy` (the kernel's own), which it holds across the whole loop: the per-candle
  /// path then retains and releases nothing.
  func processSlice(time: Int64, strategy: Strategy) throws {
    now = time
    if firstTime == nil { firstTime = time }
    lastTime = time
    venue.beginSlice(time: time)
    for (symbol, reason) in risk.advance(to: time, portfolio: self)
    where book.positions[symbol] != nil {
      let note = "risk: \(reason)"
      venue.submit(exit: symbol, reason: note)
      journal?.exitRequested(symbol: symbol, reason: note, time: time)
    }
    let candles = UnsafeBufferPointer(rebasing: slice[0..<sliceCount])
    venue.execute(slice: candles, time: time)
    // Only this time's candles: a symbol without a candle now keeps its last state.
    for c in candles { closeCandle(symbol: c.symbol, candle: c.candle) }
    let exposed = book.openCount > 0
    candleCount += sliceCount
    tracker.record(
      time: time, closeTime: time + timeframe.milliseconds, equity: book.markedEquity(),
      exposed: exposed)
    if let grid = decisionGrid { offSchedule = !grid.isAligned(time + timeframe.milliseconds) }
    var failure: Error? = nil
    if strategyError == nil {
      do {
        if multiTimeframe {
          try deliverTimeframes(time: time, candles: candles, strategy: strategy)
        } else if strategy.wantsBars {
          try deliverBars(time: time, strategy: strategy)
        } else {
          for c in candles { try strategy.onCandle(symbol: c.symbol, candle: c.candle, host: self) }
        }
      } catch {
        failure = error
      }
    }
    if journaled, let journal {
      try journal.commit(time: time)
    }
    try venue.send()
    if let failure { throw failure }
  }

  /// Stops calling the strategy (a script error or a tripped sandbox limit in a live runner):
  /// positions stay open under their stops, the venue keeps executing exits and stops.
  public func haltStrategy(reason: String) { strategyError = reason }

  /// on_bars runs only when every symbol has its candle for `time`; a missing one is counted and
  /// reported, never filled in.
  func deliverBars(time: Int64, strategy: Strategy) throws {
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
    book.setLastPrice(symbol: symbol, c.close)
    book.observe(symbol: symbol, candle: c)
    histories.append(symbol: symbol, c)
    // Trailing stops follow the best close by the trail distance, effective from the next candle.
    // Flat books and untrailed positions stop at the first test, without copying a position.
    guard let trail = book.trail(symbol: symbol), let p = book.positions[symbol] else { return }
    let candidate = c.close - p.side.sign * trail
    if let stop = p.stop, (candidate - stop) * p.side.sign <= 0 { return }
    book.moveStop(symbol: symbol, to: candidate)
    venue.stopMoved(symbol: symbol, to: candidate)
  }

  /// Cash plus unrealised PnL at the last closes.
  @inline(__always) func markedEquity() -> Double { book.markedEquity() }

  /// Closes every open position at its last close (the end of a backtest's data).
  public func closeAll(reason: ExitReason, note: String? = nil) {
    guard let lastTime else { return }
    let closeTime = lastTime + timeframe.milliseconds
    for i in book.positions.indices where book.positions[i] != nil {
      venue.closeNow(
        symbol: i, price: book.lastPrices[i], time: closeTime, reason: reason, note: note)
    }
  }

  func count(_ refusal: Refusal) {
    refusals[refusal.code, default: 0] += 1
  }

  /// Refusals so far, counted by code.
  public var refusalCounts: [String: Int] { refusals }
  /// Candle-slot count and the equity tracker's state, for results and snapshots.
  public var candlesHandled: Int { candleCount }

  /// What the run produced so far (a backtest calls this at the end of its data).
  public func result(
    strategyName: String, params: [(name: String, value: ParamValue)], error: String?
  )
    -> BacktestResult
  {
    var limits = risk.limitsInForce
    if missingBars > 0 {
      limits.append("on_bars skipped \(missingBars) times with a symbol's candle missing")
    }
    var result = BacktestResult(
      strategy: strategyName, params: params, symbols: symbols,
      timeframe: timeframe,
      candles: candleCount, firstTime: firstTime, lastTime: lastTime,
      initialEquity: initialEquity,
      finalEquity: book.cash, trades: book.trades, equity: tracker.chartWithLast,
      dailyEquity: tracker.daily,
      maxDrawdown: tracker.maxDrawdown,
      exposure: tracker.times > 0 ? Double(tracker.exposedTimes) / Double(tracker.times) : 0,
      refusals: refusals, logs: logLines, limitsInForce: limits, error: error)
    result.limitOrders = book.limitStats
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

extension TradingKernel: BookListener {
  public func positionOpened(_ position: Position, symbol: Int, time: Int64) {
    risk.recordOpen(position, time: time)
    journal?.positionOpened(position, symbol: symbol, time: time)
  }

  public func positionClosed(_ trade: Trade, symbol: Int, time: Int64) {
    risk.recordClose(trade, symbol: symbol, time: time, portfolio: self)
    journal?.positionClosed(trade, symbol: symbol, time: time)
    onTradeClosed?(trade)
  }

  public func positionIncreased(
    _ position: Position, by fill: Execution, qty: Double, symbol: Int, time: Int64
  ) {
    journal?.positionIncreased(position, by: fill, qty: qty, symbol: symbol, time: time)
  }

  public func positionReduced(_ trade: Trade, symbol: Int, time: Int64) {
    risk.recordClose(trade, symbol: symbol, time: time, portfolio: self)
    journal?.positionClosed(trade, symbol: symbol, time: time)
    onTradeClosed?(trade)
  }

  public func limitOrderEnded(symbol: Int, status: String, time: Int64) {
    journal?.limitOrderEnded(symbol: symbol, status: status, time: time)
  }

  public func venueRefused(_ refusal: Refusal, symbol: Int?, time: Int64) {
    count(refusal)
    journal?.venueRefused(refusal, symbol: symbol, time: time)
  }

  public func venueClosing(symbol: Int, clientOrderID: String) {
    journal?.venueClosing(symbol: symbol, clientOrderID: clientOrderID)
  }

  public func fundingApplied(symbol: Int, settlement: FundingRate, amount: Double, time: Int64) {
    journal?.fundingCharged(symbol: symbol, settlement: settlement, amount: amount, time: time)
  }

  public func cashAdjusted(amount: Double, detail: String, time: Int64) {
    journal?.cashAdjusted(amount: amount, detail: detail, time: time)
  }
}

/// What a runner records about the kernel's decisions. Every call happens on the kernel's thread,
/// in order; `commit` ends each candle time, before the venue transmits anything.
public protocol KernelJournal: AnyObject {
  /// An entry intent and the host's answer (accepted with its size, or refused with the reason).
  func entryDecided(_ intent: OrderIntent, outcome: IntentOutcome, time: Int64)
  /// A pair entry and the host's answer; `qtyShort` is the short leg's size as sized (the
  /// accepted `qty` is the long leg's), 0 when refused.
  func pairDecided(_ pair: PairIntent, outcome: IntentOutcome, qtyShort: Double, time: Int64)
  /// An exit asked by the strategy or forced by the risk layer.
  func exitRequested(symbol: Int, reason: String?, time: Int64)
  /// A partial exit asked by the strategy (`ctx:exit{fraction = ...}`).
  func partialExitRequested(symbol: Int, fraction: Double, reason: String?, time: Int64)
  /// The strategy cancelled an unfilled entry (`ctx:cancel`).
  func entryCancelled(symbol: Int, time: Int64)
  /// The venue filled an add (`add = true`); `position` is the combined one.
  func positionIncreased(
    _ position: Position, by fill: Execution, qty: Double, symbol: Int, time: Int64)
  /// A resting limit entry left the venue unfilled (`status`: "expired").
  func limitOrderEnded(symbol: Int, status: String, time: Int64)
  /// The venue filled an entry.
  func positionOpened(_ position: Position, symbol: Int, time: Int64)
  /// The venue closed a position (exit, stop, take, liquidation).
  func positionClosed(_ trade: Trade, symbol: Int, time: Int64)
  /// The venue refused an order.
  func venueRefused(_ refusal: Refusal, symbol: Int?, time: Int64)
  /// The venue closes `symbol` next with its own order `clientOrderID` (`BookListener`).
  func venueClosing(symbol: Int, clientOrderID: String)
  /// The candles of `time` are handled: persist decisions, order rows and state now. Throwing
  /// stops the kernel before the venue sends anything.
  func commit(time: Int64) throws
  /// The venue charged or paid funding (listed settlements: paper and live runs).
  func fundingCharged(symbol: Int, settlement: FundingRate, amount: Double, time: Int64)
  /// A live venue moved cash to match the exchange's wallet.
  func cashAdjusted(amount: Double, detail: String, time: Int64)
}

extension KernelJournal {
  public func partialExitRequested(symbol: Int, fraction: Double, reason: String?, time: Int64) {}
  public func entryCancelled(symbol: Int, time: Int64) {}
  public func positionIncreased(
    _ position: Position, by fill: Execution, qty: Double, symbol: Int, time: Int64
  ) {}
  public func limitOrderEnded(symbol: Int, status: String, time: Int64) {}
  public func fundingCharged(symbol: Int, settlement: FundingRate, amount: Double, time: Int64) {}
  public func cashAdjusted(amount: Double, detail: String, time: Int64) {}
  public func venueClosing(symbol: Int, clientOrderID: String) {}
}
