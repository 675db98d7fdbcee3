import Foundation

/// The Engle-Granger two-step cointegration test (statsmodels' `coint` with its defaults):
/// regress y on x with a constant, then an ADF test without deterministic terms on the
/// residuals; the p-value uses MacKinnon's tables for two variables with a constant.
public struct CointegrationResult: Sendable, Equatable {
  public var hedgeRatio: Double
  public var intercept: Double
  public var adfStatistic: Double
  public var pValue: Double
  public var lags: Int
  public var nobs: Int
  /// The residual spread y − intercept − hedge × x.
  public var residuals: [Double]
}

public enum EngleGranger {
  public static func test(y: [Double], x: [Double]) -> CointegrationResult? {
    guard y.count == x.count, y.count >= 20,
      let fit = LeastSquares(y: y, columns: [x, [Double](repeating: 1, count: x.count)])
    else { return nil }
    let beta = fit.coefficients[0]
    let alpha = fit.coefficients[1]
    let residuals = zip(y, x).map { $0 - alpha - beta * $1 }
    guard let adf = ADF.test(residuals, trend: .none) else { return nil }
    return CointegrationResult(
      hedgeRatio: beta, intercept: alpha, adfStatistic: adf.statistic,
      pValue: MacKinnon.pValue(adf.statistic, variables: 2), lags: adf.usedLag, nobs: y.count,
      residuals: residuals)
  }
}

/// Half-life of mean reversion of a spread: regress Δs_t on s_{t−1} (with a constant); with
/// slope λ < 0 the half-life is −ln 2 / λ periods. Nil when the spread does not revert (λ ≥ 0).
public enum HalfLife {
  public static func of(_ spread: [Double]) -> Double? {
    guard spread.count > 3 else { return nil }
    let lagged = Array(spread.dropLast())
    let delta = (1..<spread.count).map { spread[$0] - spread[$0 - 1] }
    guard
      let fit = LeastSquares(
        y: delta, columns: [lagged, [Double](repeating: 1, count: lagged.count)])
    else { return nil }
    let lambda = fit.coefficients[0]
    guard lambda < 0 else { return nil }
    return -log(2) / lambda
  }
}
