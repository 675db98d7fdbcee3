import WickCore

/// The parameter sets of a sweep, in sweep order: the full grid (the last axis varies fastest),
/// a seeded random sample of it, or a TPE search over it (its sets are chosen as the sweep runs,
/// by `TPESampler`; `count` is the number of trials).
///
///     let plan = try SweepPlan(axes: axes, mode: .random(count: 200, seed: 7))
///     plan.count          // 200 (or the grid size, if smaller)
///     plan.values(of: 0)  // one value per axis
public struct SweepPlan: Sendable {
  public enum Mode: Sendable, Equatable {
    case grid
    case random(count: Int, seed: UInt64)
    /// `trials` sets chosen by a TPE, proposed in rounds of `batch` (the constant liar keeps a
    /// round's proposals apart). The round size, not `--workers`, shapes the search, so the
    /// same seed gives the same trials on any machine.
    case tpe(trials: Int, seed: UInt64, batch: Int)
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
    case .tpe(let trials, _, let batch):
      guard trials > 0 else {
        throw WickError.invalidArgument("--trials \(trials): expected a positive number of trials")
      }
      guard batch >= 1, batch <= 1024 else {
        throw WickError.invalidArgument("--batch \(batch): expected 1 to 1024")
      }
      tpeTrials = min(trials, size)
      gridIndices = []
    }
  }

  /// Trials of a TPE search (0 otherwise).
  private var tpeTrials = 0

  /// Number of parameter sets in the sweep.
  public var count: Int { gridIndices.isEmpty ? tpeTrials : gridIndices.count }

  /// The axis values of set `index` (in sweep order), one per axis. Grid and random sweeps
  /// only: a TPE's sets are known once proposed (`values(ofPoint:)`).
  public func values(of index: Int) -> [ParamValue] {
    values(ofGridIndex: gridIndices[index])
  }

  /// The axis values of a grid point given as a value index per axis.
  public func values(ofPoint point: [Int]) -> [ParamValue] {
    zip(axes, point).map { $0.values[$1] }
  }

  /// The value index per axis of a results.csv row (nil if a cell is not one of its axis' values).
  public func point(ofRow row: SweepRow, table: ResultsTable) -> [Int]? {
    var point: [Int] = []
    for axis in axes {
      guard let column = table.column(axis.name),
        let i = axis.values.firstIndex(where: { ResultsTable.cell($0) == row.cells[column] })
      else { return nil }
      point.append(i)
    }
    return point
  }

  /// The axis values of a grid index (the last axis varies fastest).
  func values(ofGridIndex gridIndex: Int) -> [ParamValue] {
    var rest = gridIndex
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
