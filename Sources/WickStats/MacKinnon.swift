import Foundation

/// MacKinnon's (1994) approximate asymptotic p-values for unit-root and cointegration tests,
/// with the coefficient tables statsmodels ships (`mackinnonp`), for the constant-only case.
/// `n` is the number of variables: 1 for a plain ADF test, 2 for a pair's Engle-Granger test.
public enum MacKinnon {
  // Regression with a constant ("c"), N = 1...6.
  static let tauStar: [Double] = [-1.61, -2.62, -3.13, -3.47, -3.78, -3.93]
  static let tauMin: [Double] = [-18.83, -18.86, -23.48, -28.07, -25.96, -23.27]
  static let tauMax: [Double] = [2.74, 0.92, 0.55, 0.61, 0.79, 1]
  static let smallP: [[Double]] = [
    [2.1659, 1.4412, 3.8269], [2.92, 1.5012, 3.9796], [3.4699, 1.4856, 3.164],
    [3.9673, 1.4777, 2.6315], [4.5509, 1.5338, 2.9545], [5.1399, 1.6036, 3.4445],
  ].map { zip($0, [1, 1, 1e-2]).map(*) }
  static let largeP: [[Double]] = [
    [1.7339, 9.3202, -1.2745, -1.0368], [2.1945, 6.4695, -2.9198, -4.2377],
    [2.5893, 4.5168, -3.6529, -5.0074],
    [3.0387, 4.5452, -3.3666, -4.1921], [3.5049, 5.2098, -2.9158, -3.3468],
    [3.9489, 5.8933, -2.5359, -2.721],
  ].map { zip($0, [1, 1e-1, 1e-1, 1e-2]).map(*) }

  /// The p-value of ADF/Engle-Granger statistic `stat` (regression with a constant).
  public static func pValue(_ stat: Double, variables n: Int) -> Double {
    precondition((1...6).contains(n))
    if stat > tauMax[n - 1] { return 1 }
    if stat < tauMin[n - 1] { return 0 }
    let coefficients = stat <= tauStar[n - 1] ? smallP[n - 1] : largeP[n - 1]
    // Polynomial c0 + c1 s + c2 s² + …, then the standard normal CDF.
    var z = 0.0
    for c in coefficients.reversed() { z = z * stat + c }
    return 0.5 * erfc(-z / 2.0.squareRoot())
  }
}
