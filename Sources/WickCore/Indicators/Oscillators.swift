/// Where `x` sits in [low, high] in percent, TA-Lib's way: 0 when the range is empty.
@inline(__always) func percentOfRange(_ x: Double, low: Double, high: Double) -> Double {
  let diff = (high - low) / 100
  return diff != 0 ? (x - low) / diff : 0
}

/// Slow stochastic (TA-Lib STOCH with SMA smoothing): %K = SMA(fast %K, slowK),
/// %D = SMA(%K, slowD), fast %K = (close − lowest low)/(highest high − lowest low)·100 over
/// `fastK` candles. Inputs high, low, close; outputs slow %K, slow %D.
public final class Stochastic: MultiOutputIndicator {
  private let highs: RollingExtreme
  private let lows: RollingExtreme
  private let slowK: SMA
  private let slowD: SMA
  public let inputCount = 3
  public let outputCount = 2

  public init(fastK: Int, slowK: Int, slowD: Int) {
    highs = RollingExtreme(period: fastK, kind: .highest)
    lows = RollingExtreme(period: fastK, kind: .lowest)
    self.slowK = SMA(period: slowK)
    self.slowD = SMA(period: slowD)
  }

  public func update(high: Double, low: Double, close: Double) -> (k: Double, d: Double)? {
    let hh = highs.update(high)
    guard let ll = lows.update(low), let hh,
      let k = slowK.update(percentOfRange(close, low: ll, high: hh)), let d = slowD.update(k)
    else { return nil }
    return (k, d)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1], close: input[2]) else { return false }
    output[0] = v.k
    output[1] = v.d
    return true
  }
}

/// Stochastic RSI (TA-Lib STOCHRSI with SMA smoothing): the fast stochastic of RSI(period)
/// over `fastK` values, %D = SMA(%K, fastD). Input: a price; outputs fast %K, fast %D.
public final class StochasticRSI: MultiOutputIndicator {
  private let rsi: RSI
  private let highs: RollingExtreme
  private let lows: RollingExtreme
  private let fastD: SMA
  public let inputCount = 1
  public let outputCount = 2

  public init(period: Int, fastK: Int, fastD: Int) {
    rsi = RSI(period: period)
    highs = RollingExtreme(period: fastK, kind: .highest)
    lows = RollingExtreme(period: fastK, kind: .lowest)
    self.fastD = SMA(period: fastD)
  }

  public func update(_ x: Double) -> (k: Double, d: Double)? {
    guard let r = rsi.update(x) else { return nil }
    let hh = highs.update(r)
    guard let ll = lows.update(r), let hh else { return nil }
    let k = percentOfRange(r, low: ll, high: hh)
    guard let d = fastD.update(k) else { return nil }
    return (k, d)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(input[0]) else { return false }
    output[0] = v.k
    output[1] = v.d
    return true
  }
}

/// Williams %R (TA-Lib WILLR): (highest high − close)/(highest high − lowest low)·−100 over
/// `period` candles; 0 when the range is empty. Inputs high, low, close.
public final class WilliamsR: StreamingIndicator {
  private let highs: RollingExtreme
  private let lows: RollingExtreme
  public private(set) var value: Double?
  public let arity = 3

  public init(period: Int) {
    highs = RollingExtreme(period: period, kind: .highest)
    lows = RollingExtreme(period: period, kind: .lowest)
  }

  public func update(_ high: Double, _ low: Double, _ close: Double) -> Double? {
    let hh = highs.update(high)
    guard let ll = lows.update(low), let hh else { return nil }
    let diff = (hh - ll) / -100
    value = diff != 0 ? (hh - close) / diff : 0
    return value
  }
}

/// Commodity channel index (TA-Lib CCI): (tp − SMA(tp))/(0.015 · mean absolute deviation)
/// of the typical price tp = (high + low + close)/3 over `period` candles; 0 when either is 0.
/// The mean absolute deviation has no running form: O(period) per update, like TA-Lib.
public final class CCI: StreamingIndicator {
  private let period: Int
  private var window: RingBuffer
  public private(set) var value: Double?
  public let arity = 3

  public init(period: Int) {
    self.period = period
    window = RingBuffer(capacity: period)
  }

  public func update(_ high: Double, _ low: Double, _ close: Double) -> Double? {
    let tp = (high + low + close) / 3
    window.push(tp)
    guard window.isFull else { return nil }
    let n = Double(period)
    var sum = 0.0
    for i in 0..<period { sum += window[i] }
    let mean = sum / n
    var deviation = 0.0
    for i in 0..<period { deviation += abs(window[i] - mean) }
    let distance = tp - mean
    value = distance != 0 && deviation != 0 ? distance / (0.015 * (deviation / n)) : 0
    return value
  }
}

/// Money flow index (TA-Lib MFI): 100 · positive / (positive + negative) money flow over
/// `period` candles, money flow = typical price · volume, positive when the typical price rose;
/// 0 when the total is below 1. Inputs high, low, close, volume.
public final class MFI: MultiOutputIndicator {
  private var positive: RingBuffer
  private var negative: RingBuffer
  private var positiveSum = 0.0
  private var negativeSum = 0.0
  private var previous: Double?
  private var updates = 0
  public let inputCount = 4
  public let outputCount = 1

  public init(period: Int) {
    positive = RingBuffer(capacity: period)
    negative = RingBuffer(capacity: period)
  }

  public func update(high: Double, low: Double, close: Double, volume: Double) -> Double? {
    let tp = (high + low + close) / 3
    defer { previous = tp }
    guard let previous else { return nil }
    let flow = tp * volume
    let up = tp > previous ? flow : 0
    let down = tp < previous ? flow : 0
    positiveSum += up - (positive.push(up) ?? 0)
    negativeSum += down - (negative.push(down) ?? 0)
    updates += 1
    if updates % 65_536 == 0 {
      positiveSum = 0
      negativeSum = 0
      for i in 0..<positive.count {
        positiveSum += positive[i]
        negativeSum += negative[i]
      }
    }
    guard positive.isFull else { return nil }
    let total = positiveSum + negativeSum
    return total < 1 ? 0 : 100 * (positiveSum / total)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1], close: input[2], volume: input[3]) else {
      return false
    }
    output[0] = v
    return true
  }
}
