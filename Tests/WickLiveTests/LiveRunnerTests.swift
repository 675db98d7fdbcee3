import Foundation
import Testing
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickLive

/// The runner's live wiring, in process, against the loopback Bybit.
@Suite(.serialized) struct LiveRunnerTests {
  @Test func liveSizingUsesTheExchangesInstrumentRules() throws {
    let bybit = try MockBybitTrading()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-live-runner-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("flip.lua").path
    try flipScript.write(toFile: script, atomically: true, encoding: .utf8)
    let config = dir.appendingPathComponent("wick.toml").path
    try "[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 2.0\n".write(
      toFile: config, atomically: true, encoding: .utf8)
    // Keys come from the environment only.
    setenv(LiveCredentials.keyVariable, bybit.apiKey, 1)
    setenv(LiveCredentials.secretVariable, bybit.apiSecret, 1)
    defer {
      unsetenv(LiveCredentials.keyVariable)
      unsetenv(LiveCredentials.secretVariable)
    }
    var spec = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: .oneMinute)
    spec.mode = .live
    spec.testnet = true
    spec.baseURL = bybit.baseURL
    spec.wsURL = bybit.wsURL
    spec.dbPath = dir.appendingPathComponent("w.sqlite").path
    spec.configPath = config
    let runner = try Runner(spec: spec, output: { _ in })
    _ = try runner.prepare()
    let venue = try #require(runner.venue as? BybitVenue)
    defer { venue.session.close() }
    #expect(venue.run == runner.runID)
    let engine = try #require(runner.kernel.risk as? RiskEngine)
    #expect(
      engine.config.instruments["BTCUSDT"]
        == InstrumentSpec(lotStep: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0.1))
    // The exchange's leverage follows the risk config.
    #expect(bybit.leverage("BTCUSDT") == 2)
  }
}
