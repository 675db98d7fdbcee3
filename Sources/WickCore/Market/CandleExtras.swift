/// The series beyond OHLCV a strategy reads on each candle (`c.open_interest`,
/// `c.long_short_ratio`, `c.liquidations_long`, `c.liquidations_short`), per symbol of a run,
/// loaded once before the run. Every value is the one known at the candle's close, or none:
///
/// - a sampled metric (open interest, long/short ratio) is the newest sample stamped at or
///   before the close, if it is younger than the metric's own interval (an older one means the
///   exchange's series has a hole there: no value, never a stale or made-up one);
/// - liquidations are the sums over the candle's own minutes, only when a recorder was connected
///   for every one of them (a minute nobody listened to is unknown, not zero).
///
/// Lookups are binary searches over arrays built here once: no allocation, no dictionary.
public final class CandleExtras: @unchecked Sendable {
  /// A metric's samples in time order and its sampling interval.
  public struct Sampled: Sendable {
    public var times: [Int64]
    public var values: [Double]
    public var interval: Int64
    public init(_ samples: [MetricSample], interval: Int64) {
      let sorted = samples.sorted { $0.time < $1.time }
      times = sorted.map(\.time)
      values = sorted.map(\.value)
      self.interval = interval
    }

    /// Adds a sample newer than every one held (an older or equal one is ignored: the series
    /// only grows forward, as a runner reads it), dropping samples older than `keepFrom` once
    /// they outnumber the rest (amortized, so a long run does not grow without bound).
    public mutating func append(time: Int64, value: Double, keepFrom: Int64) {
      guard times.last.map({ time > $0 }) ?? true else { return }
      times.append(time)
      values.append(value)
      var (lo, hi) = (0, times.count)
      while lo < hi {
        let mid = (lo &+ hi) >> 1
        if times[mid] < keepFrom { lo = mid &+ 1 } else { hi = mid }
      }
      // Keep the newest old sample: it is still the value as of a close just after it.
      let dead = max(lo - 1, 0)
      if dead > times.count / 2 {
        times.removeFirst(dead)
        values.removeFirst(dead)
      }
    }

    /// The newest sample's time.
    public var last: Int64? { times.last }

    /// The newest value stamped at or before `close` and younger than one interval, else NaN.
    @inline(__always) func value(asOf close: Int64) -> Double {
      var (lo, hi) = (0, times.count)
      while lo < hi {
        let mid = (lo &+ hi) >> 1
        if times[mid] <= close { lo = mid &+ 1 } else { hi = mid }
      }
      guard lo > 0, close - times[lo &- 1] < interval else { return .nan }
      return values[lo &- 1]
    }
  }

  /// Recorded liquidation minutes with running sums, and the minutes a recorder covered.
  public struct Recorded: Sendable {
    var times: [Int64] = []
    /// Sums of the buckets before index i (so a range's sum is two subtractions).
    var longBefore: [Double] = [0]
    var shortBefore: [Double] = [0]
    /// Covered ranges `[from, to)`, sorted and not touching.
    var coverage: [Range<Int64>] = []

    public init(buckets: [LiquidationBucket], coverage: [Range<Int64>]) {
      for b in buckets.sorted(by: { $0.time < $1.time }) {
        times.append(b.time)
        longBefore.append(longBefore.last! + b.longNotional)
        shortBefore.append(shortBefore.last! + b.shortNotional)
      }
      var merged: [Range<Int64>] = []
      for r in coverage.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
        if let last = merged.last, r.lowerBound <= last.upperBound {
          merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
        } else {
          merged.append(r)
        }
      }
      self.coverage = merged
    }

    /// Adds a minute newer than every one held (an older one is ignored).
    public mutating func append(_ b: LiquidationBucket) {
      guard times.last.map({ b.time > $0 }) ?? true else { return }
      times.append(b.time)
      longBefore.append(longBefore.last! + b.longNotional)
      shortBefore.append(shortBefore.last! + b.shortNotional)
    }

    /// Adds a covered range, merged with the ranges it touches.
    public mutating func cover(_ r: Range<Int64>) {
      guard !r.isEmpty else { return }
      // The common case, a recorder extending its newest span: in place, no allocation.
      if let last = coverage.last, r.lowerBound >= last.lowerBound, r.lowerBound <= last.upperBound
      {
        coverage[coverage.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
        return
      }
      if let last = coverage.last, r.lowerBound > last.upperBound {
        coverage.append(r)
        return
      }
      var i = coverage.count
      while i > 0 && coverage[i - 1].lowerBound > r.lowerBound { i -= 1 }
      coverage.insert(r, at: i)
      var merged: [Range<Int64>] = []
      merged.reserveCapacity(coverage.count)
      for c in coverage {
        if let last = merged.last, c.lowerBound <= last.upperBound {
          merged[merged.count - 1] = last.lowerBound..<max(last.upperBound, c.upperBound)
        } else {
          merged.append(c)
        }
      }
      coverage = merged
    }

    /// Drops minutes and covered ranges that end before `keepFrom` once they outnumber the rest
    /// (amortized): sums over later candles are unchanged (running sums are differences).
    public mutating func trim(before keepFrom: Int64) {
      let dead = index(keepFrom)
      if dead > times.count / 2 {
        times.removeFirst(dead)
        longBefore.removeFirst(dead)
        shortBefore.removeFirst(dead)
      }
      var gone = 0
      while gone < coverage.count - 1 && coverage[gone].upperBound < keepFrom { gone += 1 }
      if gone > 0 { coverage.removeFirst(gone) }
    }

    /// The newest minute held and the end of the newest covered range.
    public var lastMinute: Int64? { times.last }
    public var coveredUntil: Int64? { coverage.last?.upperBound }

    /// First index with `times[i] >= t`.
    @inline(__always) private func index(_ t: Int64) -> Int {
      var (lo, hi) = (0, times.count)
      while lo < hi {
        let mid = (lo &+ hi) >> 1
        if times[mid] < t { lo = mid &+ 1 } else { hi = mid }
      }
      return lo
    }

    /// Whether one covered range holds all of `[from, to)`.
    @inline(__always) func covers(_ from: Int64, _ to: Int64) -> Bool {
      var (lo, hi) = (0, coverage.count)
      while lo < hi {
        let mid = (lo &+ hi) >> 1
        if coverage[mid].lowerBound <= from { lo = mid &+ 1 } else { hi = mid }
      }
      return lo > 0 && coverage[lo &- 1].upperBound >= to
    }

    /// Long and short liquidated notional over `[from, to)`, NaN when not all of it was recorded.
    @inline(__always) func sums(_ from: Int64, _ to: Int64) -> (long: Double, short: Double) {
      guard covers(from, to) else { return (.nan, .nan) }
      let a = index(from)
      let b = index(to)
      return (longBefore[b] - longBefore[a], shortBefore[b] - shortBefore[a])
    }
  }

  /// One symbol's series; nil where nothing is stored.
  public struct Symbol: Sendable {
    public var openInterest: Sampled?
    public var longShortRatio: Sampled?
    public var liquidations: Recorded?
    public init(
      openInterest: Sampled? = nil, longShortRatio: Sampled? = nil, liquidations: Recorded? = nil
    ) {
      self.openInterest = openInterest
      self.longShortRatio = longShortRatio
      self.liquidations = liquidations
    }
    public var isEmpty: Bool { openInterest == nil && longShortRatio == nil && liquidations == nil }
  }

  /// The values of one candle; NaN where there is none (the Lua candle shows nil).
  public struct Values: Equatable, Sendable {
    public var openInterest = Double.nan
    public var longShortRatio = Double.nan
    public var liquidationsLong = Double.nan
    public var liquidationsShort = Double.nan
    public init() {}
  }

  public private(set) var symbols: [Symbol]

  /// By the run's symbol index.
  public init(symbols: [Symbol]) { self.symbols = symbols }

  /// Takes `other`'s series in place: a paper or live runner tops the series up between candles
  /// (on the thread that delivers them) while the strategy keeps this object.
  public func replace(with other: CandleExtras) { symbols = other.symbols }

  /// Changes symbol `symbol`'s series in place (a runner appending what the cache gained).
  public func update(symbol: Int, _ body: (inout Symbol) -> Void) { body(&symbols[symbol]) }

  /// Whether any symbol has any series (a run without them skips the lookups entirely).
  public var isEmpty: Bool { symbols.allSatisfy(\.isEmpty) }

  /// The values known at the close of the candle `[open, close)` of symbol `symbol`.
  @inline(__always) public func values(symbol: Int, open: Int64, close: Int64) -> Values {
    var v = Values()
    guard symbol < symbols.count else { return v }
    let s = symbols[symbol]
    if let oi = s.openInterest { v.openInterest = oi.value(asOf: close) }
    if let ls = s.longShortRatio { v.longShortRatio = ls.value(asOf: close) }
    if let liq = s.liquidations {
      let sums = liq.sums(open, close)
      v.liquidationsLong = sums.long
      v.liquidationsShort = sums.short
    }
    return v
  }
}
