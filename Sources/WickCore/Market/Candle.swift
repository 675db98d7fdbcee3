/// One OHLCV candle. `time` is the candle's open time in epoch milliseconds, UTC.
///
/// A candle is only ever handed to a strategy after it has closed (`time + timeframe`).
///
///     let c = Candle(time: 1_704_067_200_000, open: 100, high: 101, low: 99, close: 100.5, volume: 12)
public struct Candle: Hashable, Sendable {
  public var time: Int64
  public var open: Double
  public var high: Double
  public var low: Double
  public var close: Double
  public var volume: Double

  public init(time: Int64, open: Double, high: Double, low: Double, close: Double, volume: Double) {
    self.time = time
    self.open = open
    self.high = high
    self.low = low
    self.close = close
    self.volume = volume
  }

  /// Why this candle is not a valid OHLCV bar, or nil when it is.
  public var invalidReason: String? {
    for (name, v) in [
      ("open", open), ("high", high), ("low", low), ("close", close), ("volume", volume),
    ]
    where !v.isFinite {
      return "\(name) is not a finite number"
    }
    if open <= 0 || close <= 0 || low <= 0 { return "prices must be positive" }
    if volume < 0 { return "volume must not be negative" }
    if high < max(open, close) {
      return "high \(high) is below max(open, close) \(max(open, close))"
    }
    if low > min(open, close) { return "low \(low) is above min(open, close) \(min(open, close))" }
    return nil
  }
}

/// A candle tagged with the index of its symbol in a run's symbol list (no string on the hot path).
public struct SymbolCandle: Hashable, Sendable {
  public var symbol: Int
  public var candle: Candle
  public init(symbol: Int, candle: Candle) {
    self.symbol = symbol
    self.candle = candle
  }
}
