import Foundation
import WickCore

/// Turns an open and a close into a full candle: wicks beyond the body scaled by the bar's
/// volatility, and a positive volume that rises with the size of the move. Shared by every
/// synthetic generator so their bars look alike.
public struct BarShaper: Sendable {
  /// Mean volume of a bar with a typical move.
  public let meanVolume: Double
  /// The typical per-bar volatility (log return), to measure how unusual a move is.
  public let longRunVolatility: Double

  public init(meanVolume: Double, longRunVolatility: Double) {
    self.meanVolume = meanVolume
    self.longRunVolatility = longRunVolatility
  }

  /// A valid candle (high ≥ max(open, close), low ≤ min(open, close), volume > 0) that opens at
  /// `open` and closes at `open × exp(logReturn)`; `sigma` is the bar's volatility.
  public func candle(
    time: Int64, open: Double, logReturn: Double, sigma: Double, rng: inout Xoshiro256StarStar
  )
    -> Candle
  {
    let close = open * exp(logReturn)
    // Half-normal wick lengths: a bar usually trades a little beyond its body.
    let upper = exp(0.5 * sigma * abs(rng.nextNormal()))
    let lower = exp(-0.5 * sigma * abs(rng.nextNormal()))
    let size = abs(logReturn) / max(longRunVolatility, 1e-12)
    // Log-normal noise with mean 1 (the −σ²/2 term) around a level that grows with the move.
    let volume = meanVolume * (0.4 + 0.6 * size) * exp(0.35 * rng.nextNormal() - 0.06125)
    return Candle(
      time: time, open: open, high: max(open, close) * upper, low: min(open, close) * lower,
      close: close,
      volume: volume)
  }
}
