import WickCore

/// The last `capacity` closed candles of each symbol of one timeframe, for `ctx:history`, and the
/// closed candles each symbol has seen: the kernel's base timeframe, and each higher timeframe
/// of a multi-timeframe strategy. Allocated once and written through plain pointers: the candle
/// loop appends to it on every candle, where an array of per-symbol rings cost two uniqueness
/// checks and the seen counts' array a third.
final class CandleRings {
  let symbolCount: Int
  let capacity: Int
  private let candles: UnsafeMutablePointer<Candle>
  private let heads: UnsafeMutablePointer<Int>
  private let counts: UnsafeMutablePointer<Int>
  /// Closed candles per symbol since the start (not capped at `capacity`).
  let seen: UnsafeMutablePointer<Int>

  init(symbols: Int, capacity: Int) {
    symbolCount = symbols
    self.capacity = max(capacity, 1)
    candles = .allocate(capacity: symbols * self.capacity)
    candles.initialize(
      repeating: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0),
      count: symbols * self.capacity)
    heads = .allocate(capacity: symbols)
    heads.initialize(repeating: 0, count: symbols)
    counts = .allocate(capacity: symbols)
    counts.initialize(repeating: 0, count: symbols)
    seen = .allocate(capacity: symbols)
    seen.initialize(repeating: 0, count: symbols)
  }

  deinit {
    candles.deallocate()
    heads.deallocate()
    counts.deallocate()
    seen.deallocate()
  }

  /// Appends symbol `s`'s closed candle (`s` is a valid symbol index: the kernel's slices are).
  @inline(__always) func append(symbol s: Int, _ c: Candle) {
    let ring = candles + s * capacity
    let count = counts[s]
    var slot = heads[s] + count
    if slot >= capacity { slot -= capacity }
    ring[slot] = c
    if count < capacity {
      counts[s] = count + 1
    } else {
      let head = heads[s] + 1
      heads[s] = head == capacity ? 0 : head
    }
    seen[s] += 1
  }

  /// Symbol `s`'s last `n` candles, oldest first.
  func last(symbol s: Int, _ n: Int) -> [Candle] {
    precondition(s >= 0 && s < symbolCount, "symbol index \(s) out of range")
    let ring = candles + s * capacity
    let (head, count) = (heads[s], counts[s])
    let k = min(n, count)
    return (0..<k).map { ring[(head + count - k + $0) % capacity] }
  }
}
