import WickCore

/// The last `capacity` closed candles of each symbol of one timeframe, for `ctx:history`, and the
/// closed candles each symbol has seen: the kernel's base timeframe, and each higher timeframe
/// of a multi-timeframe strategy. Allocated once and written through plain pointers: the candle
/// loop appends to it on every candle, where an array of per-symbol rings cost two uniqueness
/// checks and the seen counts' array a third.
final class CandleRings {
  let symbolCount: Int
  /// Grows only through `deepen` (between candles, never on the candle path).
  private(set) var capacity: Int
  private var candles: UnsafeMutablePointer<Candle>
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

  /// Keeps `capacity` candles per symbol from now on, the room filled (oldest first) with the
  /// candles `earlier(s, before, n)` gives: up to `n` of symbol `s`, all older than `before`
  /// (its oldest kept candle), which count as seen. A symbol with no candle yet gets none.
  func deepen(to capacity: Int, earlier: (_ symbol: Int, _ before: Int64, _ count: Int) -> [Candle])
  {
    guard capacity > self.capacity else { return }
    let grown = UnsafeMutablePointer<Candle>.allocate(capacity: symbolCount * capacity)
    grown.initialize(
      repeating: Candle(time: 0, open: 0, high: 0, low: 0, close: 0, volume: 0),
      count: symbolCount * capacity)
    for s in 0..<symbolCount {
      let kept = last(symbol: s, counts[s])
      let older =
        kept.first.map { first in
          earlier(s, first.time, capacity - kept.count).filter { $0.time < first.time }
            .suffix(capacity - kept.count)
        } ?? []
      let ring = grown + s * capacity
      for (k, c) in (older + kept).enumerated() { ring[k] = c }
      heads[s] = 0
      counts[s] = older.count + kept.count
      seen[s] += older.count
    }
    candles.deallocate()
    candles = grown
    self.capacity = capacity
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
