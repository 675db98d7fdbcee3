import Foundation
import WickCore
import WickReport

/// A chosen parameter set's run, kept in `selected.json` so that summaries can be rebuilt from a
/// directory alone (`merge` has no candles): without walk-forward, the winner over the whole
/// range (for the deflated Sharpe ratio); with it, each window's winner on its test period.
public struct SelectedRun: Codable, Sendable, Equatable {
  public var window: Int
  public var set: Int
  /// The run's full params as a params file (`best_params.json`).
  public var paramsJSON: String
  public var timeframeMs: Int64
  public var candles: Int
  public var firstTime: Int64?
  public var lastTime: Int64?
  public var initialEquity: Double
  public var finalEquity: Double
  public var maxDrawdown: Double
  public var exposure: Double
  /// Daily closing equity (the first point is the initial equity).
  public var dailyTimes: [Int64]
  public var dailyEquity: [Double]
  public var trades: [TradeRecord]

  /// What the metrics need of a trade.
  public struct TradeRecord: Codable, Sendable, Equatable {
    public var symbol: String
    public var side: Side
    public var entryTime: Int64
    public var exitTime: Int64
    public var pnl: Double
    public var fees: Double
    public var spread: Double
    public var slippage: Double
    public var funding: Double
    public var r: Double?
  }

  public init(window: Int, set: Int, result r: BacktestResult) {
    self.window = window
    self.set = set
    paramsJSON = ResultJSON.params(r.params)
    timeframeMs = r.timeframe.milliseconds
    candles = r.candles
    firstTime = r.firstTime
    lastTime = r.lastTime
    initialEquity = r.initialEquity
    finalEquity = r.finalEquity
    maxDrawdown = r.maxDrawdown
    exposure = r.exposure
    dailyTimes = r.dailyEquity.map(\.time)
    dailyEquity = r.dailyEquity.map(\.equity)
    trades = r.trades.map {
      TradeRecord(
        symbol: $0.symbol, side: $0.side, entryTime: $0.entryTime, exitTime: $0.exitTime,
        pnl: $0.pnl, fees: $0.fees, spread: $0.spreadCost, slippage: $0.slippageCost,
        funding: $0.funding, r: $0.r)
    }
  }

  /// Daily returns of the run's equity.
  public var dailyReturns: [Double] {
    zip(dailyEquity.dropFirst(), dailyEquity).compactMap { now, before in
      before > 0 ? now / before - 1 : nil
    }
  }

  /// The test periods of consecutive windows as one account: each period starts with the equity
  /// the previous one ended with (PnL and equity scaled by the growth so far). Drawdown is the
  /// worst of the periods' own (measured on every candle) and of the stitched daily closes.
  public static func stitch(_ runs: [SelectedRun]) -> BacktestResult? {
    guard let first = runs.first else { return nil }
    let initial = first.initialEquity
    var growth = 1.0
    var trades: [Trade] = []
    var daily: [EquityPoint] = []
    var drawdown = 0.0
    var candles = 0
    var exposed = 0.0
    for run in runs {
      let scale = growth * initial / run.initialEquity
      for t in run.trades {
        trades.append(
          Trade(
            symbol: t.symbol, side: t.side, entryTime: t.entryTime, entryPrice: 0,
            exitTime: t.exitTime, exitPrice: 0, qty: 0, fees: t.fees * scale,
            spreadCost: t.spread * scale, slippageCost: t.slippage * scale,
            funding: t.funding * scale, pnl: t.pnl * scale, r: t.r, exitReason: .endOfData))
      }
      let points = zip(run.dailyTimes, run.dailyEquity).map {
        EquityPoint(time: $0, equity: $1 * scale)
      }
      daily += daily.isEmpty ? points : Array(points.dropFirst())
      drawdown = max(drawdown, run.maxDrawdown)
      candles += run.candles
      exposed += run.exposure * Double(run.candles)
      growth *= run.finalEquity / run.initialEquity
    }
    var peak = 0.0
    for p in daily {
      peak = max(peak, p.equity)
      if peak > 0 { drawdown = max(drawdown, (peak - p.equity) / peak) }
    }
    let last = runs.last!
    return BacktestResult(
      strategy: "", params: [], symbols: [], timeframe: Timeframe(milliseconds: first.timeframeMs),
      candles: candles, firstTime: first.firstTime, lastTime: last.lastTime,
      initialEquity: initial, finalEquity: initial * growth, trades: trades, equity: [],
      dailyEquity: daily, maxDrawdown: drawdown,
      exposure: candles > 0 ? exposed / Double(candles) : 0)
  }
}
