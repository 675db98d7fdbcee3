/// A series beyond OHLCV that an exchange publishes on a fixed grid of its own
/// (`wick data fetch --open-interest`, `--long-short`).
public enum MarketMetric: Int, CaseIterable, Sendable, CustomStringConvertible {
  /// Open interest in the contract's base units, as the exchange reports it.
  case openInterest = 1
  /// Accounts holding longs over accounts holding shorts.
  case longShortRatio = 2

  /// The name in the cache listing and in the Lua candle (`c.open_interest`).
  public var description: String {
    switch self {
    case .openInterest: return "open_interest"
    case .longShortRatio: return "long_short_ratio"
    }
  }
}

/// One sample of a `MarketMetric`: the value the exchange stamped at `time` (epoch ms).
public struct MetricSample: Hashable, Sendable {
  public var time: Int64
  public var value: Double
  public init(time: Int64, value: Double) {
    self.time = time
    self.value = value
  }
}

/// Liquidations in one minute `[time, time + 1m)`: how many, and the notional (quantity × price,
/// in the quote currency) of liquidated longs and shorts.
public struct LiquidationBucket: Hashable, Sendable {
  public var time: Int64
  public var count: Int
  public var longNotional: Double
  public var shortNotional: Double
  public init(time: Int64, count: Int = 0, longNotional: Double = 0, shortNotional: Double = 0) {
    self.time = time
    self.count = count
    self.longNotional = longNotional
    self.shortNotional = shortNotional
  }
}
