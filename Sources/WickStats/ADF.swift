import Foundation

/// The augmented Dickey-Fuller test as statsmodels' `adfuller` computes it: lag length chosen by
/// AIC over a common sample (maxlag = ⌈12 (n/100)^¼⌉), then the regression re-estimated with the
/// chosen lag on its own, longer sample. The statistic is the t value of the level term.
public struct ADFResult: Sendable, Equatable {
  public var statistic: Double
  public var usedLag: Int
  public var nobs: Int
}

public enum ADF {
  public enum Trend: Sendable { case none, constant }

  public static func test(_ x: [Double], trend: Trend, maxLag: Int? = nil) -> ADFResult? {
    let n = x.count
    let ntrend = trend == .constant ? 1 : 0
    var maxlag = maxLag ?? Int((12 * pow(Double(n) / 100, 0.25)).rounded(.up))
    if maxLag == nil { maxlag = min(n / 2 - ntrend - 1, maxlag) }
    guard maxlag >= 0, n > maxlag + 3 else { return nil }
    let diff = (1..<n).map { x[$0] - x[$0 - 1] }

    /// Design for lag `lag` over the last `rows` observations: [const?, level, Δx_{t-1} … Δx_{t-lag}].
    func design(lag: Int, rows: Int) -> (y: [Double], columns: [[Double]]) {
      let start = diff.count - rows
      var cols: [[Double]] = []
      if trend == .constant { cols.append([Double](repeating: 1, count: rows)) }
      cols.append((0..<rows).map { x[start + $0] })  // level x_{t-1} for Δx_t = diff[start + i]
      for l in stride(from: 1, through: lag, by: 1) {
        cols.append((0..<rows).map { diff[start + $0 - l] })
      }
      return (Array(diff[start...]), cols)
    }

    // AIC search on the sample that the longest lag allows, so the criteria are comparable. The
    // models are nested (each lag adds a column), so one factorisation serves all of them.
    let commonRows = diff.count - maxlag
    let full = design(lag: maxlag, rows: commonRows)
    let nested = NestedLeastSquares(y: full.y, columns: full.columns)
    var best: (aic: Double, lag: Int)? = nil
    for lag in 0...maxlag {
      guard let aic = nested.aic(columns: ntrend + 1 + lag) else { continue }
      // Ties go to the shorter lag, as Python's min over (aic, k) tuples does.
      if best == nil || aic < best!.aic { best = (aic, lag) }
    }
    guard let chosen = best?.lag else { return nil }
    let d = design(lag: chosen, rows: diff.count - chosen)
    guard let fit = LeastSquares(y: d.y, columns: d.columns) else { return nil }
    return ADFResult(statistic: fit.t(ntrend), usedLag: chosen, nobs: d.y.count)
  }
}
