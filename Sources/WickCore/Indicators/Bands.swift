/// Bollinger bands (TA-Lib BBANDS with an SMA): middle = SMA(period), upper/lower = middle ±
/// k·σ with σ the population standard deviation of the window. Input: a price; outputs upper,
/// middle, lower.
public final class BollingerBands: MultiOutputIndicator {
  private var moments: RollingMoments
  private let up: Double
  private let down: Double
  public let inputCount = 1
  public let outputCount = 3

  public init(period: Int, deviationsUp: Double, deviationsDown: Double) {
    moments = RollingMoments(period: period)
    up = deviationsUp
    down = deviationsDown
  }

  public func update(_ x: Double) -> (upper: Double, middle: Double, lower: Double)? {
    moments.push(x)
    guard moments.isFull else { return nil }
    let sd = moments.variance.squareRoot()
    let m = moments.mean
    return (m + up * sd, m, m - down * sd)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(input[0]) else { return false }
    output[0] = v.upper
    output[1] = v.middle
    output[2] = v.lower
    return true
  }
}

/// Keltner channels (no TA-Lib function): middle = EMA(close, period), upper/lower = middle ±
/// multiplier·ATR(period) (TA-Lib EMA and ATR). Inputs high, low, close; outputs upper,
/// middle, lower, from candle `period` (the ATR's first).
public final class KeltnerChannels: MultiOutputIndicator {
  private let ema: EMA
  private var atr: WilderATR
  private let multiplier: Double
  public let inputCount = 3
  public let outputCount = 3

  public init(period: Int, multiplier: Double) {
    ema = EMA(period: period)
    atr = WilderATR(period: period)
    self.multiplier = multiplier
  }

  public func update(high: Double, low: Double, close: Double) -> (
    upper: Double, middle: Double, lower: Double
  )? {
    let m = ema.update(close)
    guard let a = atr.update(high: high, low: low, close: close), let m else { return nil }
    return (m + multiplier * a, m, m - multiplier * a)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1], close: input[2]) else { return false }
    output[0] = v.upper
    output[1] = v.middle
    output[2] = v.lower
    return true
  }
}

/// Donchian channels (no TA-Lib function): upper = highest high, lower = lowest low over
/// `period` candles (this one included), middle = their mean. Inputs high, low; outputs upper,
/// middle, lower.
public final class DonchianChannels: MultiOutputIndicator {
  private let highs: RollingExtreme
  private let lows: RollingExtreme
  public let inputCount = 2
  public let outputCount = 3

  public init(period: Int) {
    highs = RollingExtreme(period: period, kind: .highest)
    lows = RollingExtreme(period: period, kind: .lowest)
  }

  public func update(high: Double, low: Double) -> (upper: Double, middle: Double, lower: Double)? {
    let h = highs.update(high)
    guard let l = lows.update(low), let h else { return nil }
    return (h, (h + l) / 2, l)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1]) else { return false }
    output[0] = v.upper
    output[1] = v.middle
    output[2] = v.lower
    return true
  }
}
