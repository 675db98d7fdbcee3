import Foundation

/// Residual sums of squares of every prefix regression y ~ X[:, 0..<k], k = 1…K, from one
/// Gram matrix and one Cholesky factorisation: the factor of a leading block is the leading
/// block of the factor. The ADF lag search fits K nested models on the same sample, so this
/// turns K least-squares fits into one.
struct NestedLeastSquares {
  /// ssr[k - 1] is the residual sum of squares with the first k columns (nil if singular).
  let ssr: [Double?]
  let nobs: Int

  init(y: [Double], columns: [[Double]]) {
    let k = columns.count
    let n = y.count
    nobs = n
    var gram = [Double](repeating: 0, count: k * k)
    var xty = [Double](repeating: 0, count: k)
    var yty = 0.0
    for i in 0..<n { yty += y[i] * y[i] }
    for a in 0..<k {
      let ca = columns[a]
      var s = 0.0
      for i in 0..<n { s += ca[i] * y[i] }
      xty[a] = s
      for b in 0...a {
        let cb = columns[b]
        var g = 0.0
        for i in 0..<n { g += ca[i] * cb[i] }
        gram[a * k + b] = g
        gram[b * k + a] = g
      }
    }
    // Cholesky G = L Lᵀ, and z = L⁻¹ Xᵀy by forward substitution; then SSR_k = yᵀy − Σ_{j<k} z_j².
    var l = [Double](repeating: 0, count: k * k)
    var z = [Double](repeating: 0, count: k)
    var result: [Double?] = []
    var explained = 0.0
    var singular = false
    for j in 0..<k {
      var d = gram[j * k + j]
      for m in 0..<j { d -= l[j * k + m] * l[j * k + m] }
      if singular || d <= 1e-12 * max(gram[j * k + j], 1e-300) {
        singular = true
        result.append(nil)
        continue
      }
      let ljj = d.squareRoot()
      l[j * k + j] = ljj
      for i in (j + 1)..<max(k, j + 1) {
        var s = gram[i * k + j]
        for m in 0..<j { s -= l[i * k + m] * l[j * k + m] }
        l[i * k + j] = s / ljj
      }
      var s = xty[j]
      for m in 0..<j { s -= l[j * k + m] * z[m] }
      z[j] = s / ljj
      explained += z[j] * z[j]
      result.append(max(yty - explained, 0))
    }
    ssr = result
  }

  /// statsmodels' AIC for the model with the first `k` columns.
  func aic(columns k: Int) -> Double? {
    guard let s = ssr[k - 1], s > 0 else { return nil }
    let n = Double(nobs)
    let llf = -n / 2 * log(2 * .pi) - n / 2 * log(s / n) - n / 2
    return -2 * llf + 2 * Double(k)
  }
}
