import Foundation
import Testing
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickBybit
@testable import WickLive

/// The runner's live wiring, in process, against the loopback Bybit.
@Suite(.serialized) struct LiveRunnerTests {
  @Test func liveSizingUsesTheExchangesInstrumentRules() throws {
    let bybit = try MockBybitTrading()
    let folder = try LiveRunFolder(bybit)
    defer { withExtendedLifetime(folder) {} }  // keys and folder until the end
    let config = folder.dir.appendingPathComponent("wick.toml").path
    try "[risk]\nrisk_per_trade = 0.01\ndefault_leverage = 2.0\n".write(
      toFile: config, atomically: true, encoding: .utf8)
    var spec = folder.spec
    spec.configPath = config
    let runner = try Runner(spec: spec, output: { _ in })
    _ = try runner.prepare()
    let venue = try #require(runner.venue as? GatewayVenue)
    defer { venue.close() }
    #expect(venue.run == runner.runID)
    let engine = try #require(runner.kernel.risk as? RiskEngine)
    #expect(
      engine.config.instruments["BTCUSDT"]
        == InstrumentSpec(lotStep: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0.1))
    // The exchange's leverage follows the risk config.
    #expect(bybit.leverage("BTCUSDT") == 2)
  }
}
