import Foundation
import WickCore

/// The tearsheet of a backtest: the figures beyond the metrics that a trader reads to judge a
/// strategy (returns by month and year, rolling Sharpe, trade durations, when the strategy is in
/// the market, a buy-and-hold benchmark and regime attribution). Computed after the run from the
/// result and, for the benchmark, the prices recorded while the candles streamed past; nothing
/// here runs on the candle path.
///
///     let sheet = Tearsheet(result, prices: outcome.prices)
///     sheet.monthlyReturns  // [("2024-01", 0.031), …] compounding to the net return
public struct Tearsheet: Sendable {
  /// The underwater curve of `equity`: at each point, the drawdown from the running peak as a
  /// fraction (0 at a new high, -0.12 twelve per cent below the peak). The JSON's `underwater`
  /// and the report's chart both come from here. On the sampled chart points, so its lowest
  /// value can be a little above -max_drawdown (measured on every candle close).
  public static func underwater(_ equity: [EquityPoint]) -> [(time: Int64, value: Double)] {
    var peak = -Double.infinity
    return equity.map { p in
      peak = max(peak, p.equity)
      return (p.time, peak > 0 ? p.equity / peak - 1 : 0)
    }
  }

  /// A period's label ("2024-01" or "2024") and its return.
  public struct PeriodReturn: Sendable, Equatable {
    public var period: String
    public var value: Double
  }

  /// Returns of each calendar month (UTC) the run spans, from the month's opening equity (the
  /// previous month's close, or the initial equity) to its closing equity (the final equity for
  /// the last month). Their compounded product is final / initial.
  public var monthlyReturns: [PeriodReturn]
  /// The same per calendar year.
  public var yearlyReturns: [PeriodReturn]
  /// Sharpe ratio of the trailing `rollingWindow` daily returns at each day's close (same
  /// formula as the metric: mean / sample stdev × √365).
  public var rollingSharpe: [(time: Int64, value: Double)]
  public static let rollingWindow = 30
  /// Closed trades counted by how long they were held.
  public var durations: [(label: String, trades: Int)]
  /// Fraction of the run's time in each UTC hour (0–23) / weekday (Monday first) during which
  /// at least one position was open; nil for an hour the run never covered.
  public var exposureByHour: [Double?]
  public var exposureByWeekday: [Double?]
  /// Buy-and-hold of the traded symbols over the same candles; nil without recorded prices.
  public var benchmark: Benchmark?
  /// Trades, net PnL and win rate by session, volatility regime and trend regime.
  public var attribution: Attribution

  public static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]

  /// `regimes`: the symbols' regime tapes recorded over the run's candles; `sessions`: the
  /// `[sessions]` windows of the config (the standard ones without).
  public init(
    _ r: BacktestResult, prices: [PriceBuckets] = [], regimes: [RegimeTape] = [],
    sessions: TradingSessions = .standard
  ) {
    // The attribution looks up every trade's session and regime: with tens of thousands of
    // trades it is the largest part here (a 1M-candle run's 32,000 trades: 24 M instructions),
    // so it runs on another core meanwhile, which the finished run's reader and recorder left
    // idle. The figures are the same either way.
    let trades = r.trades
    let attributed: Background<Attribution>? =
      trades.count >= Self.backgroundAttribution
      ? Background { Attribution(trades: trades, regimes: regimes, sessions: sessions) } : nil
    (monthlyReturns, yearlyReturns) = Self.periodReturns(r)
    rollingSharpe = Self.rollingSharpe(r.dailyEquity, window: Self.rollingWindow)
    durations = Self.durationHistogram(r.trades)
    (exposureByHour, exposureByWeekday) = Self.exposureByTime(r)
    benchmark = Benchmark(r, prices: prices)
    attribution =
      attributed?.value ?? Attribution(trades: trades, regimes: regimes, sessions: sessions)
  }

  /// Trades from which the attribution is worth a hand-over to another thread.
  static let backgroundAttribution = 2_000

  // MARK: Returns by period

  /// Month and year returns from the daily closing equity (a daily point's day is that of the
  /// last instant of its candle: `time − 1`, since the point is stamped at the close).
  static func periodReturns(_ r: BacktestResult) -> ([PeriodReturn], [PeriodReturn]) {
    guard r.initialEquity > 0, r.dailyEquity.count > 1 else { return ([], []) }
    var months: [PeriodReturn] = []
    var years: [PeriodReturn] = []
    var monthOpen = r.initialEquity
    var yearOpen = r.initialEquity
    var month = ""
    var year = ""
    var last = r.initialEquity
    // The labels are formatted only when the month changes: a day of the same month changes
    // neither (formatting two labels a day was most of the tearsheet's time for long runs).
    var labelled: (year: Int64, month: Int64)? = nil
    for p in r.dailyEquity.dropFirst() {
      let (y, m, _) = UTCTime.civil(fromDays: UTCTime.floorDiv(p.time - 1, 86_400_000))
      defer { last = p.equity }
      if let labelled, labelled == (y, m) { continue }
      labelled = (y, m)
      let thisYear = String(format: "%04lld", y)
      let thisMonth = thisYear + String(format: "-%02lld", m)
      if thisMonth != month {
        if !month.isEmpty {
          months.append(PeriodReturn(period: month, value: last / monthOpen - 1))
          monthOpen = last
        }
        month = thisMonth
      }
      if thisYear != year {
        if !year.isEmpty {
          years.append(PeriodReturn(period: year, value: last / yearOpen - 1))
          yearOpen = last
        }
        year = thisYear
      }
    }
    // The run ends at the final equity (after closing what was open), not the last mark.
    months.append(PeriodReturn(period: month, value: r.finalEquity / monthOpen - 1))
    years.append(PeriodReturn(period: year, value: r.finalEquity / yearOpen - 1))
    return (months, years)
  }

  // MARK: Rolling Sharpe

  static func rollingSharpe(_ daily: [EquityPoint], window n: Int) -> [(time: Int64, value: Double)]
  {
    guard daily.count > n, n >= 2 else { return [] }
    var returns: [Double] = []
    returns.reserveCapacity(daily.count - 1)
    for i in 1..<daily.count {
      returns.append(daily[i - 1].equity > 0 ? daily[i].equity / daily[i - 1].equity - 1 : 0)
    }
    var out: [(time: Int64, value: Double)] = []
    for end in n...returns.count {
      let w = returns[(end - n)..<end]
      let mean = w.reduce(0, +) / Double(n)
      let variance = w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
      let sharpe = variance > 0 ? mean / variance.squareRoot() * 365.0.squareRoot() : 0
      out.append((daily[end].time, sharpe))
    }
    return out
  }

  // MARK: Trade durations

  /// Holding-time classes: upper bounds in hours (the last class is open-ended).
  static let durationClasses: [(label: String, below: Double)] = [
    ("< 1 h", 1), ("1–4 h", 4), ("4–12 h", 12), ("12–24 h", 24), ("1–3 d", 72), ("3–7 d", 168),
    ("≥ 7 d", .infinity),
  ]

  static func durationHistogram(_ trades: [Trade]) -> [(label: String, trades: Int)] {
    var counts = [Int](repeating: 0, count: durationClasses.count)
    for t in trades {
      let hours = Double(t.exitTime - t.entryTime) / 3_600_000
      counts[durationClasses.firstIndex { hours < $0.below }!] += 1
    }
    return durationClasses.indices.map { (durationClasses[$0].label, counts[$0]) }
  }

  // MARK: Exposure by hour and weekday

  /// Time with at least one position open (the union of the trades' holding intervals), over
  /// the run's time, per UTC hour of the day and per weekday.
  static func exposureByTime(_ r: BacktestResult) -> ([Double?], [Double?]) {
    guard let first = r.firstTime, let last = r.lastTime else {
      return (Array(repeating: nil, count: 24), Array(repeating: nil, count: 7))
    }
    let end = last + r.timeframe.milliseconds
    var spanHour = [Int64](repeating: 0, count: 24)
    var spanDay = [Int64](repeating: 0, count: 7)
    distribute(first, end, hour: &spanHour, weekday: &spanDay)
    var openHour = [Int64](repeating: 0, count: 24)
    var openDay = [Int64](repeating: 0, count: 7)
    let intervals = r.trades.map { (max($0.entryTime, first), min($0.exitTime, end)) }
      .sorted { $0.0 < $1.0 }
    var current: (Int64, Int64)?
    for (a, b) in intervals where b > a {
      if let c = current, a <= c.1 {
        current = (c.0, max(c.1, b))
      } else {
        if let c = current { distribute(c.0, c.1, hour: &openHour, weekday: &openDay) }
        current = (a, b)
      }
    }
    if let c = current { distribute(c.0, c.1, hour: &openHour, weekday: &openDay) }
    let byHour = (0..<24).map {
      spanHour[$0] > 0 ? Double(openHour[$0]) / Double(spanHour[$0]) : nil
    }
    let byDay = (0..<7).map { spanDay[$0] > 0 ? Double(openDay[$0]) / Double(spanDay[$0]) : nil }
    return (byHour, byDay)
  }

  /// Adds the milliseconds of [a, b) to the UTC hour and weekday (Monday = 0) they fall in,
  /// one hour boundary at a time.
  static func distribute(_ a: Int64, _ b: Int64, hour: inout [Int64], weekday: inout [Int64]) {
    var t = a
    while t < b {
      let hourStart = UTCTime.floorDiv(t, 3_600_000) * 3_600_000
      let next = min(hourStart + 3_600_000, b)
      let h = Int(UTCTime.floorDiv(t, 3_600_000) % 24 + 24) % 24
      // 1970-01-01 was a Thursday (Monday-first index 3).
      let d = Int((UTCTime.floorDiv(t, 86_400_000) + 3) % 7 + 7) % 7
      hour[h] += next - t
      weekday[d] += next - t
      t = next
    }
  }
}

/// A value computed on a global queue, waited for when read (once).
private final class Background<Value: Sendable>: @unchecked Sendable {
  private var result: Value?
  private let done = DispatchSemaphore(value: 0)

  init(_ work: @escaping @Sendable () -> Value) {
    DispatchQueue.global(qos: .userInitiated).async {
      self.result = work()
      self.done.signal()
    }
  }

  /// Waits for the work (`result` is written before `done` is signalled).
  var value: Value {
    done.wait()
    defer { done.signal() }  // a later read finds it done too
    return result!
  }
}
