import Foundation

/// The deflated Sharpe ratio (Bailey & López de Prado, "The Deflated Sharpe Ratio", 2014): the
/// probability that the selected strategy's true Sharpe ratio is above zero, after allowing for
/// having picked the best of `trials` attempts and for non-normal returns.
///
///     DSR = Φ( (SR − SR₀) √(T − 1) / √(1 − γ₃ SR + (γ₄ − 1)/4 SR²) )
///     SR₀ = √V · ((1 − γ) Φ⁻¹(1 − 1/N) + γ Φ⁻¹(1 − 1/(N e)))
///
/// SR is the per-period (daily) Sharpe ratio of the selected returns, T their number, γ₃ their
/// skewness and γ₄ their kurtosis; V is the variance of the trials' per-period Sharpe ratios,
/// N the number of trials and γ the Euler–Mascheroni constant.
public struct DeflatedSharpe: Sendable, Equatable, Codable {
  public var probability: Double
  /// Per-period Sharpe ratio of the selected returns.
  public var sharpe: Double
  /// SR₀: the Sharpe ratio the best of `trials` would show by luck alone.
  public var expectedMaxSharpe: Double
  public var trials: Int
  public var observations: Int
  public var skewness: Double
  public var kurtosis: Double

  enum CodingKeys: String, CodingKey {
    case probability
    case sharpe = "daily_sharpe"
    case expectedMaxSharpe = "expected_max_daily_sharpe"
    case trials, observations, skewness, kurtosis
  }

  /// Nil when there are fewer than three returns or they do not vary.
  public static func compute(returns: [Double], trials: Int, trialSharpeVariance: Double)
    -> DeflatedSharpe?
  {
    let t = Double(returns.count)
    guard returns.count >= 3 else { return nil }
    let mean = returns.reduce(0, +) / t
    let centred = returns.map { $0 - mean }
    let m2 = centred.map { $0 * $0 }.reduce(0, +) / t
    guard m2 > 0 else { return nil }
    let sd = (centred.map { $0 * $0 }.reduce(0, +) / (t - 1)).squareRoot()
    let skew = centred.map { $0 * $0 * $0 }.reduce(0, +) / t / pow(m2, 1.5)
    let kurt = centred.map { $0 * $0 * $0 * $0 }.reduce(0, +) / t / (m2 * m2)
    return compute(
      sharpe: mean / sd, observations: returns.count, skewness: skew, kurtosis: kurt,
      trials: trials, trialSharpeVariance: trialSharpeVariance)
  }

  /// From the moments of the selected returns (per-period Sharpe, count, skewness, kurtosis).
  public static func compute(
    sharpe sr: Double, observations: Int, skewness skew: Double, kurtosis kurt: Double,
    trials: Int, trialSharpeVariance: Double
  ) -> DeflatedSharpe {
    let gamma = 0.577_215_664_901_532_9
    let n = Double(trials)
    let sr0 =
      trials > 1
      ? trialSharpeVariance.squareRoot()
        * ((1 - gamma) * inverseNormal(1 - 1 / n) + gamma * inverseNormal(1 - 1 / (n * M_E)))
      : 0
    let denominator = (1 - skew * sr + (kurt - 1) / 4 * sr * sr).squareRoot()
    let z = (sr - sr0) * Double(observations - 1).squareRoot() / denominator
    return DeflatedSharpe(
      probability: normal(z), sharpe: sr, expectedMaxSharpe: sr0, trials: trials,
      observations: observations, skewness: skew, kurtosis: kurt)
  }

  /// Standard normal CDF.
  static func normal(_ x: Double) -> Double { 0.5 * erfc(-x / 2.0.squareRoot()) }

  /// Inverse of the standard normal CDF (Acklam's rational approximation and one Halley step:
  /// relative error below 1e-15).
  static func inverseNormal(_ p: Double) -> Double {
    guard p > 0 else { return -.infinity }
    guard p < 1 else { return .infinity }
    let a = [
      -3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
      1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00,
    ]
    let b = [
      -5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
      6.680131188771972e+01, -1.328068155288572e+01,
    ]
    let c = [
      -7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
      -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00,
    ]
    let d = [
      7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
      3.754408661907416e+00,
    ]
    let low = 0.02425
    var x: Double
    if p < low {
      let q = (-2 * log(p)).squareRoot()
      x =
        (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    } else if p <= 1 - low {
      let q = p - 0.5
      let r = q * q
      x =
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
        / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
    } else {
      let q = (-2 * log(1 - p)).squareRoot()
      x =
        -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
        / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
    }
    let e = normal(x) - p
    let u = e * (2 * Double.pi).squareRoot() * exp(x * x / 2)
    x -= u / (1 + x * u / 2)
    return x
  }
}
