/// The last `capacity` values in arrival order and, beside them, the same values sorted, so
/// "how many of them are at or below x" is a binary search instead of a scan of the window.
/// A push that evicts slides only the sorted values between the evicted one's place and the new
/// one's (short for a slowly moving series such as an ATR), with no allocation after init.
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

  /// Appends `x`, dropping the oldest value when full.
  mutating func push(_ x: Double) {
    let evicted = arrivals.push(x)
    sorted.withUnsafeMutableBufferPointer { s in
      var n = sortedCount
      if let old = evicted, !old.isNaN {
        // Any element equal to `old` will do: equal values rank the same.
        var at = Self.firstIndex(notBelow: old, in: s, count: n)
        if !x.isNaN {
          // Replace in place, sliding the values between the two slots by one.
          if x > old {
            while at + 1 < n && s[at + 1] < x {
              s[at] = s[at + 1]
              at += 1
            }
          } else {
            while at > 0 && s[at - 1] > x {
              s[at] = s[at - 1]
              at -= 1
            }
          }
          s[at] = x
          return
        }
        for i in at..<(n - 1) { s[i] = s[i + 1] }
        n -= 1
      }
      if !x.isNaN {
        var at = n
        while at > 0 && s[at - 1] > x {
          s[at] = s[at - 1]
          at -= 1
        }
        s[at] = x
        n += 1
      }
      sortedCount = n
    }
  }

  /// How many of the window's values are `<= x` (0 for NaN), in O(log capacity).
  func count(atMost x: Double) -> Int {
    if x.isNaN { return 0 }
    return sorted.withUnsafeBufferPointer { s in
      var lo = 0
      var hi = sortedCount
      while lo < hi {  // first index whose value is > x
        let mid = (lo + hi) >> 1
        if s[mid] <= x { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
  }

  private static func firstIndex(
    notBelow x: Double, in s: UnsafeMutableBufferPointer<Double>, count: Int
  ) -> Int {
    var lo = 0
    var hi = count
    while lo < hi {
      let mid = (lo + hi) >> 1
      if s[mid] < x { lo = mid + 1 } else { hi = mid }
    }
    return lo
  }
}
