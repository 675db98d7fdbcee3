import Foundation
import WickCore

/// A deterministic synthetic market: the same seed gives the same candles on every machine.
///
///     var synth = CandleSynthesizer(seed: 7, timeframe: .oneMinute)
///     let candles = (0..<1_000_000).map { _ in synth.next() }
///
/// Log returns combine a regime drift (trend up / trend down / mean-reverting range, switched by
/// a Markov chain), GARCH(1,1) volatility clustering and occasional normal jumps. Each candle
/// opens at the previous close; wicks and volume come from `BarShaper`.
public struct CandleSynthesizer: Sendable {
  /// 2024-01-01T00:00:00Z.
  public static let defaultStart: Int64 = 1_704_067_200_000
  public static let defaultStartPrice = 42_000.0

  public let timeframe: Timeframe
  public let parameters: SynthesisParameters
  public private(set) var regime = MarketRegime.range
  private var rng: Xoshiro256StarStar
  private var time: Int64
  private var price: Double
  /// log(price), carried along so the range drift needs no `log` per candle.
  private var logPrice: Double
  /// The log price the current range oscillates around.
  private var anchor: Double
  private var variance: Double
  private var lastShock = 0.0
  // Per-candle constants derived from the calendar-unit parameters.
  private let longRunVariance: Double
  private let omega: Double
  private let trendDrift: Double
  private let reversion: Double
  private let switchProbability: Double
  private let jumpProbability: Double
  private let shaper: BarShaper

  public init(
    seed: UInt64, timeframe: Timeframe, start: Int64 = CandleSynthesizer.defaultStart,
    startPrice: Double = CandleSynthesizer.defaultStartPrice,
    parameters: SynthesisParameters = SynthesisParameters()
  ) {
    precondition(startPrice > 0, "start price must be positive")
    self.timeframe = timeframe
    self.parameters = parameters
    rng = Xoshiro256StarStar(seed: seed)
    time = timeframe.floor(start)
    price = startPrice
    logPrice = log(startPrice)
    anchor = logPrice
    let days = Double(timeframe.milliseconds) / 86_400_000
    let years = days / 365
    longRunVariance = parameters.annualVolatility * parameters.annualVolatility * years
    omega = longRunVariance * (1 - parameters.garchAlpha - parameters.garchBeta)
    variance = longRunVariance
    trendDrift = parameters.annualTrendDrift * years
    reversion = min(parameters.dailyRangeReversion * days, 1)
    switchProbability = min(days / parameters.meanRegimeDays, 0.5)
    jumpProbability = min(parameters.jumpsPerDay * days, 0.5)
    shaper = BarShaper(
      meanVolume: parameters.volumePerHour * days * 24,
      longRunVolatility: longRunVariance.squareRoot())
  }

  /// The next candle of the series.
  public mutating func next() -> Candle {
    let previousRegime = regime
    regime = regime.next(switchProbability: switchProbability, uniform: rng.nextUniform())
    if regime == .range && previousRegime != .range { anchor = logPrice }

    variance =
      omega + parameters.garchAlpha * lastShock * lastShock + parameters.garchBeta * variance
    let sigma = variance.squareRoot()
    let shock = sigma * rng.nextNormal()
    lastShock = shock
    var logReturn = shock + drift()
    if rng.nextUniform() < jumpProbability {
      logReturn += parameters.jumpVolatility * rng.nextNormal()
    }

    let candle = shaper.candle(
      time: time, open: price, logReturn: logReturn, sigma: sigma, rng: &rng)
    price = candle.close
    logPrice += logReturn
    time += timeframe.milliseconds
    return candle
  }

  private func drift() -> Double {
    switch regime {
    case .trendUp: return trendDrift
    case .trendDown: return -trendDrift
    case .range: return reversion * (anchor - logPrice)
    }
  }
}
