import WickCore

/// One symbol's regime over a run, as WickCore's `RegimeClassifier` (the definition behind
/// `wick.regime`) reads it from the closed candles: kept as the times it changed, so a year of
/// 1m candles holds a few thousand entries, not half a million.
///
///     var tape = RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute)
///     for c in candles { tape.add(c) }
///     tape.regime(before: trade.entryTime)  // what a script's wick.regime said when it decided
public struct RegimeTape: Sendable {
  public let symbol: String
  private let timeframe: Int64
  private var classifier: RegimeClassifier
  /// Close times at which the regime became `codes[i]`; code 0 = not yet warm.
  private(set) var times: [Int64] = []
  private(set) var codes: [UInt8] = []

  public init(
    symbol: String, timeframe: Timeframe, parameters: RegimeParameters = RegimeParameters()
  ) {
    self.symbol = symbol
    self.timeframe = timeframe.milliseconds
    classifier = RegimeClassifier(parameters)
  }

  /// Feeds the next closed candle.
  @inline(__always) public mutating func add(_ c: Candle) {
    let code = Self.code(classifier.update(high: c.high, low: c.low, close: c.close))
    if code != codes.last {
      times.append(c.time + timeframe)
      codes.append(code)
    }
  }

  /// 1 + volatility × 3 + trend, each in its `allCases` order (a switch, not `allCases`: that
  /// builds an array on every candle).
  static func code(_ r: Regime?) -> UInt8 {
    guard let r else { return 0 }
    let v: UInt8
    switch r.volatility {
    case .low: v = 0
    case .normal: v = 1
    case .high: v = 2
    }
    let t: UInt8
    switch r.trend {
    case .up: t = 0
    case .down: t = 1
    case .range: t = 2
    }
    return 1 + v * 3 + t
  }

  /// The regime of the last candle closed at or before `time` (an entry fills at the open after
  /// the candle it was decided on: this is the regime the strategy saw); nil while warming up.
  public func regime(before time: Int64) -> (volatility: VolatilityRegime, trend: TrendRegime)? {
    let code = code(before: time)
    guard code > 0 else { return nil }
    let n = Int(code) - 1
    let trends = TrendRegime.allCases.count
    return (VolatilityRegime.allCases[n / trends], TrendRegime.allCases[n % trends])
  }

  /// The code (see `code(_:)`) of the last candle closed at or before `time`; 0 while warming up.
  func code(before time: Int64) -> UInt8 {
    var lo = 0
    var hi = times.count
    while lo < hi {  // first index with times[i] > time
      let mid = (lo + hi) / 2
      if times[mid] <= time { lo = mid + 1 } else { hi = mid }
    }
    return lo > 0 ? codes[lo - 1] : 0
  }
}
