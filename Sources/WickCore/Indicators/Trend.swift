/// MACD (TA-Lib MACD): line = EMA(fast) − EMA(slow), signal = EMA(signal) of the line,
/// histogram = line − signal. As TA-Lib does, the fast EMA starts where the slow one does
/// (seeded with the mean of the `fast` prices ending there), and nothing is reported before
/// the signal is warm. Input: a price; outputs line, signal, histogram.
public final class MACD: MultiOutputIndicator {
  private let fastAlpha: Double
  private var fastWindow: RingBuffer
  private var fastSum = 0.0
  private var fast: Double?
  private let slow: EMA
  private let signal: EMA
  public let inputCount = 1
  public let outputCount = 3

  /// `fast` < `slow`.
  public init(fast: Int, slow: Int, signal: Int) {
    fastAlpha = 2 / Double(fast + 1)
    fastWindow = RingBuffer(capacity: fast)
    self.slow = EMA(period: slow)
    self.signal = EMA(period: signal)
  }

  public func update(_ x: Double) -> (line: Double, signal: Double, histogram: Double)? {
    if let f = fast {
      fast = f + fastAlpha * (x - f)
    } else {
      fastSum += x - (fastWindow.push(x) ?? 0)
    }
    guard let s = slow.update(x) else { return nil }
    let f = fast ?? fastSum / Double(fastWindow.capacity)
    fast = f
    let line = f - s
    guard let sig = signal.update(line) else { return nil }
    return (line, sig, line - sig)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(input[0]) else { return false }
    output[0] = v.line
    output[1] = v.signal
    output[2] = v.histogram
    return true
  }
}

/// ADX with +DI and −DI (TA-Lib ADX, PLUS_DI, MINUS_DI; see `DirectionalMovement`). Inputs
/// high, low, close; outputs ADX, +DI, −DI, from candle 2n − 1.
public final class ADX: MultiOutputIndicator {
  private var movement: DirectionalMovement
  public let inputCount = 3
  public let outputCount = 3

  public init(period: Int) { movement = DirectionalMovement(period: period) }

  public func update(high: Double, low: Double, close: Double) -> (
    adx: Double, plusDI: Double, minusDI: Double
  )? {
    guard let a = movement.update(high: high, low: low, close: close),
      let p = movement.plusDI, let m = movement.minusDI
    else { return nil }
    return (a, p, m)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1], close: input[2]) else { return false }
    output[0] = v.adx
    output[1] = v.plusDI
    output[2] = v.minusDI
    return true
  }
}

/// Parabolic SAR as TA-Lib's SAR: the first direction is short when the second candle's
/// −DM is positive, long otherwise; the acceleration factor starts at `acceleration`, grows by
/// it at each new extreme up to `maximum`; the SAR never enters the last two candles' range and
/// flips to the extreme point when price crosses it. Inputs high, low; first value at candle 1.
public final class ParabolicSAR: StreamingIndicator {
  private let step: Double
  private let maximum: Double
  private var candles = 0
  private var isLong = true
  private var sar = 0.0
  private var extreme = 0.0
  private var factor = 0.0
  private var previousHigh = 0.0
  private var previousLow = 0.0
  public private(set) var value: Double?
  public let arity = 2

  public init(acceleration: Double, maximum: Double) {
    step = acceleration
    self.maximum = maximum
    factor = acceleration
  }

  public func update(_ high: Double, _ low: Double, _: Double = 0) -> Double? {
    candles += 1
    if candles == 1 {
      previousHigh = high
      previousLow = low
      return nil
    }
    var priorHigh = previousHigh
    var priorLow = previousLow
    if candles == 2 {
      let up = high - previousHigh
      let down = previousLow - low
      isLong = !(down > 0 && up < down)
      if isLong {
        extreme = high
        sar = previousLow
      } else {
        extreme = low
        sar = previousHigh
      }
      // TA-Lib compares the second candle with itself on its first step.
      priorHigh = high
      priorLow = low
    }
    previousHigh = high
    previousLow = low
    let out: Double
    if isLong {
      if low <= sar {
        isLong = false
        sar = max(extreme, priorHigh, high)
        out = sar
        factor = step
        extreme = low
        sar = max(sar + factor * (extreme - sar), priorHigh, high)
      } else {
        out = sar
        if high > extreme {
          extreme = high
          factor = min(factor + step, maximum)
        }
        sar = min(sar + factor * (extreme - sar), priorLow, low)
      }
    } else {
      if high >= sar {
        isLong = true
        sar = min(extreme, priorLow, low)
        out = sar
        factor = step
        extreme = high
        sar = min(sar + factor * (extreme - sar), priorLow, low)
      } else {
        out = sar
        if low < extreme {
          extreme = low
          factor = min(factor + step, maximum)
        }
        sar = max(sar + factor * (extreme - sar), priorHigh, high)
      }
    }
    value = out
    return out
  }
}

/// Supertrend (no TA-Lib function; the usual definition): bands hl2 ± multiplier·ATR(period)
/// (TA-Lib ATR), the upper band only ratchets down and the lower only up while the previous
/// close stays inside them; the trend turns up when the close crosses above the previous
/// upper band and down when it crosses below the previous lower band (it starts up). The line
/// is the lower band in an uptrend, the upper in a downtrend. Inputs high, low, close; outputs
/// the line and the direction (1 up, −1 down), from candle `period`.
public final class Supertrend: MultiOutputIndicator {
  private let multiplier: Double
  private var atr: WilderATR
  private var upper: Double?
  private var lower = 0.0
  private var previousClose = 0.0
  private var direction = 1.0
  public let inputCount = 3
  public let outputCount = 2

  public init(period: Int, multiplier: Double) {
    atr = WilderATR(period: period)
    self.multiplier = multiplier
  }

  public func update(high: Double, low: Double, close: Double) -> (line: Double, direction: Double)?
  {
    defer { previousClose = close }
    guard let a = atr.update(high: high, low: low, close: close) else { return nil }
    let mid = (high + low) / 2
    let basicUpper = mid + multiplier * a
    let basicLower = mid - multiplier * a
    if let previousUpper = upper {
      let previousLower = lower
      upper =
        basicUpper < previousUpper || previousClose > previousUpper ? basicUpper : previousUpper
      lower =
        basicLower > previousLower || previousClose < previousLower ? basicLower : previousLower
      if close > previousUpper {
        direction = 1
      } else if close < previousLower {
        direction = -1
      }
    } else {
      upper = basicUpper
      lower = basicLower
    }
    return (direction > 0 ? lower : upper!, direction)
  }

  public func update(_ input: UnsafePointer<Double>, _ output: UnsafeMutablePointer<Double>) -> Bool
  {
    guard let v = update(high: input[0], low: input[1], close: input[2]) else { return false }
    output[0] = v.line
    output[1] = v.direction
    return true
  }
}
