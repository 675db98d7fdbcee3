import WickCore

/// A batch cursor over `candles` with a single buffer that every fetch overwrites (as the SQLite
/// cursor's ring reuses its chunks): a consumer that keeps a batch past the next fetch, or reads
/// past a short batch's end, sees other candles or zeros.
public final class ReusedBufferCursor: BatchCandleCursor {
  private let candles: [Candle]
  private let buffer: UnsafeMutableBufferPointer<Candle>
  private var index = 0

  public init(_ candles: [Candle], batch: Int) {
    self.candles = candles
    buffer = .allocate(capacity: batch)
  }

  deinit { buffer.deallocate() }

  public func next() throws -> Candle? {
    guard index < candles.count else { return nil }
    defer { index += 1 }
    buffer[0] = candles[index]  // clobbers the buffer like a fetch does
    return candles[index]
  }

  public func nextBatch() throws -> UnsafeBufferPointer<Candle> {
    let n = min(buffer.count, candles.count - index)
    for i in 0..<buffer.count {
      buffer[i] =
        i < n ? candles[index + i] : Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0)
    }
    index += n
    return UnsafeBufferPointer(rebasing: buffer[0..<n])
  }
}
