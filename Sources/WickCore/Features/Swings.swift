/// How a confirmed pivot compares with the previous pivot of its kind.
public enum SwingLabel: String, Sendable, CaseIterable {
  /// A pivot high above the previous pivot high.
  case higherHigh = "HH"
  /// A pivot high at or below the previous pivot high.
  case lowerHigh = "LH"
  /// A pivot low at or above the previous pivot low.
  case higherLow = "HL"
  /// A pivot low below the previous pivot low.
  case lowerLow = "LL"
}

/// A confirmed swing point.
public struct SwingPoint: Sendable, Equatable {
  public enum Kind: String, Sendable { case high, low }
  public var kind: Kind
  /// Open time (epoch ms) of the pivot candle, `strength` candles before the confirming one.
  public var time: Int64
  /// The pivot candle's high (for a high) or low (for a low).
  public var price: Double
  /// Compared with the previous pivot of the same kind; nil for the first one.
  public var label: SwingLabel?

  public init(kind: Kind, time: Int64, price: Double, label: SwingLabel?) {
    self.kind = kind
    self.time = time
    self.price = price
    self.label = label
  }
}

/// Market-structure pivots (`wick.swings(n)`). A candle is a pivot high when its high is above
/// the highs of the `n` candles before it and not below those of the `n` after it (so the first
/// of equal highs is the pivot); a pivot low mirrors it. It can only be known once the `n`th
/// later candle has closed: `update` reports it on that candle, never earlier. O(n) per update
/// (the pivot is compared with its neighbours), no allocation after init.
public struct SwingDetector: Sendable {
  public let strength: Int
  private var times: TrailingWindow
  private var highs: TrailingWindow
  private var lows: TrailingWindow
  /// The last confirmed pivots of each kind.
  public private(set) var lastHigh: SwingPoint?
  public private(set) var lastLow: SwingPoint?

  /// `strength` ≥ 1: candles on each side of a pivot.
  public init(strength: Int) {
    precondition(strength >= 1)
    self.strength = strength
    times = TrailingWindow(capacity: 2 * strength + 1)
    highs = TrailingWindow(capacity: 2 * strength + 1)
    lows = TrailingWindow(capacity: 2 * strength + 1)
  }

  /// Feeds one closed candle; returns the pivots it confirms (the candle `strength` back).
  public mutating func update(time: Int64, high: Double, low: Double) -> (
    high: SwingPoint?, low: SwingPoint?
  ) {
    times.push(Double(time))
    highs.push(high)
    lows.push(low)
    guard highs.isFull else { return (nil, nil) }
    let n = strength
    let h = highs[n]
    let l = lows[n]
    var isHigh = true
    var isLow = true
    for i in 0..<n {
      if highs[i] >= h { isHigh = false }
      if lows[i] <= l { isLow = false }
    }
    for i in (n + 1)...(2 * n) {
      if highs[i] > h { isHigh = false }
      if lows[i] < l { isLow = false }
    }
    let t = Int64(times[n])
    var confirmedHigh: SwingPoint?
    var confirmedLow: SwingPoint?
    if isHigh {
      let label: SwingLabel? = lastHigh.map { h > $0.price ? .higherHigh : .lowerHigh }
      confirmedHigh = SwingPoint(kind: .high, time: t, price: h, label: label)
      lastHigh = confirmedHigh
    }
    if isLow {
      let label: SwingLabel? = lastLow.map { l < $0.price ? .lowerLow : .higherLow }
      confirmedLow = SwingPoint(kind: .low, time: t, price: l, label: label)
      lastLow = confirmedLow
    }
    return (confirmedHigh, confirmedLow)
  }
}
