/// On-balance volume (TA-Lib OBV): starts at the first candle's volume, then adds the volume
/// when the close rose and subtracts it when it fell. Inputs close, volume; warm at once.
public final class OBV: StreamingIndicator {
  private var previous: Double?
  public private(set) var value: Double?
  public let arity = 2

  public init() {}

  public func update(_ close: Double, _ volume: Double, _: Double = 0) -> Double? {
    defer { previous = close }
    guard let p = previous, let v = value else {
      value = volume
      return value
    }
    value = close > p ? v + volume : close < p ? v - volume : v
    return value
  }
}

/// Volume-weighted average price anchored at 00:00 UTC (no TA-Lib function):
/// Σ typical·volume / Σ volume over the day's candles so far, typical = (high + low + close)/3.
/// Inputs time (epoch ms, the candle's open), high, low, close, volume; nil while the day has
/// traded no volume.
public final class VWAP: MultiOutputIndicator {
  private var day = Int64.min
  private var priceVolume = 0.0
  private var volume = 0.0
  public let inputCount = 5
  public let outputCount = 1

  public init() {}

  public func update(time: Int64, high: Double, low: Double, close: Double, volume v: Double)
    -> Double?
  {
    var d = time / 86_400_000
    if time % 86_400_000 < 0 { d -= 1 }
    if d != day {
      day = d
      priceVolume = 0
      volume = 0
    }
    priceVolume += (high + low + close) / 3 * v
    volume += v
    return volume > 0 ? priceVolume / volume : nil
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard
      let v = update(
        time: Int64(input[0]), high: input[1], low: input[2], close: input[3], volume: input[4])
    else { return false }
    output[0] = v
    return true
  }
}
