/// Rolling least-squares regression y = α + β·x over `period` observations: β is the hedge
/// ratio of a pair. O(1) per update from running centred sums; inputs: y, x.
public final class RollingOLS: StreamingIndicator {
  private let period: Int
  private var xs: RingBuffer
  private var ys: RingBuffer
  private var sx = 0.0, sy = 0.0, sxx = 0.0, sxy = 0.0, syy = 0.0
  private var updates = 0
  public private(set) var value: Double?
  /// Intercept α of the last fit.
  public private(set) var intercept: Double?
  /// Standard deviation of the window's residuals y − α − β·x (population form).
  public private(set) var residualStd: Double?
  /// The latest observation's residual in residual standard deviations: the pair's z-score
  /// with the spread measured under the current hedge ratio across the whole window.
  public private(set) var zscore: Double?
  public let arity = 2

  public init(period: Int) {
    self.period = period
    xs = RingBuffer(capacity: period)
    ys = RingBuffer(capacity: period)
  }

  public func update(_ y: Double, _ x: Double, _: Double = 0) -> Double? {
    let droppedX = xs.push(x)
    let droppedY = ys.push(y)
    if let ox = droppedX, let oy = droppedY {
      sx -= ox
      sy -= oy
      sxx -= ox * ox
      sxy -= ox * oy
      syy -= oy * oy
    }
    sx += x
    sy += y
    sxx += x * x
    sxy += x * y
    syy += y * y
    updates += 1
    if updates % 4096 == 0 { recompute() }
    guard xs.isFull else { return nil }
    let n = Double(period)
    let varX = sxx - sx * sx / n
    guard varX > 1e-12 * max(1, sxx) else {
      value = nil
      intercept = nil
      residualStd = nil
      zscore = nil
      return nil
    }
    let covXY = sxy - sx * sy / n
    let beta = covXY / varX
    let alpha = (sy - beta * sx) / n
    value = beta
    intercept = alpha
    let sd = (max(syy - sy * sy / n - beta * covXY, 0) / n).squareRoot()
    residualStd = sd
    zscore = sd > 0 ? (y - alpha - beta * x) / sd : nil
    return beta
  }

  /// Exact re-summation: bounds the drift of the running sums.
  private func recompute() {
    sx = 0
    sy = 0
    sxx = 0
    sxy = 0
    syy = 0
    for i in 0..<xs.count {
      let x = xs[i]
      let y = ys[i]
      sx += x
      sy += y
      sxx += x * x
      sxy += x * y
      syy += y * y
    }
  }
}
