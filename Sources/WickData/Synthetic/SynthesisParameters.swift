/// The knobs of the synthetic market, in calendar units so that they mean the same at any
/// timeframe. Defaults resemble BTC: ~60 % annual volatility, multi-day regimes, a jump every
/// ten days or so.
public struct SynthesisParameters: Sendable {
  /// Long-run annualised volatility of log returns.
  public var annualVolatility = 0.6
  /// Annualised log drift while trending (sign from the regime).
  public var annualTrendDrift = 1.5
  /// Mean-reversion speed towards the range's anchor, per day, while ranging.
  public var dailyRangeReversion = 0.8
  /// Mean duration of a regime, in days.
  public var meanRegimeDays = 4.0
  /// GARCH(1,1) reaction to the last shock and persistence of variance (α + β < 1).
  public var garchAlpha = 0.06
  public var garchBeta = 0.92
  /// Mean number of jumps per day and their standard deviation (log return).
  public var jumpsPerDay = 0.1
  public var jumpVolatility = 0.03
  /// Mean volume per hour of candles (scaled to the timeframe).
  public var volumePerHour = 600.0

  public init() {}
}
