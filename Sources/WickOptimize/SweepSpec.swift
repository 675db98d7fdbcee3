import Foundation
import WickCore
import WickLua

/// What identifies a sweep, saved as `DIR/sweep.json` when it starts: re-running the same
/// command with the same `--out` resumes only if this matches, and `merge` only combines
/// directories whose specs match apart from the shard.
public struct SweepSpec: Codable, Sendable, Equatable {
  public struct Axis: Codable, Sendable, Equatable {
    public var name: String
    public var range: String
    public var values: [String]
    /// The declared bounds, for refining around a winner (numbers only).
    public var min: Double?
    public var max: Double?
    public var step: Double?
  }

  public var strategy: String
  public var strategyName: String
  public var symbols: [String]
  public var timeframe: String
  public var from: String?
  public var to: String?
  public var axes: [Axis]
  public var mode: String
  public var seed: UInt64?
  /// A TPE's round size (`--batch`); nil for grid and random sweeps.
  public var batch: Int?
  public var objective: Objective
  public var minTrades: Int
  public var walkForward: String?
  public var sets: Int
  public var windows: Int
  public var shard: Shard
  /// The command without its sweep flags (`--param`, `--grid`, `--random`, `--search`,
  /// `--trials`, `--batch`, `--seed`, `--out`, `--shard`, `--workers`): queued follow-up sweeps start from it.
  public var arguments: [String]

  public init(
    strategy: String, strategyName: String, symbols: [String], timeframe: String, from: String?,
    to: String?, plan: SweepPlan, specs: [ParamSpec], objective: Objective, minTrades: Int,
    walkForward: WalkForward?, windows: Int, shard: Shard, arguments: [String]
  ) {
    self.strategy = strategy
    self.strategyName = strategyName
    self.symbols = symbols
    self.timeframe = timeframe
    self.from = from
    self.to = to
    axes = plan.axes.map { axis in
      var a = Axis(
        name: axis.name, range: axis.range, values: axis.values.map(ResultsTable.cell))
      if case .number(let lo, let hi, let step)? = specs.first(where: { $0.name == axis.name })?
        .kind
      {
        (a.min, a.max, a.step) = (lo, hi, step)
      }
      return a
    }
    switch plan.mode {
    case .grid: mode = "grid"
    case .random(let count, let seed):
      mode = "random \(count)"
      self.seed = seed
    case .tpe(let trials, let seed, let batch):
      mode = "tpe \(trials)"
      self.seed = seed
      self.batch = batch
    }
    self.objective = objective
    self.minTrades = minTrades
    self.walkForward = walkForward?.text
    sets = plan.count
    self.windows = windows
    self.shard = shard
    self.arguments = arguments
  }

  /// Trials of the whole sweep: every set on every window (window-major).
  public var trials: Int { sets * max(windows, 1) }

  public var table: ResultsTable {
    ResultsTable(axisNames: axes.map(\.name), walkForward: walkForward != nil)
  }

  static func load(path: String) throws -> SweepSpec? {
    guard let data = FileManager.default.contents(atPath: path) else { return nil }
    do {
      return try JSONDecoder().decode(SweepSpec.self, from: data)
    } catch {
      throw WickError.invalidFile(path: path, line: nil, reason: "not a sweep spec: \(error)")
    }
  }

  /// Pretty-printed with sorted keys: the same spec always gives the same bytes.
  public func encoded() throws -> Data {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return try encoder.encode(self)
  }
}
