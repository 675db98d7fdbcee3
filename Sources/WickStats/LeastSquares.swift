import Foundation

/// Ordinary least squares by Householder QR: coefficients, residual sum of squares and the
/// coefficients' standard errors. Columns are given column-major (`columns[j][i]`).
struct LeastSquares {
  let coefficients: [Double]
  let ssr: Double
  let standardErrors: [Double]
  let nobs: Int
  let rank: Int

  /// The log-likelihood of the Gaussian model, as statsmodels defines it.
  var logLikelihood: Double {
    let n = Double(nobs)
    return -n / 2 * log(2 * .pi) - n / 2 * log(ssr / n) - n / 2
  }
  /// Akaike information criterion: −2 log L + 2 × parameters.
  var aic: Double { -2 * logLikelihood + 2 * Double(rank) }
  /// t statistic of coefficient `j`.
  func t(_ j: Int) -> Double { coefficients[j] / standardErrors[j] }

  init?(y: [Double], columns: [[Double]]) {
    let n = y.count
    let k = columns.count
    guard k > 0, n > k, columns.allSatisfy({ $0.count == n }) else { return nil }
    // Householder QR on a copy: A (n × k) becomes R in its upper triangle; Qᵀy accumulates.
    var a = columns
    var qty = y
    for j in 0..<k {
      var norm = 0.0
      for i in j..<n { norm += a[j][i] * a[j][i] }
      norm = norm.squareRoot()
      guard norm > 0 else { return nil }
      let alpha = a[j][j] > 0 ? -norm : norm
      var v = [Double](repeating: 0, count: n)
      for i in j..<n { v[i] = a[j][i] }
      v[j] -= alpha
      var vv = 0.0
      for i in j..<n { vv += v[i] * v[i] }
      guard vv > 0 else { continue }
      for c in j..<k {
        var dot = 0.0
        for i in j..<n { dot += v[i] * a[c][i] }
        let f = 2 * dot / vv
        for i in j..<n { a[c][i] -= f * v[i] }
      }
      var dot = 0.0
      for i in j..<n { dot += v[i] * qty[i] }
      let f = 2 * dot / vv
      for i in j..<n { qty[i] -= f * v[i] }
    }
    // Back-substitution R b = (Qᵀy)[0..<k].
    var b = [Double](repeating: 0, count: k)
    for j in stride(from: k - 1, through: 0, by: -1) {
      var s = qty[j]
      for c in (j + 1)..<k { s -= a[c][j] * b[c] }
      guard abs(a[j][j]) > 1e-300 else { return nil }
      b[j] = s / a[j][j]
    }
    var ssr = 0.0
    for i in k..<n { ssr += qty[i] * qty[i] }
    // (XᵀX)⁻¹ = R⁻¹ R⁻ᵀ: invert the triangle, then the diagonal of R⁻¹R⁻ᵀ is each row's squared norm.
    var rinv = [[Double]](repeating: [Double](repeating: 0, count: k), count: k)  // rinv[row][col]
    for j in 0..<k {
      rinv[j][j] = 1 / a[j][j]
      for i in stride(from: j - 1, through: 0, by: -1) {
        var s = 0.0
        for m in (i + 1)...j { s += a[m][i] * rinv[m][j] }
        rinv[i][j] = -s / a[i][i]
      }
    }
    let sigma2 = ssr / Double(n - k)
    standardErrors = (0..<k).map { j in
      var s = 0.0
      for c in j..<k { s += rinv[j][c] * rinv[j][c] }
      return (sigma2 * s).squareRoot()
    }
    coefficients = b
    self.ssr = ssr
    nobs = n
    rank = k
  }
}
