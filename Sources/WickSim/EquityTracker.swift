import WickCore

/// Follows equity at every candle close: drawdown and exposure on the full series; a chart
/// series decimated to a bounded number of points (deterministically); daily closes for ratios.
struct EquityTracker {
  private(set) var peak: Double
  private(set) var maxDrawdown = 0.0
  private(set) var chart: [EquityPoint] = []
  /// The daily closes of the days that have ended; the current day's last point is `today`, a
  /// plain field: replacing the array's last element on every candle cost a uniqueness check.
  private var closedDays: [EquityPoint] = []
  private var today: EquityPoint?
  private(set) var times = 0
  private(set) var exposedTimes = 0
  private var stride = 1
  /// The candle index at which the chart takes its next point (a multiple of `stride`).
  private var nextSample = 0
  private let chartLimit: Int
  /// The UTC day [currentDay, currentDayEnd) of the last daily point: a new day is a comparison,
  /// not a division per candle.
  private var currentDay = Int64.min
  private var currentDayEnd = Int64.min
  private var lastPoint: EquityPoint?

  init(initialEquity: Double, chartLimit: Int) {
    peak = initialEquity
    self.chartLimit = max(chartLimit, 16)
    chart.reserveCapacity(self.chartLimit * 2 + 2)
  }

  /// Records equity at the close of the candle(s) opened at `time`. `closeTime` is time + timeframe.
  @inline(__always) mutating func record(
    time: Int64, closeTime: Int64, equity: Double, exposed: Bool
  ) {
    if times == 0 { closedDays.append(EquityPoint(time: time, equity: peak)) }
    times += 1
    if exposed { exposedTimes += 1 }
    if equity > peak { peak = equity }
    if peak > 0 {
      let dd = (peak - equity) / peak
      if dd > maxDrawdown { maxDrawdown = dd }
    }
    let point = EquityPoint(time: closeTime, equity: equity)
    // Daily close: the last equity of each UTC day (the point is replaced until the day ends).
    let instant = closeTime - 1
    if instant >= currentDayEnd || instant < currentDay {
      currentDay = UTCTime.dayStart(instant)
      currentDayEnd = currentDay + 86_400_000
      if let today { closedDays.append(today) }
    }
    today = point
    // Every `stride`-th candle (index ≡ 0 mod stride) goes on the chart.
    let index = times - 1
    if index == nextSample {
      chart.append(point)
      nextSample += stride
      if chart.count > chartLimit * 2 {
        chart = chart.enumerated().filter { $0.offset % 2 == 0 }.map(\.element)
        stride *= 2
        nextSample = (index / stride + 1) * stride
      }
    }
    lastPoint = point
  }

  /// Daily closes: the initial equity, then the last equity of each UTC day.
  var daily: [EquityPoint] { today.map { closedDays + [$0] } ?? closedDays }

  /// The chart series with the final point included.
  var chartWithLast: [EquityPoint] {
    guard let lastPoint, chart.last != lastPoint else { return chart }
    return chart + [lastPoint]
  }
}
