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

  public init(
    initialEquity: Double = 10_000, fills: FillModel = FillModel(), chartPoints: Int = 2_000, strategyName: String,
    params: [(name: String, value: ParamValue)] = [], timeframe: Timeframe, historyDepth: Int = 1
  ) {
    self.initialEquity = initialEquity
    self.fills = fills
    self.chartPoints = chartPoints
    self.strategyName = strategyName
    self.params = params
    self.timeframe = timeframe
    self.historyDepth = historyDepth
  }
}
