/// Average True Range with Wilder's smoothing, as TA-Lib's ATR (see `WilderATR`).
/// Inputs: high, low, close.
public final class ATR: StreamingIndicator {
  private var atr: WilderATR
  public var value: Double? { atr.value }
  public let arity = 3
  public init(period: Int) { atr = WilderATR(period: period) }

  public func update(_ high: Double, _ low: Double, _ close: Double) -> Double? {
    atr.update(high: high, low: low, close: close)
  }
}

/// Relative Strength Index with Wilder's smoothing, as TA-Lib's RSI: the first average gain/loss
/// is the mean over the first `period` changes; the first value needs `period + 1` prices.
public final class RSI: StreamingIndicator {
  private let period: Int
  private var previous: Double?
  private var gainSum = 0.0
  private var lossSum = 0.0
  private var changes = 0
  private var avgGain = 0.0
  private var avgLoss = 0.0
  public private(set) var value: Double?
  public let arity = 1
  public init(period: Int) { self.period = period }

  public func update(_ x: Double, _: Double = 0, _: Double = 0) -> Double? {
    defer { previous = x }
    guard let p = previous else { return nil }
    let change = x - p
    let gain = max(change, 0)
    let loss = max(-change, 0)
    let n = Double(period)
    if changes < period {
      gainSum += gain
      lossSum += loss
      changes += 1
      guard changes == period else { return nil }
      avgGain = gainSum / n
      avgLoss = lossSum / n
    } else {
      avgGain = (avgGain * (n - 1) + gain) / n
      avgLoss = (avgLoss * (n - 1) + loss) / n
    }
    let total = avgGain + avgLoss
    value = total == 0 ? 0 : 100 * avgGain / total
    return value
  }
}
