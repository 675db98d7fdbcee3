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
    let folder = URL(fileURLWithPath: configPath).deletingLastPathComponent()
    func resolve(_ p: String) -> String {
      p.hasPrefix("/") ? p : folder.appendingPathComponent(p).standardizedFileURL.path
    }
    var specs: [RunSpec] = []
    var seen: [String: Int] = [:]
    for entry in config.runs {
      func fail(_ key: String, _ why: String) -> WickError {
        .invalidFile(
          path: configPath, line: entry.line(of: key), reason: "\(entry.label): \(key): \(why)")
      }
      var spec = RunSpec(
        strategyPath: resolve(entry.strategy), symbols: entry.symbols, timeframe: entry.timeframe)
      spec.paramsFile = entry.params.map(resolve)
      spec.configPath = configPath
      spec.mode = entry.mode == .live ? .live : .paper
      spec.exchange = entry.exchange
      // As with the flags: live defaults to testnet; paper reads mainnet data unless told.
      spec.testnet = entry.mode == .live ? !entry.mainnet : entry.testnet
      spec.baseURL = entry.baseURL
      spec.wsURL = entry.wsURL
      spec.dbPath = dbPath
      spec.stopAfter = stopAfter
      spec.initialEquity = entry.equity
      spec.group = true
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
          limits: LuaLimits(randomSeed: 1))
      } catch {
        throw fail("strategy", "\(error)")
      }
      // [schedule] against this entry (grid vs timeframe, the re-scan's symbols and file).
      do {
        _ = try Runner.checkSchedule(
          config, spec: spec, paramNames: strategy.params.map(\.name))
      } catch let WickError.invalidFile(path, line, reason) {
        throw WickError.invalidFile(path: path, line: line, reason: "\(entry.label): \(reason)")
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
}
