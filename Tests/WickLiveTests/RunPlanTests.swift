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
