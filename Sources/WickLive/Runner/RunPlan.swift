import Foundation
import WickCore
import WickLua
import WickRisk

/// The runs of a `wick.toml`'s `[[run]]` entries, checked as a whole before anything starts:
/// each entry's files exist and its strategy loads with its params, no entry repeats another.
/// An error names the file, the line, the entry and the field; nothing is opened or written.
public enum RunPlan {
  /// One `RunSpec` per entry, in entry order. Paths in the file are relative to its folder.
  public static func specs(
    config: WickConfig, configPath: String, dbPath: String, stopAfter: Int?
  ) throws -> [RunSpec] {
    guard !config.runs.isEmpty else {
      throw WickError.invalidFile(
        path: configPath, line: nil,
        reason:
          "no [[run]] entries: add one per run (strategy, symbols, timeframe), or give the strategy: wick run STRATEGY.lua --config \(configPath)"
      )
    }
    var specs: [RunSpec] = []
    var seen: [String: Int] = [:]
    var paramsUsers = ParamsFileUsers()
    for entry in config.runs {
      func fail(_ key: String, _ why: String) -> WickError {
        .invalidFile(
          path: configPath, line: entry.line(of: key), reason: "\(entry.label): \(key): \(why)")
      }
      var spec = Self.spec(of: entry, configPath: configPath)
      spec.dbPath = dbPath
      spec.stopAfter = stopAfter
      guard FileManager.default.isReadableFile(atPath: spec.strategyPath) else {
        throw fail("strategy", "no strategy script at \(spec.strategyPath)")
      }
      if let params = spec.paramsFile, !FileManager.default.isReadableFile(atPath: params) {
        throw fail("params", "no params file at \(params)")
      }
      let strategy: LuaStrategy
      do {
        let overrides = try spec.paramsFile.map { try ParamsFile.load(path: $0) } ?? []
        strategy = try LuaStrategy(
          path: spec.strategyPath, overrides: overrides, symbols: spec.symbols,
          limits: LuaLimits(sandbox: config.sandbox, randomSeed: 1), sessions: config.sessions)
      } catch {
        throw fail("strategy", "\(error)")
      }
      // The entry's schedule, its own or [schedule], against it (grid vs timeframe, the
      // re-scan's symbols and file); errors name the entry first.
      var schedule = config.schedule(for: entry)
      schedule.owner = entry.label
      let rescan = try Runner.checkSchedule(
        schedule, spec: spec, paramNames: strategy.params.map(\.name))
      _ = try Runner.checkReoptimize(
        schedule, spec: spec, running: strategy.params.map { ($0.name, $0.value) })
      if let params = spec.paramsFile {
        try paramsUsers.add(entry, file: params, rescans: rescan != nil, configPath: configPath)
      }
      if let first = seen[spec.argsJSON] {
        throw WickError.invalidFile(
          path: configPath, line: entry.line,
          reason:
            "\(entry.label) repeats entry \(first) (same strategy, symbols, timeframe and settings): each entry is one run, resumed by its fields"
        )
      }
      seen[spec.argsJSON] = entry.index
      specs.append(spec)
    }
    return specs
  }

  /// The entries using each params file: a file a pairs re-scan rewrites belongs to that run
  /// alone. Two re-scans would each rewrite it; a run that only reads it would hot-reload pairs
  /// it never scanned, whenever its watcher saw the save.
  struct ParamsFileUsers {
    var first: [String: (entry: RunEntryConfig, rescans: Bool)] = [:]

    mutating func add(
      _ entry: RunEntryConfig, file: String, rescans: Bool, configPath: String
    ) throws {
      let path = RunEntryConfig.resolve(file, against: nil)
      guard let (other, otherRescans) = first[path] else {
        first[path] = (entry, rescans)
        return
      }
      guard rescans || otherRescans else { return }
      let writers = [(other, otherRescans), (entry, rescans)].filter(\.1).map(\.0.label)
      let who =
        writers.count == 2
        ? "the pairs re-scans of \(writers[0]) and \(writers[1]) rewrite it"
        : "the pairs re-scan of \(writers[0]) rewrites it"
      throw WickError.invalidFile(
        path: configPath, line: entry.line(of: "params"),
        reason:
          "\(entry.label): params: '\(path)' is also the params file of \(other.label), and \(who): the runs would race on one file; give each entry its own params file"
      )
    }
  }

  /// The run `entry` describes (paths resolved against the file's folder), before any check.
  static func spec(of entry: RunEntryConfig, configPath: String) -> RunSpec {
    var spec = RunSpec(
      strategyPath: RunEntryConfig.resolve(entry.strategy, against: configPath),
      symbols: entry.symbols, timeframe: entry.timeframe)
    spec.paramsFile = entry.params.map { RunEntryConfig.resolve($0, against: configPath) }
    spec.configPath = configPath
    spec.mode = entry.mode == .live ? .live : .paper
    spec.exchange = entry.exchange
    // As with the flags: live defaults to testnet; paper reads mainnet data unless told.
    spec.testnet = entry.mode == .live ? !entry.mainnet : entry.testnet
    spec.baseURL = entry.baseURL
    spec.wsURL = entry.wsURL
    spec.initialEquity = entry.equity
    spec.recordLiquidations = entry.recordLiquidations
    spec.group = true
    return spec
  }

  /// `config` as it applies to the run recorded with `argsJSON` (a resume, `wick replay`): the
  /// run of a `[[run]]` entry follows the entry's own `[run.schedule]`, if it has one; any other
  /// run (a single `wick run`, an entry no longer in the file) the top-level `[schedule]`.
  public static func config(_ config: WickConfig, configPath: String, forRun argsJSON: String)
    -> WickConfig
  {
    guard
      let entry = config.runs.first(where: {
        spec(of: $0, configPath: configPath).argsJSON == argsJSON
      })
    else { return config }
    var applied = config
    applied.schedule = config.schedule(for: entry)
    return applied
  }

  /// The config file at `configPath` as it applies to the run recorded with `argsJSON`.
  public static func config(at configPath: String, forRun argsJSON: String) throws -> WickConfig {
    config(try WickConfig.load(path: configPath), configPath: configPath, forRun: argsJSON)
  }
}
