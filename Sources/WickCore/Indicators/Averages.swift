/// Weighted moving average, weights 1…n with the newest heaviest (TA-Lib WMA). O(1): the
/// weighted sum drops the previous window's plain sum when the window slides.
public final class WMA: StreamingIndicator {
  public let period: Int
  private var window: RingBuffer
  private var sum = 0.0
  private var weighted = 0.0
  private var updates = 0
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int) {
    self.period = period
    window = RingBuffer(capacity: period)
  }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    let n = Double(period)
    if window.isFull {
      weighted += n * x - sum
      sum += x - window.push(x)!
    } else {
      window.push(x)
      weighted += Double(window.count) * x
      sum += x
    }
    updates += 1
    if updates % 65_536 == 0 {  // bound the running sums' drift
      sum = 0
      weighted = 0
      for i in 0..<window.count {
        sum += window[i]
        weighted += Double(i + 1) * window[i]
      }
    }
    value = window.isFull ? weighted / (n * (n + 1) / 2) : nil
    return value
  }
}

/// Double and triple exponential moving averages (TA-Lib DEMA, TEMA): EMAs of EMAs, each
/// seeded with the SMA of its input's first `period` values. DEMA = 2·E1 − E2 from candle
/// 2(n−1); TEMA = 3·E1 − 3·E2 + E3 from candle 3(n−1).
public final class MultipleEMA: StreamingIndicator {
  public enum Kind: Sendable { case double, triple }
  private let kind: Kind
  private let e1: EMA
  private let e2: EMA
  private let e3: EMA
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int, kind: Kind) {
    self.kind = kind
    e1 = EMA(period: period)
    e2 = EMA(period: period)
    e3 = EMA(period: period)
  }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    value = nil
    guard let a = e1.update(x), let b = e2.update(a) else { return nil }
    switch kind {
    case .double: value = 2 * a - b
    case .triple:
      guard let c = e3.update(b) else { return nil }
      value = 3 * a - 3 * b + c
    }
    return value
  }
}

/// Kaufman's adaptive moving average as TA-Lib's KAMA: efficiency ratio
/// ER = |xₜ − xₜ₋ₙ| / Σ|xᵢ − xᵢ₋₁| over the last n changes, smoothing
/// sc = (ER·(2/3 − 2/31) + 2/31)², KAMA ← KAMA + sc·(x − KAMA), starting from the previous
/// price. First value at candle n.
public final class KAMA: StreamingIndicator {
  private let period: Int
  private var window: RingBuffer  // the last n + 1 prices
  private var changeSum = 0.0
  private var updates = 0
  public private(set) var value: Double?
  public let arity = 1
  private static let fastest = 2.0 / 3.0
  private static let slowest = 2.0 / 31.0

  public init(period: Int) {
    self.period = period
    window = RingBuffer(capacity: period + 1)
  }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    let previous: Double? = window.count > 0 ? window[window.count - 1] : nil
    if let previous { changeSum += abs(x - previous) }
    if window.isFull {
      // Leaves the window: the change between its two oldest prices.
      changeSum -= abs(window[1] - window[0])
    }
    window.push(x)
    updates += 1
    if updates % 65_536 == 0 {
      changeSum = 0
      for i in 1..<window.count { changeSum += abs(window[i] - window[i - 1]) }
    }
    guard window.isFull, let previous else { return nil }
    let change = x - window[0]
    let er = (changeSum <= change || isNearZero(changeSum)) ? 1.0 : abs(change / changeSum)
    var sc = er * (Self.fastest - Self.slowest) + Self.slowest
    sc *= sc
    let last = value ?? previous
    value = (x - last) * sc + last
    return value
  }
}

/// Rate of change in percent over `period` candles (TA-Lib ROC): (x / xₜ₋ₙ − 1)·100; 0 when
/// the old price is 0.
public final class ROC: StreamingIndicator {
  private var window: RingBuffer
  public private(set) var value: Double?
  public let arity = 1

  public init(period: Int) { window = RingBuffer(capacity: period) }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    guard let old = window.push(x) else { return nil }
    value = old != 0 ? (x / old - 1) * 100 : 0
    return value
  }
}
