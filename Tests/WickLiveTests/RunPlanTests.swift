import Foundation
import Testing
import WickCore
import WickRisk

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
    let text = """
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
      """
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
    #expect {
      try WickConfig.parse(binance, path: "live.toml")
    } throws: {
      "\($0)".contains("live.toml:12: [[run]] entry 2: exchange: live trades on Bybit only")
    }
  }
}
