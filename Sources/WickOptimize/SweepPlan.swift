import WickCore

/// The parameter sets of a sweep, in sweep order: the full grid (the last axis varies fastest)
/// or a seeded random sample of it.
///
///     let plan = try SweepPlan(axes: axes, mode: .random(count: 200, seed: 7))
///     plan.count          // 200 (or the grid size, if smaller)
///     plan.values(of: 0)  // one value per axis
public struct SweepPlan: Sendable {
  public enum Mode: Sendable, Equatable {
    case grid
    case random(count: Int, seed: UInt64)
  }

  public let axes: [SweepAxis]
  public let mode: Mode
  /// Points of the full grid (the product of the axes' sizes).
  public let gridSize: Int
  /// Grid indices of the sets, in sweep order.
  private let gridIndices: [Int]

  /// The largest grid `--grid` runs; beyond it, narrow the ranges or sample with `--random`.
  public static let maximumGrid = 1_000_000

  public init(axes: [SweepAxis], mode: Mode) throws {
    self.axes = axes
    self.mode = mode
    var size = 1
    for axis in axes {
      let (product, overflow) = size.multipliedReportingOverflow(by: axis.values.count)
      guard !overflow else {
        throw WickError.invalidArgument("the sweep has more than \(Int.max) points")
      }
      size = product
    }
    gridSize = size
    switch mode {
    case .grid:
      guard size <= Self.maximumGrid else {
        let shape = axes.map { "\($0.name) \($0.values.count)" }.joined(separator: " × ")
        throw WickError.invalidArgument(
          "--grid: \(size) parameter sets (\(shape)) is more than \(Self.maximumGrid): narrow the ranges with --param or sample with --random N"
        )
      }
      gridIndices = Array(0..<size)
    case .random(let count, let seed):
      guard count > 0 else {
        throw WickError.invalidArgument("--random \(count): expected a positive number of sets")
      }
      gridIndices = Self.sample(count: min(count, size), of: size, seed: seed)
    }
  }

  /// Number of parameter sets in the sweep.
  public var count: Int { gridIndices.count }

  /// The axis values of set `index` (in sweep order), one per axis.
  public func values(of index: Int) -> [ParamValue] {
    var rest = gridIndices[index]
    var out = [ParamValue](repeating: .bool(false), count: axes.count)
    for a in axes.indices.reversed() {
      let n = axes[a].values.count
      out[a] = axes[a].values[rest % n]
      rest /= n
    }
    return out
  }

  /// `count` distinct grid indices drawn without replacement, in draw order (deterministic).
  static func sample(count: Int, of size: Int, seed: UInt64) -> [Int] {
    var rng = SplitMix64(seed: seed)
    if count == size { return Array(0..<size) }
    var chosen = Set<Int>()
    var order: [Int] = []
    order.reserveCapacity(count)
    while order.count < count {
      let i = Int(rng.next() % UInt64(size))
      if chosen.insert(i).inserted { order.append(i) }
    }
    return order
  }
}

/// SplitMix64 (Steele, Lea & Flood): a tiny seeded generator, enough to sample a grid.
struct SplitMix64 {
  private var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

/// `--shard I/N`: slice I (0-based) of N. The trials are cut into N contiguous blocks whose
/// sizes differ by at most one, so merging the shards in index order restores the sweep order.
///
///     let s = try Shard(parsing: "2/8")
///     s.range(of: 100)   // 25..<38
public struct Shard: Sendable, Equatable, Codable {
  public var index: Int
  public var count: Int

  public static let whole = Shard(index: 0, count: 1)

  public init(index: Int, count: Int) {
    self.index = index
    self.count = count
  }

  public init(parsing text: String) throws {
    let parts = text.split(separator: "/", omittingEmptySubsequences: false)
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]) else {
      throw WickError.invalidArgument(
        "--shard \(text): expected I/N, the 0-based shard index and the shard count, e.g. 0/8")
    }
    guard n >= 1 else {
      throw WickError.invalidArgument("--shard \(text): the shard count must be at least 1")
    }
    guard (0..<n).contains(i) else {
      throw WickError.invalidArgument(
        "--shard \(text): the index must be from 0 to \(n - 1) (shards are numbered from 0, like a Kubernetes completion index)"
      )
    }
    self.init(index: i, count: n)
  }

  /// The trials of this shard out of `total`, in sweep order.
  public func range(of total: Int) -> Range<Int> {
    let lower = total * index / count
    let upper = total * (index + 1) / count
    return lower..<upper
  }

  public var description: String { "\(index)/\(count)" }
}
