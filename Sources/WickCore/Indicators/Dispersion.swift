/// Rolling mean and variance over a window, updated in O(1) with a sliding Welford step
/// (stable for prices in the tens of thousands, unlike sum/sum-of-squares).
struct RollingMoments: ~Copyable {
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

/// An indicator computed from the rolling mean and standard deviation of the last `period`
/// values: `StdDev` and `ZScore` differ only in what they report.
public class RollingDispersion: StreamingIndicator {
  private var moments: RollingMoments
  public private(set) var value: Double?
  public let arity = 1
  public init(period: Int) { moments = RollingMoments(period: period) }

  /// What to report for `x` given the window's mean and standard deviation (nil: not defined).
  func report(_ x: Double, mean: Double, sd: Double) -> Double? { sd }

  @inline(__always) public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    moments.push(x)
    value = moments.isFull ? report(x, mean: moments.mean, sd: moments.variance.squareRoot()) : nil
    return value
  }
}

/// Population standard deviation over `period` values (TA-Lib STDDEV with nbdev = 1).
public final class StdDev: RollingDispersion {}

/// (x − mean) / stddev over the last `period` values including x; nil until warm or when the
/// window is flat (stddev 0).
public final class ZScore: RollingDispersion {
  override func report(_ x: Double, mean: Double, sd: Double) -> Double? {
    sd > 0 ? (x - mean) / sd : nil
  }
}
