import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// Loopback REST and WebSocket exchanges, a cache, and a script: one paper session's world.
final class PaperWorld {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-paper-\(UUID().uuidString)")
  let candles: [Candle]
  let rest: MockExchange
  let ws: MockKlineStream
  let history: Int
  var db: String { dir.appendingPathComponent("w.sqlite").path }
  var script: String { dir.appendingPathComponent("flip.lua").path }

  /// `candles`: the series to serve instead of `total` synthetic ones.
  init(
    history: Int = 20, total: Int = 60, start: Int64 = base, script: String = flipScript,
    candles given: [Candle]? = nil
  ) throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try script.write(
      toFile: dir.appendingPathComponent("flip.lua").path, atomically: true, encoding: .utf8)
    var synth = CandleSynthesizer(seed: 11, timeframe: .oneMinute, start: start, startPrice: 100)
    candles = given ?? (0..<total).map { _ in synth.next() }
    self.history = history
    rest = try MockExchange(
      candles: Array(candles[0..<history]), timeframe: .oneMinute,
      serverTime: candles[history].time + 1_000)
    ws = try MockKlineStream()
  }

  deinit {
    ws.stop()
    rest.stop()
    try? FileManager.default.removeItem(at: dir)
  }

  func spec(stopAfter: Int?) -> RunSpec {
    var s = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: .oneMinute)
    s.baseURL = rest.baseURL
    s.wsURL = ws.baseURL
    s.dbPath = db
    s.stopAfter = stopAfter
    return s
  }

  /// Pushes candles `range` over the WebSocket (each confirmed, with a forming update and a
  /// duplicate around it), each until the newest run has handled it or ended.
  func push(_ range: Range<Int>, noise: Bool = true) async {
    _ = await eventually { self.ws.klineClients > 0 }
    guard let progress = try? RunProgress(db: db) else { return }
    for i in range {
      let c = candles[i]
      await ws.deliver(symbols: ["BTCUSDT"], candles: [c], noise: noise) {
        progress.reached(c.time)
      }
    }
  }

  /// One session (a new run, or the resume of the last) on the stream's candles `range`, stopped
  /// after them; returns the run id.
  func session(_ range: Range<Int>, output: @escaping (String) -> Void = { _ in }) async throws
    -> Int64
  {
    let runner = try Runner(spec: spec(stopAfter: range.count), output: output)
    let id = try runner.prepare()
    let finished = start(runner)
    await push(range)
    #expect(try await finished().get() == .stopAfter)
    return id
  }

  /// A second symbol's series for multi-symbol runs: the same candles at twice the price.
  var secondSymbol: [Candle] {
    candles.map {
      Candle(
        time: $0.time, open: $0.open * 2, high: $0.high * 2, low: $0.low * 2, close: $0.close * 2,
        volume: $0.volume)
    }
  }

  /// A paper session on BTCUSDT and ETHUSDT (`secondSymbol`) that stops after `count` candles,
  /// each slice's ETH candle delivered before its BTC one (a slice is complete only with both).
  /// The REST mock serves one symbol, so ETH's last three candles before the session are put in
  /// the cache: the runner asks REST for nothing of it. Returns the run id once it stopped.
  func twoSymbolSession(candles count: Int, configPath: String? = nil) async throws -> Int64 {
    let other = secondSymbol
    try CandleStore(path: db).write(
      Array(other[(history - 3)..<history]),
      series: SeriesKey(exchange: "bybit", symbol: "ETHUSDT", timeframe: .oneMinute), replace: false
    )
    var spec = spec(stopAfter: count)
    spec.symbols = ["BTCUSDT", "ETHUSDT"]
    spec.configPath = configPath
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let progress = try RunProgress(db: db, run: id)
    for i in history..<(history + count) {
      await ws.deliver(symbols: ["ETHUSDT", "BTCUSDT"], candles: [other[i], candles[i]]) {
        progress.reached(self.candles[i].time)
      }
    }
    #expect(try await finished().get() == .stopAfter)
    return id
  }

  /// A paper session that stops after `count` candles, pushed one by one, under the config
  /// `toml` (written beside the script; none when nil). Returns the run id once it stopped.
  func session(candles count: Int, config toml: String? = nil) async throws -> Int64 {
    var spec = spec(stopAfter: count)
    if let toml {
      let path = dir.appendingPathComponent("wick.toml").path
      try toml.write(toFile: path, atomically: true, encoding: .utf8)
      spec.configPath = path
    }
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await push(history..<(history + count))
    #expect(try await finished().get() == .stopAfter)
    return id
  }

  func ledger() throws -> RunLedger { try RunLedger(store: try CandleStore(path: db)) }

  func execute(_ sql: String) throws {
    try connection().write { try $0.execute(sql: sql) }
  }

  func scalar(_ sql: String) throws -> Int {
    try connection().read { try Int.fetchOne($0, sql: sql) ?? -1 }
  }

  /// A connection beside the running runner's: it waits out the runner's locks (a checkpoint, a
  /// commit) instead of failing with "database is locked".
  private func connection() throws -> DatabaseQueue {
    var config = Configuration()
    config.busyMode = .timeout(10)
    return try DatabaseQueue(path: db, configuration: config)
  }
}

/// Runs `runner` on a thread of its own; returns a function that waits for its ending.
/// Generous: beside the whole suite, the CLI suites' blocking waits hold both threads of the
/// 2-core cooperative pool for long stretches, and the runner's sockets need that pool to end.
func start(_ runner: Runner) -> () async -> Result<Runner.Ending, Error> {
  nonisolated(unsafe) let r = runner
  return startOnThread(within: 120) { try r.run() }
}

@Suite(.serialized) struct PaperRunTests {
  @Test func aPaperSessionWritesTheLedgerAndReplaysIdentically() async throws {
    let w = try PaperWorld()
    let id = try await w.session(candles: 12)

    let row = try #require(try w.ledger().run(id))
    #expect(row.kind == "paper" && row.status == "stopped")
    #expect(row.lastTime == w.candles[w.history + 11].time)
    // Every candle handled once: 3 of warm-up from the cache and 12 from the stream.
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 15)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent'") >= 2)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM orders WHERE run_id = \(id) AND status = 'filled' AND type = 'market'"
      ) >= 2)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.run_id = \(id)")
        >= 2)
    #expect(try w.scalar("SELECT COUNT(*) FROM positions WHERE run_id = \(id)") >= 1)
    #expect(try w.scalar("SELECT COUNT(*) FROM script_versions WHERE run_id = \(id)") == 1)
    // Delivered candles are in the cache (the stream's as well as REST's).
    #expect(
      try CandleStore(path: w.db).count(
        series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)) == 3 + 12)  // the warm-up REST fetched, and the stream

    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical)
    #expect(
      report.decisions == (try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")))

    // A tampered decision is found, with its time and both sides.
    try w.execute(
      "UPDATE decisions SET detail_json = replace(detail_json, '\"side\":\"long\"', '\"side\":\"short\"') WHERE run_id = \(id) AND kind = 'intent'"
    )
    let tampered = try Runner.replay(run: id, dbPath: w.db)
    #expect(!tampered.identical)
    #expect(tampered.firstDivergence?.expected.contains("short") == true)
    #expect(tampered.firstDivergence?.got.contains("long") == true)
    #expect(tampered.json.contains("\"identical\":false"))
  }

  @Test func theSameArgumentsResumeTheRunWithoutTradingTwice() async throws {
    let w = try PaperWorld()
    let id = try await w.session(w.history..<(w.history + 8))
    let decisionsBefore = try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")
    let ordersBefore = try w.scalar("SELECT COUNT(*) FROM orders WHERE run_id = \(id)")

    // While the runner is down, four candles close; REST has them.
    w.rest.candles = Array(w.candles[0..<(w.history + 12)])
    w.rest.serverTime = w.candles[w.history + 12].time + 1_000
    let second = try Runner(spec: w.spec(stopAfter: 3), output: { _ in })
    #expect(try second.prepare() == id)
    #expect(second.resumed)
    let again = start(second)
    await w.push((w.history + 12)..<(w.history + 15))
    #expect(try await again().get() == .stopAfter)
    // Nothing decided before the restart was written again; the missed candles were traded.
    #expect(try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)") > decisionsBefore)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")
        == (try w.scalar("SELECT MAX(seq) + 1 FROM decisions WHERE run_id = \(id)")))
    #expect(try w.scalar("SELECT COUNT(*) FROM orders WHERE run_id = \(id)") > ordersBefore)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 8 + 4 + 3)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM (SELECT order_id FROM fills GROUP BY order_id HAVING COUNT(*) > 1)")
        == 0)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  /// The exchange's clock reads before the last recorded candle closed (a few minutes, or days):
  /// the resume still re-handles every recorded candle, writes none of their decisions again and
  /// waits for newer candles; a clock more than a day behind is an incident.
  @Test(arguments: [4 * 60_000, 2 * 86_400_000] as [Int64])
  func aResumeWhoseExchangeClockIsBehindRehandlesEveryRecordedCandle(behindMs: Int64)
    async throws
  {
    let w = try PaperWorld()
    let id = try await w.session(w.history..<(w.history + 8))
    let lastRecorded = w.candles[w.history + 7].time
    let decisionsBefore = try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")

    // The last recorded candle closed at lastRecorded + 1 min; the clock reads `behindMs` before.
    w.rest.serverTime = lastRecorded + Timeframe.oneMinute.milliseconds - behindMs
    let lines = OutputLines()
    #expect(try await w.session((w.history + 8)..<(w.history + 11), output: lines.append) == id)
    #expect(
      lines.all.contains { $0.contains("re-handled 11 candle slots") }, "\(lines.all)")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    // Every candle handled once, each decision recorded once, in sequence.
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 8 + 3)
    #expect(try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)") > decisionsBefore)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")
        == (try w.scalar("SELECT MAX(seq) + 1 FROM decisions WHERE run_id = \(id)")))
    #expect(try w.ledger().run(id)?.lastTime == w.candles[w.history + 10].time)
    let clockIncidents = try w.scalar(
      "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'clock_behind' AND detail LIKE '%behind the last recorded candle%'"
    )
    #expect(clockIncidents == (behindMs > 86_400_000 ? 1 : 0))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func commandsPauseSetParamsAndStop() async throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: nil), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 4))
    let ledger = try w.ledger()
    let bad = try ledger.insertCommand(
      run: id, kind: "set_param", payloadJSON: #"{"name":"every","value":500}"#, source: "test")
    let good = try ledger.insertCommand(
      run: id, kind: "set_param", payloadJSON: #"{"name":"every","value":2}"#, source: "test")
    let pause = try ledger.insertCommand(run: id, kind: "pause", source: "test")
    #expect(await eventually { (try? ledger.command(pause))??.status == "done" })
    let rejected = try #require(try ledger.command(bad))
    #expect(rejected.status == "rejected" && rejected.outcome?.contains("every") == true)
    #expect(try ledger.command(good)?.status == "done")
    #expect(try ledger.run(id)?.status == "paused")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM script_versions WHERE run_id = \(id) AND source = 'set_param'") == 1)
    await w.push((w.history + 4)..<(w.history + 8))
    let stop = try ledger.insertCommand(run: id, kind: "emergency_stop", source: "test")
    guard case .halted = try await finished().get() else {
      Issue.record("not halted")
      return
    }
    #expect(try ledger.command(stop)?.status == "done")
    #expect(try ledger.run(id)?.status == "halted")
    #expect(try ledger.run(id)?.openPositions == 0)
    // Paused entries are refusals the replay reproduces, as is the new param.
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND detail_json LIKE '%paused%'") >= 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

@Suite(.serialized) struct RunnerReloadTests {
  @Test func aScriptEditedMidStreamIsSwappedRecordedAndReplayed() async throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: 12), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 4))
    #expect(await eventually { (try? w.scalar("SELECT COUNT(*) FROM equity_snapshots")) == 3 + 4 })
    // A new version: enters every 2 candles.
    try flipScript.replacingOccurrences(of: "default = 3", with: "default = 2")
      .write(toFile: w.script, atomically: true, encoding: .utf8)
    await w.push((w.history + 4)..<(w.history + 7))
    #expect(await eventually { (try? w.scalar("SELECT COUNT(*) FROM script_versions")) == 2 })
    // A broken edit: the running version keeps trading and the failure is an incident.
    try "return { name = ".write(toFile: w.script, atomically: true, encoding: .utf8)
    await w.push((w.history + 7)..<(w.history + 12))
    #expect(try await finished().get() == .stopAfter)
    #expect(try w.scalar("SELECT COUNT(*) FROM script_versions WHERE run_id = \(id)") == 2)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'reload'") == 1)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'reload_failed'")
        == 1)
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 12)
    // The replay swaps in the recorded versions where the run did (the file on disk is broken now).
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
  }

  @Test func aStrategyErrorHaltsTheStrategyOnlyAndRecordsAnIncident() async throws {
    let w = try PaperWorld()
    try flipScript.replacingOccurrences(
      of: "ctx.state.n = (ctx.state.n or 0) + 1",
      with:
        "ctx.state.n = (ctx.state.n or 0) + 1\n      if ctx.state.n == 9 then error(\"boom\") end"
    ).write(toFile: w.script, atomically: true, encoding: .utf8)
    let id = try await w.session(candles: 10)
    let detail = try #require(try w.ledger().run(id))
    #expect(detail.status == "stopped")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'strategy_error' AND detail LIKE '%boom%'"
      ) == 1)
    // The kernel kept handling candles (equity, stops) after the strategy stopped deciding.
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 10)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND candle_time > \(w.candles[w.history + 6].time) AND kind = 'intent'"
      ) == 0)
  }
}

@Suite(.serialized) struct RunnerSandboxTests {
  @Test
  func aTrippedSandboxLimitHaltsTheStrategyAndTheRunCarriesOn() async throws {
    let w = try PaperWorld()
    try flipScript.replacingOccurrences(
      of: "ctx.state.n = (ctx.state.n or 0) + 1",
      with:
        "ctx.state.n = (ctx.state.n or 0) + 1\n      if ctx.state.n == 6 then while true do end end"
    ).write(toFile: w.script, atomically: true, encoding: .utf8)
    let id = try await w.session(candles: 6)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'strategy_error'") == 1)
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 6)
  }
}

@Suite(.serialized) struct RunnerRiskTests {
  @Test func theRiskEnginesEmergencyStopIsAnIncidentAndReplays() async throws {
    let w = try PaperWorld()
    let id = try await w.session(
      candles: 12,
      config: """
        [risk]
        risk_per_trade = 0.02
        [caps]
        max_total_loss = 0.01
        """)
    // Seed 004's total-loss cap: the first losing trade trips it; entries stop for good.
    #expect(
      try w.scalar("SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'emergency'")
        >= 1)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'refusal'") >= 1)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  /// `[costs] reject_probability` applies to paper as to backtests: the venue rejects entries at
  /// random, seeded with `[costs] seed`, and each reject is a venue refusal and a rejected order.
  @Test func paperRunsDrawTheConfiguredRandomRejects() async throws {
    let w = try PaperWorld()
    let id = try await w.session(
      candles: 12,
      config: """
        [costs]
        reject_probability = 0.99
        seed = 7
        """)
    let rejects = try w.scalar(
      "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'refusal' AND detail_json LIKE '%random_reject%'"
    )
    #expect(rejects >= 2)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM orders WHERE run_id = \(id) AND status = 'rejected'")
        == rejects)
    #expect(try w.scalar("SELECT COUNT(*) FROM positions WHERE run_id = \(id)") == 0)
    // The replay draws the same rejects from the same seed.
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

@Suite(.serialized) struct BinancePaperTests {
  @Test func aPaperRunOnBinancesStreamTradesOnClosedCandlesOnly() async throws {
    let w = try PaperWorld()
    var spec = w.spec(stopAfter: 6)
    spec.exchange = "binance"
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let progress = try RunProgress(db: w.db, run: id)
    for i in w.history..<(w.history + 6) {
      let c = w.candles[i]
      let messages = [false, true].map {
        MockKlineStream.binanceKlineMessage(
          symbol: "BTCUSDT", interval: "1m", candle: c, closed: $0, timeframe: .oneMinute)
      }
      await w.ws.deliver(messages) { progress.reached(c.time) }
    }
    #expect(try await finished().get() == .stopAfter)
    #expect(try w.ledger().run(id)?.exchange == "binance")
    #expect(try w.ledger().run(id)?.lastTime == w.candles[w.history + 5].time)
    #expect(
      try CandleStore(path: w.db).count(
        series: SeriesKey(exchange: "binance", symbol: "BTCUSDT", timeframe: .oneMinute)) == 3 + 6)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

@Suite(.serialized) struct MultiSymbolPaperTests {
  @Test func twoSymbolsAreHandledAsAlignedSlices() async throws {
    let w = try PaperWorld()
    let id = try await w.twoSymbolSession(candles: 5)
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 5)
    #expect(try w.ledger().run(id)?.symbols == ["BTCUSDT", "ETHUSDT"])
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

/// `ctx:enter_pair` in a paper run is sized as in a backtest and as live sends it: each leg
/// rounded down to its `[instrument]` lot step, a leg below its minimum refusing the pair.
@Suite(.serialized) struct PaperPairSizingTests {
  static let script = """
    return {
      name = "pair", timeframe = "1m", symbols = { "BTCUSDT", "ETHUSDT" }, warmup = 3,
      on_bars = function(ctx, t, bars)
        ctx.state.n = (ctx.state.n or 0) + 1
        if ctx.state.n == 5 then
          ctx:enter_pair{ long = "BTCUSDT", short = "ETHUSDT", hedge = 0.37, entry_z = -2,
                          stop_z = -4, spread_std = 3, risk = 0.01 }
        end
      end,
    }
    """

  /// A paper session of the pair script under `instruments`; returns the world and the run id.
  func session(instruments: String) async throws -> (PaperWorld, Int64) {
    let w = try PaperWorld(script: Self.script)
    let config = w.dir.appendingPathComponent("wick.toml").path
    try instruments.write(toFile: config, atomically: true, encoding: .utf8)
    let id = try await w.twoSymbolSession(candles: 6, configPath: config)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
    return (w, id)
  }

  @Test func pairLegsAreRoundedDownToTheirLotSteps() async throws {
    let (w, id) = try await session(
      instruments: "[instrument.BTCUSDT]\nlot_step = 0.1\n[instrument.ETHUSDT]\nlot_step = 0.1\n")
    // 1 % of 10 000 over 2 z × 3: 16.67 → 16.6 long; 0.37 × 16.6 = 6.142 → 6.1 short.
    for (symbol, qty) in [("BTCUSDT", 16.6), ("ETHUSDT", 6.1)] {
      #expect(
        try w.scalar(
          "SELECT COUNT(*) FROM orders WHERE run_id = \(id) AND symbol = '\(symbol)' AND type = 'market' AND abs(qty - \(qty)) < 1e-9"
        ) == 1)
      #expect(
        try w.scalar(
          "SELECT COUNT(*) FROM positions WHERE run_id = \(id) AND symbol = '\(symbol)' AND abs(qty - \(qty)) < 1e-9"
        ) == 1)
    }
  }

  @Test func aLegBelowItsMinimumRefusesThePair() async throws {
    let (w, id) = try await session(
      instruments:
        "[instrument.BTCUSDT]\nlot_step = 0.1\n[instrument.ETHUSDT]\nmin_notional = 5000\n")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'refusal' AND detail_json LIKE '%below_min_notional%ETHUSDT leg%'"
      ) == 1)
    #expect(try w.scalar("SELECT COUNT(*) FROM orders WHERE run_id = \(id)") == 0)
    #expect(try w.scalar("SELECT COUNT(*) FROM positions WHERE run_id = \(id)") == 0)
  }
}

@Suite(.serialized) struct DroppedSocketPaperTests {
  @Test func aSocketDroppedMidCandleIsBackfilledBeforeAnythingNewer() async throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: 8), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 3))
    #expect(await eventually { (try? w.scalar("SELECT COUNT(*) FROM equity_snapshots")) == 3 + 3 })
    // A forming update, then the socket drops; two candles close while it is down (REST has them).
    let forming = w.candles[w.history + 3]
    w.ws.send(symbol: "BTCUSDT", interval: "1", candle: forming, confirm: false)
    w.rest.candles = Array(w.candles[0..<(w.history + 5)])
    w.rest.serverTime = w.candles[w.history + 5].time + 1_000
    w.ws.dropConnections()
    #expect(await eventually { w.ws.connections == 2 && w.ws.openClients == 1 })
    // After the reconnect the stream goes on from candle 5; 3 and 4 come from REST, first.
    await w.push((w.history + 5)..<(w.history + 8))
    #expect(try await finished().get() == .stopAfter)
    #expect(try w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)") == 3 + 8)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id) AND time IN (\(w.candles[w.history + 3].time), \(w.candles[w.history + 4].time))"
      ) == 2)  // the two candles that closed while the socket was down
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}
