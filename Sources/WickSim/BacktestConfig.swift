import WickCore

/// Settings of one backtest run.
public struct BacktestConfig: Sendable {
  public var initialEquity: Double
  public var fills: FillModel
  /// Points kept for the equity chart (drawdown and metrics use every candle regardless).
  public var chartPoints: Int
  /// Strategy name and params, copied into the result.
  public var strategyName: String
  public var params: [(name: String, value: ParamValue)]
  public var timeframe: Timeframe
  /// Candles per symbol kept for `ctx:history` (the strategy's warmup, at least 1).
  public var historyDepth: Int
  /// Isolated margin and liquidation; nil disables liquidation (not recommended).
  public var margin: MarginModel?
  /// Funding at 00/08/16 UTC from stored rates or a constant; nil charges none.
  public var funding: FundingModel?
  /// Probability that an order is rejected at the venue (seed 000's random rejects), and its seed.
  public var rejectProbability: Double
  public var rejectSeed: UInt64
  /// `[schedule] eval_every`: the strategy decides only on candles closing on this grid.
  public var decisionGrid: Timeframe? = nil

  public init(
    initialEquity: Double = 10_000, fills: FillModel = FillModel(), chartPoints: Int = 2_000,
    strategyName: String,
    params: [(name: String, value: ParamValue)] = [], timeframe: Timeframe, historyDepth: Int = 1,
    margin: MarginModel? = MarginModel(), funding: FundingModel? = nil,
    rejectProbability: Double = 0,
    rejectSeed: UInt64 = 0
  ) {
    self.initialEquity = initialEquity
    self.fills = fills
    self.chartPoints = chartPoints
    self.strategyName = strategyName
    self.params = params
    self.timeframe = timeframe
    self.historyDepth = historyDepth
    self.margin = margin
    self.funding = funding
    self.rejectProbability = rejectProbability
    self.rejectSeed = rejectSeed
  }
}
