import Foundation
import Testing

@testable import WickCLI

/// The cost flags shared by `wick backtest` and `wick optimize`: a config's [costs] replace the
/// defaults, a flag given explicitly replaces the config — whatever the process's own arguments
/// (a queued sweep is parsed from queue.json, not from the command line).
@Suite struct SimulationOptionsTests {
  @Test func explicitFlagsBeatTheConfigWhichBeatsTheDefaults() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wick-sim-\(UUID())")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let config = dir.appendingPathComponent("w.toml").path
    try "[costs]\ntaker_fee_bps = 7.5\nspread_bps = 3\n".write(
      toFile: config, atomically: true, encoding: .utf8)
    func job(_ args: [String]) throws -> BacktestJob {
      var job = BacktestJob(strategyPath: "x.lua")
      try SimulationOptions.parse(args).apply(to: &job)
      return job
    }
    let plain = try job(["--no-config"])
    #expect(plain.fills.takerFeeBps == 5.5 && plain.fills.spreadBps == 1)
    let configured = try job(["--config", config])
    #expect(configured.fills.takerFeeBps == 7.5 && configured.fills.spreadBps == 3)
    #expect(configured.fills.slippageBps == 2)
    let overridden = try job(["--config", config, "--fee-bps", "4"])
    #expect(overridden.fills.takerFeeBps == 4 && overridden.fills.spreadBps == 3)
    // Repeating the flags as a queued sweep does gives the same costs.
    let options = try SimulationOptions.parse(["--config", config, "--fee-bps", "4"])
    let repeated = try job(options.arguments)
    #expect(repeated.fills == overridden.fills)
  }
}
