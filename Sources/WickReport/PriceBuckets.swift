import WickCore

/// A price series reduced for charting: candles grouped into time buckets, each keeping its
/// lowest low, highest high and last close, so that a million candles draw as about a thousand
/// columns without losing a spike. The bucket width doubles whenever the buckets exceed twice
/// `capacity` (deterministic: the same candles always give the same buckets).
///
///     var prices = PriceBuckets(symbol: "BTCUSDT", timeframe: .oneMinute, capacity: 500)
///     for c in candles { prices.add(c) }
///     prices.count  // ≤ 1000
public struct PriceBuckets: Sendable {
  public let symbol: String
  /// Open time of each bucket's first possible candle (buckets are aligned to the first candle).
  public private(set) var times: [Int64] = []
  /// Each bucket's first open (the candlestick's open).
  public private(set) var opens: [Double] = []
  public private(set) var lows: [Double] = []
  public private(set) var highs: [Double] = []
  public private(set) var closes: [Double] = []
  /// The first candle's open: where a buy-and-hold benchmark buys.
  public private(set) var firstOpen: Double?
  /// Each UTC day's start and last close (for the benchmark's daily returns).
  public private(set) var dayStarts: [Int64] = []
  public private(set) var dayCloses: [Double] = []
  private var dayEnd = Int64.min
  /// Current bucket width in milliseconds.
  public private(set) var width: Int64
  private let capacity: Int
  private var origin: Int64 = 0
  private var currentEnd = Int64.min

  public init(symbol: String, timeframe: Timeframe, capacity: Int = 600) {
    self.symbol = symbol
    self.width = max(timeframe.milliseconds, 1)
    self.capacity = max(capacity, 2)
    times.reserveCapacity(self.capacity * 2 + 1)
    opens.reserveCapacity(self.capacity * 2 + 1)
    lows.reserveCapacity(self.capacity * 2 + 1)
    highs.reserveCapacity(self.capacity * 2 + 1)
    closes.reserveCapacity(self.capacity * 2 + 1)
  }

  public var count: Int { times.count }

  /// The capacity a report records with: up to 4,000 candles per symbol for the interactive
  /// chart (a year of 1m candles becomes ~2,050 candles of 256 minutes), ~250 kB of data.
  public static let interactiveCapacity = 2_000

  /// Adds the next candle (times must increase).
  @inline(__always) public mutating func add(_ c: Candle) {
    if c.time < dayEnd {
      dayCloses[dayCloses.count - 1] = c.close
    } else {
      startDay(with: c)
    }
    if c.time < currentEnd {
      let last = times.count - 1
      if c.low < lows[last] { lows[last] = c.low }
      if c.high > highs[last] { highs[last] = c.high }
      closes[last] = c.close
      return
    }
    startBucket(with: c)
  }

  private mutating func startDay(with c: Candle) {
    if firstOpen == nil { firstOpen = c.open }
    let day = UTCTime.dayStart(c.time)
    dayStarts.append(day)
    dayCloses.append(c.close)
    dayEnd = day + 86_400_000
  }

  private mutating func startBucket(with c: Candle) {
    if times.isEmpty { origin = c.time }
    let start = origin + (c.time - origin) / width * width
    times.append(start)
    opens.append(c.open)
    lows.append(c.low)
    highs.append(c.high)
    closes.append(c.close)
    currentEnd = start + width
    if times.count > capacity * 2 { coarsen() }
  }

  /// Doubles the bucket width, merging the buckets that fall into the same wider one.
  private mutating func coarsen() {
    width *= 2
    var n = 0
    for i in times.indices {
      let start = origin + (times[i] - origin) / width * width
      if n > 0 && times[n - 1] == start {
        lows[n - 1] = min(lows[n - 1], lows[i])
        highs[n - 1] = max(highs[n - 1], highs[i])
        closes[n - 1] = closes[i]
      } else {
        times[n] = start
        opens[n] = opens[i]
        lows[n] = lows[i]
        highs[n] = highs[i]
        closes[n] = closes[i]
        n += 1
      }
    }
    times.removeLast(times.count - n)
    opens.removeLast(opens.count - n)
    lows.removeLast(lows.count - n)
    highs.removeLast(highs.count - n)
    closes.removeLast(closes.count - n)
    currentEnd = times[n - 1] + width
  }
}
