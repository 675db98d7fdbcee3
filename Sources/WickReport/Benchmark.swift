import Foundation
import WickCore

/// Buy-and-hold of the traded symbols over the backtest's own candles: equal weights, bought at
/// the first candle's open, marked at each UTC day's last close (no costs). Alpha, beta and
/// correlation compare the strategy's daily returns (of its daily closing equity) with the
/// benchmark's on the days both have.
///
///     beta        = cov(s, b) / var(b)                (sample covariance and variance)
///     alpha       = (mean(s) − beta × mean(b)) × 365   (annualised, risk-free rate 0)
///     correlation = cov(s, b) / (sd(s) × sd(b))
public struct Benchmark: Sendable {
  /// Symbols held, each with 1/n of the capital.
  public var symbols: [String]
  /// The benchmark's total return: value at the last close − 1.
  public var totalReturn: Double
  public var alpha: Double
  public var beta: Double
  public var correlation: Double
  /// Daily returns compared.
  public var days: Int
  /// The value of 1 invested at the start, at each day's close (stamped at the day's end).
  public var daily: [EquityPoint]

  public init?(_ r: BacktestResult, prices: [PriceBuckets]) {
    let held = prices.filter { $0.firstOpen.map { $0 > 0 } ?? false && !$0.dayStarts.isEmpty }
    guard !held.isEmpty else { return nil }
    // Every day any symbol traded, each symbol's last close carried forward to it.
    let days = Array(Set(held.flatMap(\.dayStarts))).sorted()
    var cursor = [Int](repeating: 0, count: held.count)
    var last = held.map { $0.firstOpen! }
    var daily: [EquityPoint] = []
    daily.reserveCapacity(days.count)
    for day in days {
      var value = 0.0
      for (i, p) in held.enumerated() {
        while cursor[i] < p.dayStarts.count && p.dayStarts[cursor[i]] <= day {
          last[i] = p.dayCloses[cursor[i]]
          cursor[i] += 1
        }
        value += last[i] / p.firstOpen!
      }
      daily.append(EquityPoint(time: day + 86_400_000, equity: value / Double(held.count)))
    }
    symbols = held.map(\.symbol)
    totalReturn = (daily.last?.equity ?? 1) - 1
    self.daily = daily

    // The strategy's closing equity per day, keyed like the benchmark's.
    var strategy: [Int64: Double] = [:]
    for p in r.dailyEquity.dropFirst() {
      strategy[UTCTime.floorDiv(p.time - 1, 86_400_000) * 86_400_000] = p.equity
    }
    var s: [Double] = []
    var b: [Double] = []
    var previous = (strategy: r.initialEquity, benchmark: 1.0)
    for (day, point) in zip(days, daily) {
      guard let equity = strategy[day], previous.strategy > 0 else { continue }
      s.append(equity / previous.strategy - 1)
      b.append(point.equity / previous.benchmark - 1)
      previous = (equity, point.equity)
    }
    let fit = Self.regression(s, on: b)
    alpha = fit.alpha
    beta = fit.beta
    correlation = fit.correlation
    self.days = s.count
  }

  /// Beta, annualised alpha and correlation of `s` on `b` (0 where undefined: fewer than two
  /// returns, or a series that never moved).
  static func regression(_ s: [Double], on b: [Double]) -> (
    alpha: Double, beta: Double, correlation: Double
  ) {
    let n = Double(s.count)
    guard s.count >= 2 else { return (0, 0, 0) }
    let ms = s.reduce(0, +) / n
    let mb = b.reduce(0, +) / n
    var cov = 0.0
    var vs = 0.0
    var vb = 0.0
    for i in s.indices {
      cov += (s[i] - ms) * (b[i] - mb)
      vs += (s[i] - ms) * (s[i] - ms)
      vb += (b[i] - mb) * (b[i] - mb)
    }
    let beta = vb > 0 ? cov / vb : 0
    let correlation = vb > 0 && vs > 0 ? cov / (vs * vb).squareRoot() : 0
    return ((ms - beta * mb) * 365, beta, correlation)
  }
}
