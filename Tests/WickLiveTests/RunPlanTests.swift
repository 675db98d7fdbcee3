import Foundation
import Testing
import WickCore
import WickRisk

@testable import WickBybit
@testable import WickLive

/// `[[run]]` entries as runs: the shipped example, and what makes two entries the same run.
@Suite struct RunPlanTests {
  @Test func theShippedMultiRunExampleIsValid() throws {
    let path = "examples/wick.multi.toml"
    let specs = try RunPlan.specs(
      config: try WickConfig.load(path: path), configPath: path, dbPath: "unused.sqlite",
      stopAfter: 3)
    #expect(specs.map(\.symbols) == [["BTCUSDT"], ["ETHUSDT"]])
    #expect(specs.map(\.timeframe.description) == ["1m", "5m"])
    // Paths are relative to the file's folder; every entry is paper and part of the group.
    #expect(
      specs.map { URL(fileURLWithPath: $0.strategyPath).lastPathComponent } == [
        "ma_cross.lua", "vol_breakout.lua",
      ])
    #expect(specs.allSatisfy { FileManager.default.fileExists(atPath: $0.strategyPath) })
    #expect(specs.allSatisfy { $0.mode == .paper && $0.group && $0.stopAfter == 3 })
    #expect(specs.map(\.initialEquity) == [5_000, 5_000])
    // The 5m entry decides on its own 15m grid; the 1m entry has no schedule.
    let config = try WickConfig.load(path: path)
    #expect(
      try specs.map {
        try RunPlan.config(config, configPath: path, forRun: $0.argsJSON).schedule
          .decisionGrid(timeframe: $0.timeframe)?.description
      } == [nil, "15m"])
  }

  /// `[schedule]` is checked against every entry before any run is created: a grid that fits the
  /// first entry's timeframe but not the second's stops the command with the second's label.
  @Test func theScheduleIsCheckedAgainstEveryEntryBeforeAnyRunStarts() throws {
    // The 1m and 4h entries below, without the 4h entry's own schedule.
    let text = Self.ownSchedules.components(separatedBy: "\n\n[run.schedule]")[0]
    let config = try WickConfig.parse(text, path: "sched.toml")
    let error = #expect(throws: WickError.self) {
      try RunPlan.specs(
        config: config, configPath: "sched.toml", dbPath: "unused.sqlite", stopAfter: nil)
    }
    let message = "\(error!)"
    #expect(message.contains(config.runs[1].label), "\(message)")
    #expect(message.contains("eval_every"), "\(message)")
    #expect(message.hasPrefix("sched.toml:2:"), "\(message)")
  }

  /// A 1m entry and a 4h entry cannot share a 15m grid: the 4h entry carries its own
  /// `[run.schedule]`, the 1m entry keeps the top-level `[schedule]`.
  static let ownSchedules = """
    [schedule]
    eval_every = "15m"

    [[run]]
    strategy = "strategies/ma_cross.lua"
    symbol = "BTCUSDT"
    timeframe = "1m"

    [[run]]
    strategy = "strategies/ma_cross.lua"
    symbol = "ETHUSDT"
    timeframe = "4h"

    [run.schedule]
    eval_every = "1d"
    """

  @Test func eachEntryIsCheckedAgainstItsOwnSchedule() throws {
    let config = try WickConfig.parse(Self.ownSchedules, path: "sched.toml")
    let specs = try RunPlan.specs(
      config: config, configPath: "sched.toml", dbPath: "unused.sqlite", stopAfter: nil)
    #expect(specs.map(\.timeframe.description) == ["1m", "4h"])
    // The entry's own grid that does not fit its timeframe: its line, label, section and field.
    let bad = try WickConfig.parse(
      Self.ownSchedules.replacingOccurrences(of: "\"1d\"", with: "\"90m\""), path: "sched.toml")
    #expect {
      try RunPlan.specs(
        config: bad, configPath: "sched.toml", dbPath: "unused.sqlite", stopAfter: nil)
    } throws: {
      "\($0)"
        == "sched.toml:15: [[run]] entry 2: [run.schedule] eval_every: \"90m\" is not a multiple of the run's timeframe 4h"
    }
    // An entry without its own schedule is still held to the top-level one, named as such.
    let top = try WickConfig.parse(
      Self.ownSchedules.replacingOccurrences(of: "timeframe = \"1m\"", with: "timeframe = \"7m\""),
      path: "sched.toml")
    #expect {
      try RunPlan.specs(
        config: top, configPath: "sched.toml", dbPath: "unused.sqlite", stopAfter: nil)
    } throws: {
      "\($0)"
        == "sched.toml:2: [[run]] entry 1: [schedule] eval_every: \"15m\" is not a multiple of the run's timeframe 7m"
    }
  }

  /// A resume and `wick replay` find a run's entry by its recorded arguments, and so its grid.
  @Test func aRunsConfigCarriesItsEntrysSchedule() throws {
    let config = try WickConfig.parse(Self.ownSchedules, path: "sched.toml")
    let specs = try RunPlan.specs(
      config: config, configPath: "sched.toml", dbPath: "unused.sqlite", stopAfter: nil)
    let grids = try specs.map {
      try RunPlan.config(config, configPath: "sched.toml", forRun: $0.argsJSON).schedule
        .decisionGrid(timeframe: $0.timeframe)?.description
    }
    #expect(grids == ["15m", "1d"])
    // Arguments that match no entry (a single run given the file): the top-level schedule.
    var single = specs[1]
    single.group = false
    #expect(
      try RunPlan.config(config, configPath: "sched.toml", forRun: single.argsJSON).schedule
        == config.schedule)
  }

  /// A params file that a pairs re-scan rewrites belongs to that entry's run alone: two re-scans
  /// would each rewrite it, and a run only reading it would hot-reload pairs it never scanned.
  /// Refused before anything starts, naming both entries and the file; a params file that only
  /// is read by several entries is fine.
  @Test func aParamsFileThatAReScanRewritesIsNotSharedBetweenEntries() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-rescan-share-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let shared = dir.appendingPathComponent("pairs.json").path
    try #"{"pairs": [{"a": "BTCUSDT", "b": "ETHUSDT"}]}"#.write(
      toFile: shared, atomically: true, encoding: .utf8)
    let script = URL(fileURLWithPath: "strategies/zscore_pairs.lua").standardizedFileURL.path
    func entry(_ timeframe: String, schedule: String = "") -> String {
      """

      [[run]]
      strategy = "\(script)"
      symbols = ["BTCUSDT", "ETHUSDT"]
      timeframe = "\(timeframe)"
      params = "pairs.json"
      \(schedule)
      """
    }
    let path = dir.appendingPathComponent("wick.toml").path
    func plan(_ text: String) throws -> [RunSpec] {
      try RunPlan.specs(
        config: try WickConfig.parse(text, path: path), configPath: path, dbPath: "unused.sqlite",
        stopAfter: nil)
    }
    let rescan = "[schedule.pairs_rescan]\nevery = \"1mo\"\n"
    // Both entries re-scan (the top-level job applies to each) into one file.
    #expect {
      try plan(rescan + entry("4h") + entry("1h"))
    } throws: {
      "\($0)"
        == "\(path):14: [[run]] entry 2: params: '\(shared)' is also the params file of [[run]] entry 1, and the pairs re-scans of [[run]] entry 1 and [[run]] entry 2 rewrite it: the runs would race on one file; give each entry its own params file"
    }
    // Only the second entry re-scans (its own schedule); the first only reads the file.
    #expect {
      try plan(
        entry("4h")
          + entry(
            "1h", schedule: "\n[run.schedule.pairs_rescan]\nevery = \"7d\"\nout = \"pairs.json\"\n")
      )
    } throws: {
      "\($0)".hasPrefix(
        "\(path):12: [[run]] entry 2: params: '\(shared)' is also the params file of [[run]] entry 1, and the pairs re-scan of [[run]] entry 2 rewrites it"
      )
    }
    // Only the first re-scans; the second entry has its own schedule without a re-scan.
    #expect {
      try plan(
        rescan + entry("4h") + entry("1h", schedule: "\n[run.schedule]\neval_every = \"4h\"\n"))
    } throws: {
      "\($0)".contains("and the pairs re-scan of [[run]] entry 1 rewrites it")
    }
    // Read by both, rewritten by none: allowed.
    #expect(try plan(entry("4h") + entry("1h")).count == 2)
  }

  @Test func anEntryIsNotTheSameRunAsTheSameFlags() throws {
    var single = RunSpec(strategyPath: "/s.lua", symbols: ["BTCUSDT"], timeframe: .oneMinute)
    var entry = single
    entry.group = true
    // A grouped run resumes only as a group entry (its verdicts came from the shared governor).
    #expect(single.argsJSON != entry.argsJSON)
    #expect(!single.argsJSON.contains("group"))
    single.group = true
    #expect(single.argsJSON == entry.argsJSON)
  }

  @Test func liveEntriesDefaultToTheTestnet() throws {
    let text = """
      [[run]]
      strategy = "strategies/ma_cross.lua"
      symbol = "BTCUSDT"
      timeframe = "1m"
      mode = "live"

      [[run]]
      strategy = "strategies/ma_cross.lua"
      symbol = "ETHUSDT"
      timeframe = "1m"
      mode = "live"
      mainnet = true
      """
    let config = try WickConfig.parse(text, path: "live.toml")
    let specs = try RunPlan.specs(
      config: config, configPath: "live.toml", dbPath: "unused.sqlite", stopAfter: nil)
    #expect(specs.map(\.mode) == [.live, .live])
    #expect(specs.map(\.testnet) == [true, false])
    #expect(throws: WickError.self) {
      try WickConfig.parse(
        text.replacingOccurrences(of: "mainnet = true", with: "mainnet = true\ntestnet = true"),
        path: "live.toml")
    }
    let binance = text.replacingOccurrences(
      of: "mode = \"live\"\nmainnet", with: "mode = \"live\"\nexchange = \"binance\"\nmainnet")
    // Binance trades live too (its own keys, WICK_BINANCE_API_KEY/_SECRET).
    let both = try RunPlan.specs(
      config: try WickConfig.parse(binance, path: "live.toml"), configPath: "live.toml",
      dbPath: "unused.sqlite", stopAfter: nil)
    #expect(both.map(\.exchange) == ["bybit", "binance"])
    #expect(both.map(\.mode) == [.live, .live])
  }
}
