import Foundation
import WickCore

/// The performance figures of a backtest (seed 003's list), each with its formula so users can
/// check them against other tools. Ratios use daily returns of the UTC-day closing equity,
/// annualised with √365 (crypto trades every day), risk-free rate 0.
public struct Metrics: Sendable, Equatable {
  /// final / initial − 1.
  public var netReturn: Double
  /// (final / initial)^(1 / years) − 1, years = (last candle close − first open) / 365.25 days.
  /// Reported as 0 for spans under one day, where annualising is meaningless.
  public var cagr: Double
  /// Largest peak-to-trough fall of equity marked at every candle close, as a fraction of the peak.
  public var maxDrawdown: Double
  /// mean(daily return) / sample stdev(daily return) × √365.
  public var sharpe: Double
  /// mean(daily return) / √(mean(min(r, 0)²)) × √365.
  public var sortino: Double
  /// CAGR / max drawdown (0 when there was no drawdown).
  public var calmar: Double
  /// Winning trades / trades (a win has net pnl > 0).
  public var winRate: Double
  /// Gross profit / gross loss of net trade pnl; nil when there was no losing trade.
  public var profitFactor: Double?
  /// Mean net pnl per trade, in quote currency.
  public var expectancy: Double
  /// Mean of pnl / initial risk over trades that had a stop.
  public var averageR: Double
  /// Fraction of candle times with at least one open position.
  public var exposure: Double
  public var tradeCount: Int
  public var longCount: Int
  public var shortCount: Int
  /// Sum of net trade pnl (equals final − initial equity when funding is included).
  public var netPnl: Double
  /// Net pnl plus every cost: what the trades made before fees, spread, slippage and funding.
  public var grossPnl: Double
  public var fees: Double
  public var spread: Double
  public var slippage: Double
  public var funding: Double
  public var bestTrade: Double
  public var worstTrade: Double
  /// Mean time in a trade, in hours.
  public var averageHoldingHours: Double
  public var maxConsecutiveLosses: Int

  public static func compute(_ r: BacktestResult) -> Metrics {
    let trades = r.trades
    let net = r.initialEquity > 0 ? r.finalEquity / r.initialEquity - 1 : 0
    var span = 0.0
    if let first = r.firstTime, let last = r.lastTime {
      span = Double(last + r.timeframe.milliseconds - first) / 86_400_000
    }
    var cagr = 0.0
    if span >= 1, r.initialEquity > 0 {
      let growth = r.finalEquity / r.initialEquity
      cagr = growth > 0 ? pow(growth, 365.25 / span) - 1 : -1
    }
    let returns = zip(r.dailyEquity.dropFirst(), r.dailyEquity).compactMap {
      now, before -> Double? in
      before.equity > 0 ? now.equity / before.equity - 1 : nil
    }
    var sharpe = 0.0
    var sortino = 0.0
    if returns.count >= 2 {
      let mean = returns.reduce(0, +) / Double(returns.count)
      let variance =
        returns.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(returns.count - 1)
      if variance > 0 { sharpe = mean / variance.squareRoot() * 365.0.squareRoot() }
      let downside = (returns.map { min($0, 0) * min($0, 0) }.reduce(0, +) / Double(returns.count))
        .squareRoot()
      if downside > 0 { sortino = mean / downside * 365.0.squareRoot() }
    }
    // One pass, no intermediate arrays: an optimizer computes this for every parameter set, and
    // a copy of a long trade list costs more than the sums. Each sum adds in trade order, as
    // separate reductions would.
    var winCount = 0
    var grossProfit = 0.0
    var grossLoss = 0.0
    var rSum = 0.0
    var rCount = 0
    var streak = 0
    var worstStreak = 0
    var netPnl = 0.0
    var fees = 0.0
    var spread = 0.0
    var slippage = 0.0
    var funding = 0.0
    var holding = 0.0
    var longCount = 0
    var bestTrade = -Double.infinity
    var worstTrade = Double.infinity
    trades.withUnsafeBufferPointer { trades in
      for t in trades {
        if t.pnl > 0 {
          winCount += 1
          grossProfit += t.pnl
        } else if t.pnl < 0 {
          grossLoss -= t.pnl
        }
        if let r = t.r {
          rSum += r
          rCount += 1
        }
        streak = t.pnl < 0 ? streak + 1 : 0
        worstStreak = max(worstStreak, streak)
        netPnl += t.pnl
        fees += t.fees
        spread += t.spreadCost
        slippage += t.slippageCost
        funding += t.funding
        holding += Double(t.exitTime - t.entryTime) / 3_600_000
        if t.side == .long { longCount += 1 }
        bestTrade = max(bestTrade, t.pnl)
        worstTrade = min(worstTrade, t.pnl)
      }
    }
    return Metrics(
      netReturn: net, cagr: cagr, maxDrawdown: r.maxDrawdown, sharpe: sharpe, sortino: sortino,
      calmar: r.maxDrawdown > 0 ? cagr / r.maxDrawdown : 0,
      winRate: trades.isEmpty ? 0 : Double(winCount) / Double(trades.count),
      profitFactor: grossLoss > 0 ? grossProfit / grossLoss : nil,
      expectancy: trades.isEmpty ? 0 : netPnl / Double(trades.count),
      averageR: rCount == 0 ? 0 : rSum / Double(rCount), exposure: r.exposure,
      tradeCount: trades.count,
      longCount: longCount, shortCount: trades.count - longCount,
      netPnl: netPnl, grossPnl: netPnl + fees + spread + slippage + funding, fees: fees,
      spread: spread,
      slippage: slippage, funding: funding, bestTrade: trades.isEmpty ? 0 : bestTrade,
      worstTrade: trades.isEmpty ? 0 : worstTrade,
      averageHoldingHours: trades.isEmpty ? 0 : holding / Double(trades.count),
      maxConsecutiveLosses: worstStreak)
  }

  /// (JSON key, value) pairs in report order; non-finite values become nil.
  public var fields: [(key: String, value: Double?)] {
    MetricField.all.map { f in (f.key, f.value(self).flatMap { $0.isFinite ? $0 : nil }) }
  }

}
