import WickCore

/// The last `capacity` closed candles of one symbol, for `ctx:history`. Storage allocated once.
struct CandleHistory {
  private var ring: [Candle]
  private var head = 0
  private(set) var count = 0

  init(capacity: Int) {
    ring = Array(
      repeating: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0),
      count: max(capacity, 1))
  }

  @inline(__always) mutating func append(_ c: Candle) {
    // Wrap by comparison, not `%`: two integer divisions a candle cost more than the copy.
    var slot = head + count
    if slot >= ring.count { slot -= ring.count }
    ring[slot] = c
    if count < ring.count {
      count += 1
    } else {
      head += 1
      if head == ring.count { head = 0 }
    }
  }

  /// The last `n` candles, oldest first.
  func last(_ n: Int) -> [Candle] {
    let k = min(n, count)
    return (0..<k).map { ring[(head + count - k + $0) % ring.count] }
  }
}
