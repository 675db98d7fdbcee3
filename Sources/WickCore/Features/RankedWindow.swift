/// The last `capacity` values in arrival order and, beside them, the same values sorted, so
/// "how many of them are at or below x" is a binary search instead of a scan of the window.
/// A push that evicts moves only the sorted values between the evicted one's place and the new
/// one's, as one block, with no allocation after init.
///
/// NaN is never "at or below" anything, exactly as a linear count with `<=` would have it: NaNs
/// stay out of the sorted part and are only counted, so the ranks match the scan bit for bit.
struct RankedWindow: Sendable {
  private var arrivals: TrailingWindow
  /// The non-NaN values of `arrivals`, ascending; `sorted[0..<sortedCount]` is valid.
  private var sorted: [Double]
  private var sortedCount = 0

  init(capacity: Int) {
    arrivals = TrailingWindow(capacity: capacity)
    sorted = Array(repeating: 0, count: capacity)
  }

  var isFull: Bool { arrivals.isFull }
  var count: Int { arrivals.count }

  /// Appends `x`, dropping the oldest value when full: two binary searches and one block move.
  mutating func push(_ x: Double) {
    let evicted = arrivals.push(x)
    let n = sortedCount
    sorted.withUnsafeMutableBufferPointer { buffer in
      let s = buffer.baseAddress!
      if let old = evicted, !old.isNaN {
        // Any element equal to `old` will do: equal values rank the same.
        let at = Self.lowerBound(old, s, 0, n)
        if x.isNaN {
          (s + at).update(from: s + at + 1, count: n - at - 1)
        } else if x > old {
          // The values between the two slots slide down by one.
          let to = Self.lowerBound(x, s, at + 1, n) - 1
          (s + at).update(from: s + at + 1, count: to - at)
          s[to] = x
        } else {
          // ... or up by one.
          let to = Self.upperBound(x, s, 0, at)
          (s + to + 1).update(from: s + to, count: at - to)
          s[to] = x
        }
      } else if !x.isNaN {
        let to = Self.upperBound(x, s, 0, n)
        (s + to + 1).update(from: s + to, count: n - to)
        s[to] = x
      }
    }
    if let old = evicted, !old.isNaN { sortedCount -= 1 }
    if !x.isNaN { sortedCount += 1 }
  }

  /// How many of the window's values are `<= x` (0 for NaN), in O(log capacity).
  func count(atMost x: Double) -> Int {
    if x.isNaN { return 0 }
    return sorted.withUnsafeBufferPointer { s in
      guard let base = s.baseAddress else { return 0 }
      return Self.upperBound(x, base, 0, sortedCount)
    }
  }

  /// The first index in lo..<hi whose value is not below `x`.
  private static func lowerBound(
    _ x: Double, _ s: UnsafePointer<Double>, _ lo: Int, _ hi: Int
  ) -> Int {
    var lo = lo
    var hi = hi
    while lo < hi {
      let mid = (lo + hi) >> 1
      if s[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }

  /// The first index in lo..<hi whose value is above `x`.
  private static func upperBound(
    _ x: Double, _ s: UnsafePointer<Double>, _ lo: Int, _ hi: Int
  ) -> Int {
    var lo = lo
    var hi = hi
    while lo < hi {
      let mid = (lo + hi) >> 1
      if s[mid] <= x { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}
