import Foundation
import WickCore

/// A Tree-structured Parzen Estimator over a sweep's grid (Bergstra et al. 2011; the sampler
/// Optuna uses by default, in its multivariate form). It proposes grid points, never values
/// between them, so every trial is a set `--grid` would also run.
///
/// After `startupTrials` seeded random points, each proposal splits the finished trials into the
/// best `gamma(n)` ("good") and the rest ("bad"), fits a Parzen estimator to each (a weighted
/// mixture of one product kernel per trial plus a wide prior), draws `candidates` points from
/// the good one and keeps the one with the largest ratio good/bad, the expected-improvement
/// criterion. Trials still running count as bad ones (the constant liar), so a round of
/// proposals spreads out instead of piling onto one point. A point already tried or proposed is
/// never proposed again (a backtest is deterministic: running it twice only wastes a trial).
///
///     let tpe = TPESampler(axes: plan.axes, seed: 7)
///     let next = tpe.propose(trial: 12, history: done, pending: [])   // value index per axis
public struct TPESampler: Sendable {
  /// One trial that finished: its point (a value index per axis) and its score (higher is
  /// better; -infinity for a set that cannot win, such as one under `--min-trades`).
  public struct Observation: Sendable, Equatable {
    public var point: [Int]
    public var score: Double
    public init(point: [Int], score: Double) {
      self.point = point
      self.score = score
    }
  }

  /// How an axis is modelled: numbers are ordered (kernels over their rank in ascending order),
  /// anything else is a set of unordered choices.
  enum Dimension: Sendable {
    /// `rank[i]`: the rank of value i in ascending order; `index[r]`: the value at rank r.
    case ordered(rank: [Int], index: [Int])
    case categorical(count: Int)

    var count: Int {
      switch self {
      case .ordered(let rank, _): rank.count
      case .categorical(let n): n
      }
    }
  }

  /// Random points before the model starts (Optuna's `n_startup_trials`).
  public static let startupTrials = 10
  /// Points drawn from the good density per proposal (Optuna's `n_ei_candidates`).
  public static let candidates = 24
  /// Weight of the prior kernel against one trial's (Optuna's `prior_weight`).
  static let priorWeight = 1.0

  let dimensions: [Dimension]
  public let seed: UInt64
  /// Points of the whole grid.
  public let size: Int

  public init(axes: [SweepAxis], seed: UInt64) {
    dimensions = axes.map { axis in
      let numbers = axis.values.compactMap { v -> Double? in
        if case .number(let d) = v { return d }
        return nil
      }
      guard numbers.count == axis.values.count else {
        return .categorical(count: axis.values.count)
      }
      let index = numbers.indices.sorted { (numbers[$0], $0) < (numbers[$1], $1) }
      var rank = [Int](repeating: 0, count: index.count)
      for (r, i) in index.enumerated() { rank[i] = r }
      return .ordered(rank: rank, index: index)
    }
    self.seed = seed
    size = axes.reduce(1) { $0 * $1.values.count }
  }

  /// The good trials out of `n` (Optuna's default: 10 %, at most 25).
  static func gamma(_ n: Int) -> Int { min(Int((0.1 * Double(n)).rounded(.up)), 25) }

  /// Kernel weights of `n` trials in trial order: flat for the last 25, a ramp below them, so
  /// old trials count less once there are many (Optuna's `default_weights`).
  static func weights(_ n: Int) -> [Double] {
    guard n >= 25 else { return [Double](repeating: 1, count: n) }
    let ramp = n - 25
    let low = 1 / Double(n)
    return (0..<ramp).map { i in
      ramp == 1 ? low : low + (1 - low) * Double(i) / Double(ramp - 1)
    } + [Double](repeating: 1, count: 25)
  }

  /// The next point for trial number `trial`: random for the first `startupTrials`, then the
  /// TPE's choice given the finished trials (`history`, in trial order) and the points proposed
  /// but not finished (`pending`, the constant liar). `taken` are points never to propose again.
  /// Nil only when every grid point is taken. Deterministic in (seed, trial, inputs).
  public func propose(
    trial: Int, history: [Observation], pending: [[Int]], taken: Set<[Int]>
  ) -> [Int]? {
    guard taken.count < size else { return nil }
    var rng = SplitMix64(seed: seed ^ (UInt64(trial) &+ 1) &* 0xD1B5_4A32_D192_ED03)
    if history.count + pending.count >= Self.startupTrials {
      let good = goodAndBad(history: history, pending: pending)
      let l = Parzen(points: good.good, dimensions: dimensions)
      let g = Parzen(points: good.bad, dimensions: dimensions)
      // A few more draws when the good density keeps landing on points already tried.
      for _ in 0..<8 {
        var best: (point: [Int], ratio: Double)? = nil
        for _ in 0..<Self.candidates {
          let x = l.sample(&rng)
          if taken.contains(x) { continue }
          let ratio = l.logDensity(x) - g.logDensity(x)
          if best == nil || ratio > best!.ratio { best = (x, ratio) }
        }
        if let best { return best.point }
      }
    }
    return randomFreePoint(taken: taken, rng: &rng)
  }

  /// Proposes the trials of `round` that have no point yet, from the trials before the round:
  /// those with a score are the history, all of them are taken. The round's own points are
  /// pending for each other. A resumed round therefore proposes exactly what it did the first
  /// time. `scores` misses trials that failed or have not run.
  public func proposeRound(_ round: Range<Int>, points: inout [Int: [Int]], scores: [Int: Double]) {
    let history = (0..<round.lowerBound).compactMap { t -> Observation? in
      guard let p = points[t], let s = scores[t] else { return nil }
      return Observation(point: p, score: s)
    }
    var taken = Set((0..<round.lowerBound).compactMap { points[$0] })
    var pending: [[Int]] = []
    for t in round {
      if points[t] == nil {
        points[t] = propose(trial: t, history: history, pending: pending, taken: taken)
      }
      guard let p = points[t] else { return }
      pending.append(p)
      taken.insert(p)
    }
  }

  /// The good (best `gamma(n)` by score, ties to the earlier trial) and bad points, each in
  /// trial order; pending points are bad with the worst score.
  func goodAndBad(history: [Observation], pending: [[Int]]) -> (good: [[Int]], bad: [[Int]]) {
    let all = history + pending.map { Observation(point: $0, score: -.infinity) }
    let ranked = all.indices.sorted { a, b in
      let (x, y) = (all[a].score, all[b].score)
      return x != y ? x > y : a < b
    }
    let isGood = Set(ranked.prefix(Self.gamma(all.count)))
    var good: [[Int]] = []
    var bad: [[Int]] = []
    for (i, o) in all.enumerated() {
      if isGood.contains(i) { good.append(o.point) } else { bad.append(o.point) }
    }
    return (good, bad)
  }

  /// A uniformly drawn grid point not yet taken (rejection, then a scan once the grid is
  /// mostly taken).
  func randomFreePoint(taken: Set<[Int]>, rng: inout SplitMix64) -> [Int]? {
    for _ in 0..<64 {
      let p = point(ofGridIndex: Int(rng.next() % UInt64(size)))
      if !taken.contains(p) { return p }
    }
    let start = Int(rng.next() % UInt64(size))
    for k in 0..<size {
      let p = point(ofGridIndex: (start + k) % size)
      if !taken.contains(p) { return p }
    }
    return nil
  }

  /// Value index per axis of a grid index (the last axis varies fastest, as in `SweepPlan`).
  public func point(ofGridIndex index: Int) -> [Int] {
    var rest = index
    var out = [Int](repeating: 0, count: dimensions.count)
    for d in dimensions.indices.reversed() {
      out[d] = rest % dimensions[d].count
      rest /= dimensions[d].count
    }
    return out
  }

  public func gridIndex(of point: [Int]) -> Int {
    var index = 0
    for d in dimensions.indices { index = index * dimensions[d].count + point[d] }
    return index
  }
}

/// A Parzen estimator over the grid: a mixture of one product kernel per point plus the prior
/// (uniform over choices, a normal as wide as the range over ordered values). Ordered values are
/// modelled by rank r on [-0.5, n - 0.5] with truncated normals, a value's mass being its
/// kernel's mass on [r - 0.5, r + 0.5]: exactly Optuna's discrete (stepped) distribution.
struct Parzen {
  struct Kernel {
    /// Per ordered axis: centre and width (in ranks); per categorical axis: the choice weights.
    var mu: [Double]
    var sigma: [Double]
    var choice: [[Double]]
  }

  let dimensions: [TPESampler.Dimension]
  let kernels: [Kernel]
  let logWeights: [Double]
  let cumulative: [Double]

  init(points: [[Int]], dimensions: [TPESampler.Dimension]) {
    self.dimensions = dimensions
    let n = points.count
    // Scott's rule as Optuna's multivariate TPE applies it, clipped as its "magic clip" does.
    let bandwidth = 0.2 * pow(Double(max(n, 1)), -1 / Double(dimensions.count + 4))
    let minimum = 1 / min(100, Double(n + 2))
    var kernels: [Kernel] = []
    for k in 0...n {
      let p: [Int]? = k < n ? points[k] : nil
      var kernel = Kernel(
        mu: [Double](repeating: 0, count: dimensions.count),
        sigma: [Double](repeating: 1, count: dimensions.count),
        choice: [[Double]](repeating: [], count: dimensions.count))
      for (d, dim) in dimensions.enumerated() {
        switch dim {
        case .ordered(let rank, _):
          let range = Double(rank.count)
          if let p {
            kernel.mu[d] = Double(rank[p[d]])
            kernel.sigma[d] = range * min(max(bandwidth, minimum), 1)
          } else {
            kernel.mu[d] = (range - 1) / 2
            kernel.sigma[d] = range
          }
        case .categorical(let count):
          if let p {
            var w = [Double](
              repeating: TPESampler.priorWeight / Double(n + 1), count: count)
            w[p[d]] += 1
            let total = w.reduce(0, +)
            kernel.choice[d] = w.map { $0 / total }
          } else {
            kernel.choice[d] = [Double](repeating: 1 / Double(count), count: count)
          }
        }
      }
      kernels.append(kernel)
    }
    self.kernels = kernels
    let raw = TPESampler.weights(n) + [TPESampler.priorWeight]
    let total = raw.reduce(0, +)
    logWeights = raw.map { log($0 / total) }
    var running = 0.0
    cumulative = raw.map {
      running += $0 / total
      return running
    }
  }

  /// A point drawn from the mixture: a kernel by weight, then each axis from that kernel.
  func sample(_ rng: inout SplitMix64) -> [Int] {
    let u = rng.unit()
    let k = cumulative.firstIndex { u < $0 } ?? kernels.count - 1
    let kernel = kernels[k]
    return dimensions.enumerated().map { d, dim in
      switch dim {
      case .ordered(let rank, let index):
        let n = Double(rank.count)
        for _ in 0..<1000 {
          let x = kernel.mu[d] + kernel.sigma[d] * rng.normal()
          if x >= -0.5 && x < n - 0.5 {
            return index[min(Int((x + 0.5).rounded(.down)), rank.count - 1)]
          }
        }
        return index[Int(kernel.mu[d].rounded())]
      case .categorical:
        let w = kernel.choice[d]
        var v = rng.unit()
        for (i, p) in w.enumerated() {
          v -= p
          if v < 0 { return i }
        }
        return w.count - 1
      }
    }
  }

  /// log of the mixture's probability of `point`.
  func logDensity(_ point: [Int]) -> Double {
    var terms = [Double](repeating: 0, count: kernels.count)
    for (k, kernel) in kernels.enumerated() {
      var s = logWeights[k]
      for (d, dim) in dimensions.enumerated() {
        switch dim {
        case .ordered(let rank, _):
          s += log(
            max(
              Self.mass(
                rank: Double(rank[point[d]]), count: Double(rank.count), mu: kernel.mu[d],
                sigma: kernel.sigma[d]), 1e-300))
        case .categorical:
          s += log(max(kernel.choice[d][point[d]], 1e-300))
        }
      }
      terms[k] = s
    }
    let top = terms.max() ?? -.infinity
    guard top.isFinite else { return top }
    return top + log(terms.reduce(0) { $0 + exp($1 - top) })
  }

  /// Mass of [r - 0.5, r + 0.5] under N(mu, sigma) truncated to [-0.5, count - 0.5].
  static func mass(rank r: Double, count: Double, mu: Double, sigma: Double) -> Double {
    func cdf(_ x: Double) -> Double { 0.5 * erfc(-(x - mu) / (sigma * 2.0.squareRoot())) }
    let total = cdf(count - 0.5) - cdf(-0.5)
    return (cdf(r + 0.5) - cdf(r - 0.5)) / max(total, 1e-300)
  }
}

extension SplitMix64 {
  /// Uniform on [0, 1) with 53 random bits.
  mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

  /// Standard normal (Box–Muller; one value per call keeps the stream simple to replay).
  mutating func normal() -> Double {
    let u = 1 - unit()
    let v = unit()
    return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
  }
}
