/// A perpetual swap funding rate: at `time`, longs pay `rate` × position notional to shorts
/// (a negative rate means shorts pay longs).
public struct FundingRate: Hashable, Sendable {
  public var time: Int64
  public var rate: Double
  public init(time: Int64, rate: Double) {
    self.time = time
    self.rate = rate
  }
}

/// Where funding-rate history goes (the candle cache implements it).
public protocol FundingSink: AnyObject {
  /// Upserts rates for `exchange`/`symbol` in one transaction.
  func writeFunding(_ rates: [FundingRate], exchange: String, symbol: String) throws
  /// The newest stored funding time, if any.
  func lastFundingTime(exchange: String, symbol: String) throws -> Int64?
}
