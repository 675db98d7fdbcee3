/// TA-Lib's "is zero" test (`TA_IS_ZERO`), used where TA-Lib guards a division.
@inline(__always) func isNearZero(_ x: Double) -> Bool { x > -1e-14 && x < 1e-14 }

/// Wilder's true range of a candle given the previous close.
@inline(__always) func trueRange(_ high: Double, _ low: Double, _ previousClose: Double) -> Double {
  max(high - low, abs(high - previousClose), abs(low - previousClose))
}

/// Wilder's directional movement as TA-Lib computes ADX, PLUS_DI and MINUS_DI: +DM, −DM and
/// TR are summed over the first `period − 1` changes, then smoothed as S ← S − S/n + x; DX is
/// averaged over the first `period` DIs to seed ADX, then ADX ← (ADX·(n−1) + DX)/n. So +DI/−DI
/// are defined from candle `period` on and ADX from candle `2·period − 1` (0-based).
/// A value type (no buffers): the regime classifier embeds it.
public struct DirectionalMovement: Sendable {
  public let period: Int
  private var previousHigh = 0.0
  private var previousLow = 0.0
  private var previousClose = 0.0
  private var plusDM = 0.0
  private var minusDM = 0.0
  private var range = 0.0
  private var changes = 0
  private var sumDX = 0.0
  private var started = false
  /// The last ADX; nil until warm.
  public private(set) var adx: Double?
  /// The last +DI and −DI (TA-Lib PLUS_DI / MINUS_DI); nil until warm. 0 over a flat market.
  public private(set) var plusDI: Double?
  public private(set) var minusDI: Double?

  /// `period` ≥ 2 (TA-Lib's minimum for ADX).
  public init(period: Int) {
    precondition(period >= 2, "DirectionalMovement needs period >= 2")
    self.period = period
  }

  /// Feeds one candle; returns the new ADX (nil while warming; the DIs warm earlier).
  @discardableResult
  public mutating func update(high: Double, low: Double, close: Double) -> Double? {
    defer {
      previousHigh = high
      previousLow = low
      previousClose = close
    }
    guard started else {
      started = true
      return nil
    }
    changes += 1
    let n = Double(period)
    let up = high - previousHigh
    let down = previousLow - low
    let tr = trueRange(high, low, previousClose)
    if changes >= period {
      plusDM -= plusDM / n
      minusDM -= minusDM / n
      range = range - range / n + tr
    } else {
      range += tr
    }
    if down > 0 && up < down {
      minusDM += down
    } else if up > 0 && up > down {
      plusDM += up
    }
    guard changes >= period else { return nil }
    guard !isNearZero(range) else {
      // A flat stretch: TA-Lib's PLUS_DI/MINUS_DI read 0 and ADX keeps its last value.
      plusDI = 0
      minusDI = 0
      if changes == 2 * period - 1 { adx = sumDX / n }
      return adx
    }
    let p = 100 * (plusDM / range)
    let m = 100 * (minusDM / range)
    plusDI = p
    minusDI = m
    let sum = p + m
    let dx: Double? = isNearZero(sum) ? nil : 100 * (abs(m - p) / sum)
    if changes < 2 * period - 1 {
      sumDX += dx ?? 0
    } else if changes == 2 * period - 1 {
      sumDX += dx ?? 0
      adx = sumDX / n
    } else if let dx, let a = adx {
      adx = (a * (n - 1) + dx) / n
    }
    return adx
  }
}

/// Average true range with Wilder's smoothing, as TA-Lib's ATR: the first value is the mean of
/// the first `period` true ranges (the first needs a previous close), then
/// ATR ← (ATR·(n−1) + TR)/n. A value type: `ATR` and the regime classifier embed it.
public struct WilderATR: Sendable {
  public let period: Int
  private var previousClose: Double?
  private var seedSum = 0.0
  private var seeded = 0
  /// The last ATR; nil until warm (after `period + 1` candles).
  public private(set) var value: Double?

  public init(period: Int) { self.period = period }

  @discardableResult
  public mutating func update(high: Double, low: Double, close: Double) -> Double? {
    defer { previousClose = close }
    guard let pc = previousClose else { return nil }
    let tr = trueRange(high, low, pc)
    if let v = value {
      value = (v * Double(period - 1) + tr) / Double(period)
    } else {
      seedSum += tr
      seeded += 1
      if seeded == period { value = seedSum / Double(period) }
    }
    return value
  }
}
