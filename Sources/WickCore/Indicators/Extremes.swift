/// Highest (or lowest) of the last `period` values, O(1) amortised with a monotonic deque kept
/// in a preallocated ring.
public final class RollingExtreme: StreamingIndicator {
  public enum Kind: Sendable { case highest, lowest }
  private let kind: Kind
  private let period: Int
  private var values: [Double]
  private var indices: [Int]
  private var front = 0
  private var size = 0
  private var seen = 0
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int, kind: Kind) {
    self.period = period
    self.kind = kind
    values = Array(repeating: 0, count: period + 1)
    indices = Array(repeating: 0, count: period + 1)
  }

  @inline(__always) private func dominates(_ a: Double, _ b: Double) -> Bool {
    kind == .highest ? a >= b : a <= b
  }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    let cap = values.count
    // Drop from the back everything the new value dominates.
    while size > 0 {
      let back = (front + size - 1) % cap
      if dominates(x, values[back]) { size -= 1 } else { break }
    }
    let slot = (front + size) % cap
    values[slot] = x
    indices[slot] = seen
    size += 1
    // Drop from the front what fell out of the window.
    while indices[front] <= seen - period {
      front = (front + 1) % cap
      size -= 1
    }
    seen += 1
    value = seen >= period ? values[front] : nil
    return value
  }
}
