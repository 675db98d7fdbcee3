/// Aggregates a series into a larger timeframe aligned to UTC boundaries (4h buckets open at
/// 00, 04, 08, 12, 16 and 20 UTC; weeks on Mondays, see `Timeframe`): open = first, close = last, high = max, low = min,
/// volume = sum. Only complete buckets are emitted; a bucket missing any source candle is
/// counted in `incompleteBuckets` instead, so gaps never turn into plausible-looking bars.
/// A bucket is emitted by the `add` of its last source candle, the moment it has closed: a
/// multi-timeframe run delivers it right after that candle (`wick data resample` and a run's
/// higher timeframes share this code, so they see the same bars).
///
///     var r = try Resampler(from: .oneMinute, to: Timeframe(parsing: "4h"))
///     for c in minutes { if let bar = r.add(c) { out.append(bar) } }
///     if let bar = r.finish() { out.append(bar) }
public struct Resampler: Sendable {
  public let source: Timeframe
  public let target: Timeframe
  /// Buckets skipped because source candles were missing.
  public private(set) var incompleteBuckets = 0
  /// Open time of the first skipped bucket, for the report.
  public private(set) var firstIncompleteBucket: Int64?
  private let perBucket: Int
  private var bucket: Candle?
  private var filled = 0

  /// - Throws: `WickError.invalidArgument` unless `target` is a larger multiple of `source` whose
  ///   buckets start on `source` candles.
  public init(from source: Timeframe, to target: Timeframe) throws {
    guard target.milliseconds > source.milliseconds, target.milliseconds % source.milliseconds == 0
    else {
      throw WickError.invalidArgument(
        "cannot resample \(source) to \(target): the target timeframe must be a larger multiple of the source"
      )
    }
    guard source.isAligned(target.origin) else {
      throw WickError.invalidArgument(
        "cannot resample \(source) to \(target): \(target) candles open \(target.alignment), where no \(source) candle opens"
      )
    }
    self.source = source
    self.target = target
    perBucket = Int(target.milliseconds / source.milliseconds)
  }

  /// Adds the next source candle (times increasing); returns the bucket it completed, if any.
  public mutating func add(_ candle: Candle) -> Candle? {
    let start = target.floor(candle.time)
    guard var current = bucket, current.time == start else {
      // A bucket still open here lacks candles (a complete one left with its last candle).
      _ = closeBucket()
      bucket = Candle(
        time: start, open: candle.open, high: candle.high, low: candle.low, close: candle.close,
        volume: candle.volume)
      filled = 1
      return nil
    }
    current.high = max(current.high, candle.high)
    current.low = min(current.low, candle.low)
    current.close = candle.close
    current.volume += candle.volume
    filled += 1
    if filled == perBucket {
      bucket = nil
      return current
    }
    bucket = current
    return nil
  }

  /// Ends the stream; returns the last bucket if it is complete.
  public mutating func finish() -> Candle? {
    defer { bucket = nil }
    return closeBucket()
  }

  private mutating func closeBucket() -> Candle? {
    guard let current = bucket else { return nil }
    if filled == perBucket { return current }
    incompleteBuckets += 1
    if firstIncompleteBucket == nil { firstIncompleteBucket = current.time }
    return nil
  }

  /// Resamples a whole cursor.
  ///
  ///     let (bars, r) = try Resampler.resample(store.cursor(series: minutes), from: .oneMinute, to: fourHours)
  public static func resample(_ cursor: CandleCursor, from source: Timeframe, to target: Timeframe)
    throws -> (
      candles: [Candle], resampler: Resampler
    )
  {
    var resampler = try Resampler(from: source, to: target)
    var out: [Candle] = []
    while let c = try cursor.next() {
      if let bar = resampler.add(c) { out.append(bar) }
    }
    if let bar = resampler.finish() { out.append(bar) }
    return (out, resampler)
  }
}
