/// The seam between the engine and strategy logic. The engine (backtest, paper, live) drives a
/// `Strategy`; `WickLua` implements it for scripts, tests implement it in plain Swift.
///
/// A strategy only ever sees closed candles, and acts through the `StrategyHost` it is given.
public protocol Strategy: AnyObject {
  /// Display name.
  var name: String { get }
  /// Candles per symbol replayed before intents are honoured.
  var warmup: Int { get }
  /// True when the strategy wants all symbols' candles of a time at once (`onBars`).
  var wantsBars: Bool { get }
  /// Called once before the first candle.
  func start(host: StrategyHost) throws
  /// Called for each closed candle of each symbol, in time order.
  func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws
  /// Called once per time when every symbol has its closed candle for that time (multi-symbol).
  func onBars(time: Int64, bars: UnsafeBufferPointer<Candle>, host: StrategyHost) throws

  // Several timeframes. The engine runs on the base timeframe (`timeframes[0]`, the run's);
  // a higher one's candles reach the strategy through the calls below once they have closed.

  /// The declared timeframes, base first; empty (or one) for a single-timeframe strategy.
  var timeframes: [Timeframe] { get }
  /// Candles of `timeframes[timeframe]` per symbol before intents are honoured (0 is `warmup`).
  func warmup(timeframe: Int) -> Int
  /// A closed candle of the higher timeframe `timeframes[timeframe]` (index ≥ 1).
  func onCandle(symbol: Int, timeframe: Int, candle: Candle, host: StrategyHost) throws
  /// Every symbol's closed candle of the higher timeframe `timeframes[timeframe]` opening at `time`.
  func onBars(time: Int64, timeframe: Int, bars: UnsafeBufferPointer<Candle>, host: StrategyHost)
    throws
}

extension StrategyHost {
  /// Hosts without partial exits close everything or nothing.
  public func exit(symbol: Int, fraction: Double, reason: String?) -> Bool {
    fraction >= 1 ? exit(symbol: symbol, reason: reason) : false
  }
  public func cancel(symbol: Int) -> Bool { false }
  public func orders(symbol: Int) -> [RestingOrder] { [] }
}

extension Strategy {
  public var wantsBars: Bool { false }
  public func onBars(time: Int64, bars: UnsafeBufferPointer<Candle>, host: StrategyHost) throws {}
  public var timeframes: [Timeframe] { [] }
  public func warmup(timeframe: Int) -> Int { timeframe == 0 ? warmup : 0 }
  public func onCandle(symbol: Int, timeframe: Int, candle: Candle, host: StrategyHost) throws {}
  public func onBars(
    time: Int64, timeframe: Int, bars: UnsafeBufferPointer<Candle>, host: StrategyHost
  ) throws {}
}

extension Strategy {
  /// How long before its first decision a run on `base` must start so that every timeframe
  /// has its warmup: for a higher timeframe one candle more, since the first may be partial.
  public func warmupSpan(base: Timeframe) -> Int64 {
    var span = Int64(max(warmup, 1)) * base.milliseconds
    for (k, tf) in timeframes.enumerated() where k > 0 {
      span = max(span, Int64(warmup(timeframe: k) + 1) * tf.milliseconds)
    }
    return span
  }
}

/// What the engine offers a strategy: the `ctx` of the Lua API.
public protocol StrategyHost: AnyObject {
  /// The run's symbols; intents and queries name a symbol by its index here.
  var symbols: [String] { get }
  /// Open time of the candle being handled.
  var now: Int64 { get }
  /// The open position of a symbol, if any.
  func position(symbol: Int) -> Position?
  /// Changes whenever any position opens, closes or has its stop moved: a strategy that mirrors
  /// positions (the Lua host does, so `ctx:position` needs no host call) re-reads only then.
  var positionsVersion: Int { get }
  /// Equity: cash plus unrealised PnL at the last closes.
  func equity() -> Double
  /// Propose an entry. Sized and checked by the risk layer; executed at the next open at the earliest.
  @discardableResult func enter(_ intent: OrderIntent) -> IntentOutcome
  /// Ask to close a symbol's position at the next open. Returns false when there is none.
  @discardableResult func exit(symbol: Int, reason: String?) -> Bool
  /// Ask to close `fraction` (0 < fraction ≤ 1) of a symbol's position at the next open.
  @discardableResult func exit(symbol: Int, fraction: Double, reason: String?) -> Bool
  /// Cancel the symbol's entry that has not filled (a resting limit, or a market entry waiting
  /// for the next open). Returns false when there is none.
  @discardableResult func cancel(symbol: Int) -> Bool
  /// The limit entries resting for a symbol.
  func orders(symbol: Int) -> [RestingOrder]
  /// The last `count` closed candles of a symbol, oldest first (at most the warmup).
  func history(symbol: Int, count: Int) -> [Candle]
  /// The same for `timeframes[timeframe]` of a multi-timeframe strategy (0 is the base).
  func history(symbol: Int, count: Int, timeframe: Int) -> [Candle]
  /// The run's (base) timeframe, when the host knows it: what `c.timeframe` says.
  var baseTimeframe: Timeframe? { get }
  /// Open interest, long/short ratio and liquidations per symbol, when the run has any: read
  /// once at `start`, never per candle.
  var candleExtras: CandleExtras? { get }
  /// A line for the run's log.
  func log(_ message: String)
  /// Pairs: enter both legs as one unit (both or neither).
  @discardableResult func enterPair(_ pair: PairIntent) -> IntentOutcome
  /// Pairs: exit both legs as one unit.
  @discardableResult func exitPair(long: Int, short: Int, reason: String?) -> Bool
}

extension StrategyHost {
  public func history(symbol: Int, count: Int, timeframe: Int) -> [Candle] {
    timeframe == 0 ? history(symbol: symbol, count: count) : []
  }
  public var baseTimeframe: Timeframe? { nil }
  public var candleExtras: CandleExtras? { nil }
}

/// Two legs entered together: long `long`, short `short`, the short leg sized `hedge` × the long
/// leg's quantity in price-weighted units.
public struct PairIntent: Sendable, Equatable {
  public var long: Int
  public var short: Int
  public var hedge: Double
  /// The spread z-score at entry and at the stop: risk is sized to their distance in spread units.
  public var entryZ: Double?
  public var stopZ: Double?
  /// Spread standard deviation in price units at entry (for sizing to stop_z).
  public var spreadStd: Double?
  public var risk: Double?
  public var tag: String?

  public init(
    long: Int, short: Int, hedge: Double, entryZ: Double? = nil, stopZ: Double? = nil,
    spreadStd: Double? = nil,
    risk: Double? = nil, tag: String? = nil
  ) {
    self.long = long
    self.short = short
    self.hedge = hedge
    self.entryZ = entryZ
    self.stopZ = stopZ
    self.spreadStd = spreadStd
    self.risk = risk
    self.tag = tag
  }
}
