/// Simple moving average over `period` values (TA-Lib SMA). First value after `period` inputs.
///
///     let sma = SMA(period: 3); _ = sma.update(1, 0, 0); _ = sma.update(2, 0, 0); sma.update(3, 0, 0) // 2
public final class SMA: StreamingIndicator {
  public let period: Int
  private var window: RingBuffer
  private var sum = 0.0
  private var updates = 0
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int) {
    self.period = period
    window = RingBuffer(capacity: period)
  }

  @inline(__always) public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    if let old = window.push(x) { sum -= old }
    sum += x
    updates += 1
    // Re-sum periodically so rounding error from add/subtract cannot accumulate over millions of updates.
    if updates % 65_536 == 0 {
      sum = 0
      for i in 0..<window.count { sum += window[i] }
    }
    value = window.isFull ? sum / Double(period) : nil
    return value
  }
}

/// Exponential moving average, α = 2/(period+1), seeded with the SMA of the first `period`
/// values as TA-Lib does.
public final class EMA: StreamingIndicator {
  public let period: Int
  private let alpha: Double
  private var seedSum = 0.0
  private var seen = 0
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int) {
    self.period = period
    alpha = 2.0 / Double(period + 1)
  }

  @inline(__always) public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    if let v = value {
      value = v + alpha * (x - v)
    } else {
      seedSum += x
      seen += 1
      if seen == period { value = seedSum / Double(period) }
    }
    return value
  }
}
