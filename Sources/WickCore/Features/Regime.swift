/// How volatile the market is against its own recent past.
public enum VolatilityRegime: String, Sendable, CaseIterable {
  case low, normal, high
}

/// Whether the market trends, and which way.
public enum TrendRegime: String, Sendable, CaseIterable {
  case up, down, range
}

/// One candle's regime and the figures it was read from.
public struct Regime: Sendable, Equatable {
  public var volatility: VolatilityRegime
  public var trend: TrendRegime
  /// The share of the trailing window's ATRs (this one included) at or below this ATR: (0, 1].
  public var atrPercentile: Double
  /// TA-Lib ADX of the candles.
  public var adx: Double
  /// Relative change of the moving average over `slopePeriod` candles: (MAₜ − MAₜ₋ₖ) / MAₜ₋ₖ.
  public var slope: Double

  public init(
    volatility: VolatilityRegime, trend: TrendRegime, atrPercentile: Double, adx: Double,
    slope: Double
  ) {
    self.volatility = volatility
    self.trend = trend
    self.atrPercentile = atrPercentile
    self.adx = adx
    self.slope = slope
  }
}

/// The regime definitions' parameters (`wick.regime{...}` takes the same keys in snake_case).
public struct RegimeParameters: Sendable, Equatable {
  /// ATR period (Wilder, as TA-Lib ATR).
  public var atrPeriod = 14
  /// How many trailing ATR values (the current one included) the percentile ranks against.
  public var window = 100
  /// Volatility is `low` at or below this percentile, `high` above `highPercentile`.
  public var lowPercentile = 0.25
  public var highPercentile = 0.75
  /// ADX period (TA-Lib ADX).
  public var adxPeriod = 14
  /// ADX at or above which the market trends (Wilder's classic 25); below it is `range`.
  public var adxThreshold = 25.0
  /// Simple moving average of the close whose slope gives the trend's direction.
  public var maPeriod = 50
  /// Candles over which the slope is measured.
  public var slopePeriod = 10

  public init() {}

  /// nil when the parameters are usable; otherwise what is wrong, naming the Lua key.
  public var problem: String? {
    if atrPeriod < 1 || atrPeriod > 100_000 { return "atr_period must be between 1 and 100000" }
    if window < 2 || window > 100_000 { return "window must be between 2 and 100000" }
    if !(lowPercentile > 0 && lowPercentile < 1) {
      return "low_percentile must be between 0 and 1 (exclusive)"
    }
    if !(highPercentile > lowPercentile && highPercentile < 1) {
      return "high_percentile must be above low_percentile and below 1"
    }
    if adxPeriod < 2 || adxPeriod > 100_000 { return "adx_period must be between 2 and 100000" }
    if !(adxThreshold >= 0 && adxThreshold <= 100) {
      return "adx_threshold must be between 0 and 100"
    }
    if maPeriod < 1 || maPeriod > 100_000 { return "ma_period must be between 1 and 100000" }
    if slopePeriod < 1 || slopePeriod > 100_000 {
      return "slope_period must be between 1 and 100000"
    }
    return nil
  }
}

/// Streaming regime classifier over closed candles. O(log window) per update for the percentile
/// (a sorted copy of the trailing ATRs beside the ring; the slide that keeps it sorted is
/// usually short), no allocation after init; nil until every part is warm:
/// `atrPeriod + window` candles for volatility, `2·adxPeriod` for ADX and
/// `maPeriod + slopePeriod` for the slope.
///
/// - volatility: ATR(atrPeriod)'s percentile p among its last `window` values (itself
///   included): `low` when p ≤ lowPercentile, `high` when p > highPercentile, else `normal`.
/// - trend: `up` when ADX(adxPeriod) ≥ adxThreshold and the SMA(maPeriod) of the close rose
///   over the last `slopePeriod` candles, `down` when it fell, otherwise `range`.
///
/// `wick.regime{...}` in Lua and the report's regime attribution both use this type.
public struct RegimeClassifier: Sendable {
  public let parameters: RegimeParameters
  private var atr: WilderATR
  private var atrs: RankedWindow
  private var directional: DirectionalMovement
  private var closes: TrailingWindow
  private var closeSum = 0.0
  private var averages: TrailingWindow
  private var updates = 0
  /// The last regime; nil until warm.
  public private(set) var value: Regime?

  /// `parameters` must be valid (`parameters.problem == nil`).
  public init(_ parameters: RegimeParameters = RegimeParameters()) {
    precondition(parameters.problem == nil, parameters.problem ?? "")
    self.parameters = parameters
    atr = WilderATR(period: parameters.atrPeriod)
    atrs = RankedWindow(capacity: parameters.window)
    directional = DirectionalMovement(period: parameters.adxPeriod)
    closes = TrailingWindow(capacity: parameters.maPeriod)
    averages = TrailingWindow(capacity: parameters.slopePeriod + 1)
  }

  /// Feeds one closed candle; returns its regime, or nil while warming up.
  @discardableResult
  public mutating func update(high: Double, low: Double, close: Double) -> Regime? {
    let p = parameters
    let adx = directional.update(high: high, low: low, close: close)
    if let a = atr.update(high: high, low: low, close: close) { atrs.push(a) }
    if let dropped = closes.push(close) { closeSum -= dropped }
    closeSum += close
    updates += 1
    if updates % 65_536 == 0 { closeSum = closes.sum() }  // bound the running sum's drift
    if closes.isFull { averages.push(closeSum / Double(p.maPeriod)) }
    guard let adx, atrs.isFull, averages.isFull, let current = atr.value else {
      value = nil
      return nil
    }
    let percentile = Double(atrs.count(atMost: current)) / Double(p.window)
    let volatility: VolatilityRegime =
      percentile <= p.lowPercentile ? .low : percentile > p.highPercentile ? .high : .normal
    let then = averages.oldest
    let slope = then != 0 ? (averages.newest - then) / abs(then) : 0
    let trend: TrendRegime =
      adx < p.adxThreshold || slope == 0 ? .range : slope > 0 ? .up : .down
    value = Regime(
      volatility: volatility, trend: trend, atrPercentile: percentile, adx: adx, slope: slope)
    return value
  }
}

/// A copyable fixed-capacity ring of the last values (a value type, unlike `RingBuffer`, so
/// the structs that hold it stay plain values).
struct TrailingWindow: Sendable {
  private var values: [Double]
  private var head = 0  // index of the oldest value
  private(set) var count = 0

  init(capacity: Int) { values = Array(repeating: 0, count: capacity) }

  var isFull: Bool { count == values.count }
  var oldest: Double { values[head] }
  /// The i-th oldest value (0 = oldest).
  subscript(i: Int) -> Double { values[(head + i) % values.count] }
  var newest: Double { values[(head + count - 1) % values.count] }

  /// Appends `x`; when full, drops and returns the oldest value.
  @discardableResult
  mutating func push(_ x: Double) -> Double? {
    let capacity = values.count
    if count < capacity {
      values[(head + count) % capacity] = x
      count += 1
      return nil
    }
    let old = values[head]
    values[head] = x
    head = head + 1 == capacity ? 0 : head + 1
    return old
  }

  func sum() -> Double {
    var s = 0.0
    for i in 0..<count { s += values[(head + i) % values.count] }
    return s
  }
}
