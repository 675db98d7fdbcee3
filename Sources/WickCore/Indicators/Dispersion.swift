/// Rolling mean and variance over a window, updated in O(1) with a sliding Welford step
/// (stable for prices in the tens of thousands, unlike sum/sum-of-squares).
struct RollingMoments {
  private(set) var window: RingBuffer
  private(set) var mean = 0.0
  private var m2 = 0.0

  init(period: Int) { window = RingBuffer(capacity: period) }

  var isFull: Bool { window.isFull }
  /// Population variance (divides by n), as TA-Lib's STDDEV.
  var variance: Double { max(m2 / Double(window.count), 0) }

  @inline(__always) mutating func push(_ x: Double) {
    if let old = window.push(x) {
      let oldMean = mean
      mean += (x - old) / Double(window.count)
      m2 += (x - old) * (x - mean + old - oldMean)
    } else {
      let n = Double(window.count)
      let delta = x - mean
      mean += delta / n
      m2 += delta * (x - mean)
    }
  }
}

/// Population standard deviation over `period` values (TA-Lib STDDEV with nbdev = 1).
public final class StdDev: StreamingIndicator {
  private var moments: RollingMoments
  public private(set) var value: Double?
  public let arity = 1
  public init(period: Int) { moments = RollingMoments(period: period) }

  @inline(__always) public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    moments.push(x)
    value = moments.isFull ? moments.variance.squareRoot() : nil
    return value
  }
}

/// (x − mean) / stddev over the last `period` values including x; nil until warm or when the
/// window is flat (stddev 0).
public final class ZScore: StreamingIndicator {
  private var moments: RollingMoments
  public private(set) var value: Double?
  public let arity = 1
  public init(period: Int) { moments = RollingMoments(period: period) }

  @inline(__always) public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    moments.push(x)
    let sd = moments.variance.squareRoot()
    value = moments.isFull && sd > 0 ? (x - moments.mean) / sd : nil
    return value
  }
}
