/// Everything a backtest produced: what the report and the JSON are made from.
public struct BacktestResult: Sendable {
  public var strategy: String
  /// Resolved params, in declaration order, as display strings and JSON values.
  public var params: [(name: String, value: ParamValue)]
  public var symbols: [String]
  public var timeframe: Timeframe
  public var candles: Int
  public var firstTime: Int64?
  public var lastTime: Int64?
  public var initialEquity: Double
  public var finalEquity: Double
  public var trades: [Trade]
  /// Equity sampled for charts (at most a few thousand points, first and last always present).
  public var equity: [EquityPoint]
  /// Daily closing equity (UTC days), for Sharpe/Sortino.
  public var dailyEquity: [EquityPoint]
  /// Max drawdown as a fraction of the peak, measured on every candle close.
  public var maxDrawdown: Double
  /// Candles (per symbol-time) during which at least one position was open / all candle times.
  public var exposure: Double
  /// Refusals counted by code.
  public var refusals: [String: Int]
  /// Strategy log lines (bounded).
  public var logs: [String]
  /// Which limits were in force, for the summary.
  public var limitsInForce: [String]
  /// The error that ended the run early, if any (the result up to it is still valid).
  public var error: String?
  /// Kills, breaches, emergency stops and refusals with their times (when a risk config is on).
  public var riskEvents: [RiskEvent] = []
  /// Virtual-account state (decay factor, daily loss used, kill flag) whenever it changed.
  public var riskStates: [RiskStatePoint] = []
  /// Limit orders placed, filled, expired and cancelled, and the maker fees of their fills.
  public var limitOrders = LimitOrderStats()

  public init(
    strategy: String, params: [(name: String, value: ParamValue)], symbols: [String],
    timeframe: Timeframe,
    candles: Int, firstTime: Int64?, lastTime: Int64?, initialEquity: Double, finalEquity: Double,
    trades: [Trade], equity: [EquityPoint], dailyEquity: [EquityPoint], maxDrawdown: Double,
    exposure: Double,
    refusals: [String: Int] = [:], logs: [String] = [], limitsInForce: [String] = [],
    error: String? = nil
  ) {
    self.strategy = strategy
    self.params = params
    self.symbols = symbols
    self.timeframe = timeframe
    self.candles = candles
    self.firstTime = firstTime
    self.lastTime = lastTime
    self.initialEquity = initialEquity
    self.finalEquity = finalEquity
    self.trades = trades
    self.equity = equity
    self.dailyEquity = dailyEquity
    self.maxDrawdown = maxDrawdown
    self.exposure = exposure
    self.refusals = refusals
    self.logs = logs
    self.limitsInForce = limitsInForce
    self.error = error
  }
}
