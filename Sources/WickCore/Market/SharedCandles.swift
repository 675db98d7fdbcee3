/// One series' candles read into memory once and shared read-only by every run of a sweep: each
/// run reads its range through its own cursor, which hands the whole range over as one batch
/// (the backtest loop's single-series fast path steps through it without a call per candle).
/// Immutable after init, so workers on other threads may read it at once.
public final class SharedCandles: @unchecked Sendable {
  public let count: Int
  private let base: UnsafeMutablePointer<Candle>

  public init(_ candles: [Candle]) {
    count = candles.count
    base = .allocate(capacity: max(candles.count, 1))
    candles.withUnsafeBufferPointer { base.initialize(from: $0.baseAddress!, count: $0.count) }
  }

  deinit { base.deallocate() }

  public subscript(i: Int) -> Candle {
    precondition(i >= 0 && i < count, "candle index \(i) out of range 0..<\(count)")
    return base[i]
  }

  public var first: Candle? { count > 0 ? base[0] : nil }
  public var last: Candle? { count > 0 ? base[count - 1] : nil }

  /// The first index whose time is at or after `time` (binary search).
  public func index(atOrAfter time: Int64) -> Int {
    var lo = 0
    var hi = count
    while lo < hi {
      let mid = (lo + hi) / 2
      if base[mid].time < time { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// A cursor over the candles of `range` (clamped to the series).
  public func cursor(_ range: Range<Int>) -> BatchCandleCursor {
    Cursor(self, range.clamped(to: 0..<count))
  }

  private final class Cursor: BatchCandleCursor {
    /// Holds the memory alive for as long as a run reads it.
    private let candles: SharedCandles
    private var position: Int
    private let end: Int

    init(_ candles: SharedCandles, _ range: Range<Int>) {
      self.candles = candles
      position = range.lowerBound
      end = range.upperBound
    }

    func next() -> Candle? {
      guard position < end else { return nil }
      defer { position += 1 }
      return candles.base[position]
    }

    func nextBatch() -> UnsafeBufferPointer<Candle> {
      let batch = UnsafeBufferPointer(start: candles.base + position, count: end - position)
      position = end
      return batch
    }
  }
}
