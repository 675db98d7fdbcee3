import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

/// A live run with `--config` sizes on the exchange's lot step, minimums and tick: the ledger
/// records them, so `wick replay` sizes the same without asking the exchange.
@Suite(.serialized) struct InstrumentRecordTests {
  @Test func aLiveRunWithAConfigReplaysOnTheInstrumentRulesItRecorded() async throws {
    let bybit = try MockBybitTrading()
    let folder = try LiveRunFolder(bybit)
    defer { withExtendedLifetime(folder) {} }  // keys and folder until the end
    var synth = CandleSynthesizer(seed: 5, timeframe: .oneMinute, start: base, startPrice: 100)
    let candles = (0..<30).map { _ in synth.next() }
    bybit.setCandles("BTCUSDT", Array(candles[0..<20]), timeframe: .oneMinute)
    bybit.clockSkewMs = candles[20].time + 1_000 - Int64(Date().timeIntervalSince1970 * 1000)
    let config = folder.dir.appendingPathComponent("wick.toml").path
    try "[risk]\nrisk_per_trade = 0.013\n".write(toFile: config, atomically: true, encoding: .utf8)
    var spec = folder.spec
    spec.configPath = config
    spec.stopAfter = 8
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let ledger = try RunLedger(store: try CandleStore(path: spec.dbPath))
    _ = await eventually { bybit.publicSubscribers > 0 }
    for c in candles[20..<28] {
      bybit.pushKline("BTCUSDT", c, confirm: true)
      _ = await eventually { (try? ledger.run(id))??.lastTime == c.time }
    }
    #expect(try await finished().get() == .stopAfter)
    // Entries were sized to Bybit's lot step (0.001), not to the unrounded risk amount.
    let quantities = try await DatabaseQueue(path: spec.dbPath).read {
      try Double.fetchAll(
        $0, sql: "SELECT qty FROM orders WHERE run_id = ? AND type = 'market'", arguments: [id])
    }
    #expect(!quantities.isEmpty)
    for q in quantities { #expect(abs(q * 1000 - (q * 1000).rounded()) < 1e-6, "\(q)") }
    #expect(
      try ledger.instruments(run: id) == [
        RunLedger.InstrumentRules(
          symbol: "BTCUSDT", lotStep: 0.001, minQty: 0.001, minNotional: 5, tickSize: 0.1)
      ])

    let report = try Runner.replay(run: id, dbPath: spec.dbPath)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")

    // A run recorded before the ledger kept instrument rules: the replay says what is missing
    // and what to add, and decides nothing on guessed rules.
    try await DatabaseQueue(path: spec.dbPath).write {
      try $0.execute(sql: "DELETE FROM run_instruments WHERE run_id = ?", arguments: [id])
    }
    do {
      _ = try Runner.replay(run: id, dbPath: spec.dbPath)
      Issue.record("a replay without the exchange's rules must not run")
    } catch {
      let message = "\(error)"
      #expect(message.contains("[instrument.BTCUSDT]"), "\(message)")
      #expect(message.contains("lot_step") && message.contains(config), "\(message)")
      #expect(message.contains("wick replay \(id) --config"), "\(message)")
    }
    // The rules, as Bybit had them, in a copy of the config: exact again.
    let copy = folder.dir.appendingPathComponent("with-rules.toml").path
    try """
    [risk]
    risk_per_trade = 0.013
    [instrument.BTCUSDT]
    lot_step = 0.001
    min_qty = 0.001
    min_notional = 5
    tick_size = 0.1
    """.write(toFile: copy, atomically: true, encoding: .utf8)
    #expect(try Runner.replay(run: id, dbPath: spec.dbPath, configPath: copy).identical)

    // Resuming such a run records the rules it re-handles its candles with, for later replays.
    let resumed = try Runner(spec: spec, output: { _ in })
    #expect(try resumed.prepare() == id)
    (resumed.venue as? LiveVenue)?.close()
    #expect(try ledger.instruments(run: id).map(\.symbol) == ["BTCUSDT"])
    #expect(try Runner.replay(run: id, dbPath: spec.dbPath).identical)
  }
}
