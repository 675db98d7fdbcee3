import Foundation
import WickCore

/// Two cointegrated candle series for pairs trading demos, tests and benchmarks: B follows a
/// geometric random walk, and A = hedge × B + spread, where the spread is an AR(1)
/// (Ornstein-Uhlenbeck) process whose half-life is `halfLife` candles. Deterministic per seed.
///
///     var pair = PairSynthesizer(seed: 1, timeframe: try Timeframe(parsing: "4h"), halfLife: 10)
///     let (a, b) = pair.next()
public struct PairSynthesizer: Sendable {
  public let timeframe: Timeframe
  public let hedge: Double
  public let halfLife: Double
  private var rng: Xoshiro256StarStar
  private var time: Int64
  private var priceB: Double
  private var spread = 0.0
  private var previousA: Double
  private let phi: Double
  private let spreadVolatility: Double
  private let volatilityB: Double
  private let shaper: BarShaper

  /// - Parameters:
  ///   - hedge: units of B per unit of A in the long-run relation.
  ///   - halfLife: candles for a spread deviation to halve (φ = 2^(−1/halfLife)).
  ///   - spreadVolatility: the spread's stationary standard deviation as a fraction of A's price.
  public init(
    seed: UInt64, timeframe: Timeframe, start: Int64 = CandleSynthesizer.defaultStart,
    priceB: Double = 2_000,
    hedge: Double = 20, halfLife: Double = 10, spreadVolatility: Double = 0.01
  ) {
    precondition(priceB > 0 && hedge > 0 && halfLife > 0)
    self.timeframe = timeframe
    self.hedge = hedge
    self.halfLife = halfLife
    rng = Xoshiro256StarStar(seed: seed)
    time = timeframe.floor(start)
    self.priceB = priceB
    phi = pow(2, -1 / halfLife)
    let priceA = hedge * priceB
    // Innovation size that gives the requested stationary deviation: σ_e = σ √(1 − φ²).
    self.spreadVolatility = spreadVolatility * priceA * (1 - phi * phi).squareRoot()
    previousA = priceA
    let years = Double(timeframe.milliseconds) / 86_400_000 / 365
    volatilityB = 0.6 * years.squareRoot()
    shaper = BarShaper(meanVolume: 1_000, longRunVolatility: volatilityB)
  }

  public mutating func next() -> (a: Candle, b: Candle) {
    let logReturnB = volatilityB * rng.nextNormal()
    let b = shaper.candle(
      time: time, open: priceB, logReturn: logReturnB, sigma: volatilityB, rng: &rng)
    priceB = b.close
    spread = phi * spread + spreadVolatility * rng.nextNormal()
    let closeA = max(hedge * priceB + spread, previousA * 0.5)
    let a = shaper.candle(
      time: time, open: previousA, logReturn: log(closeA / previousA), sigma: volatilityB, rng: &rng
    )
    previousA = a.close
    time += timeframe.milliseconds
    return (a, b)
  }
}
