import WickCore

/// One series in the cache, as `wick data ls` shows it.
public struct SeriesSummary: Hashable, Sendable {
  public var series: SeriesKey
  /// Open time of the oldest and newest stored candle.
  public var first: Int64
  public var last: Int64
  /// Stored candles.
  public var count: Int
  /// Runs of missing candles between `first` and `last`, and how many candles they miss in all.
  public var gapCount: Int
  public var missingCandles: Int
  /// Open time of the first candle off the timeframe's grid (a weekly series from an older Wick
  /// that opened weeks on Thursdays; see `CandleStore+Grid`), if any.
  public var firstOffGrid: Int64?

  public var exchange: String { series.exchange }
  public var symbol: String { series.symbol }
  public var timeframe: Timeframe { series.timeframe }

  public init(
    series: SeriesKey, first: Int64, last: Int64, count: Int, gapCount: Int, missingCandles: Int,
    firstOffGrid: Int64? = nil
  ) {
    self.firstOffGrid = firstOffGrid
    self.series = series
    self.first = first
    self.last = last
    self.count = count
    self.gapCount = gapCount
    self.missingCandles = missingCandles
  }
}

/// A run of missing candles: `from` is the open time of the first missing candle, `to` the open
/// time of the next stored one (exclusive end), so a fetch of `[from, to)` repairs it.
public struct CandleGap: Hashable, Sendable, CustomStringConvertible {
  public var from: Int64
  public var to: Int64
  public var missingCandles: Int

  public init(from: Int64, to: Int64, missingCandles: Int) {
    self.from = from
    self.to = to
    self.missingCandles = missingCandles
  }

  public var description: String {
    "\(UTCTime.iso(from)) → \(UTCTime.iso(to)) (\(missingCandles) missing)"
  }
}

/// Finds gaps in a stream of candle open times, one time at a time (no history kept).
///
///     var scanner = GapScanner(timeframe: .oneMinute)
///     while let c = try cursor.next() { scanner.observe(c.time) }
///     print(scanner.gaps)
public struct GapScanner: Sendable {
  public let timeframe: Timeframe
  /// Gaps found so far (only when `recordGaps` is set; counts are kept either way).
  public private(set) var gaps: [CandleGap] = []
  public private(set) var gapCount = 0
  public private(set) var missingCandles = 0
  private let recordGaps: Bool
  private var previous: Int64?

  public init(timeframe: Timeframe, recordGaps: Bool = true) {
    self.timeframe = timeframe
    self.recordGaps = recordGaps
  }

  /// Feeds the next open time (times must increase).
  public mutating func observe(_ time: Int64) {
    defer { previous = time }
    guard let p = previous else { return }
    let step = timeframe.milliseconds
    guard time - p > step else { return }
    let missing = Int((time - p) / step - ((time - p) % step == 0 ? 1 : 0))
    gapCount += 1
    missingCandles += missing
    if recordGaps { gaps.append(CandleGap(from: p + step, to: time, missingCandles: missing)) }
  }
}
