import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// A pairs paper session across a month boundary: three symbols on 1m candles, BTC/ETH
/// cointegrated and SOL a random walk, zscore_pairs.lua trading BTC/SOL from its params file, and
/// `[schedule.pairs_rescan]` re-scanning at 2024-02-01T00:00Z.
final class RescanWorld {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-rescan-\(UUID().uuidString)")
  static let boundary = UTCTime.parse("2024-02-01T00:00:00Z")!
  static let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
  /// Candles from 21:00 on Jan 31; index 170 (23:50) is the first one the stream delivers and
  /// index 179 (23:59–00:00) closes on the boundary.
  static let origin = boundary - 180 * 60_000
  static let firstLive = 170
  static let trigger = 179
  var series: [String: [Candle]] = [:]
  let rest: MockExchange
  let ws: MockKlineStream
  var outputs: [String] = []
  private let lock = NSLock()
  var db: String { dir.appendingPathComponent("w.sqlite").path }
  var script: String { dir.appendingPathComponent("zscore_pairs.lua").path }
  var params: String { dir.appendingPathComponent("pairs.json").path }
  var config: String { dir.appendingPathComponent("wick.toml").path }
  static let initialParams = """
    {"lookback": 20, "pairs": [{"a": "BTCUSDT", "b": "SOLUSDT"}]}

    """

  init(rescan: String) throws {
    // Generated at 4h volatility (so the walks wander over two hours), stamped as 1m candles.
    let fourHours = try Timeframe(parsing: "4h")
    var pair = PairSynthesizer(
      seed: 7, timeframe: fourHours, priceB: 2_000, hedge: 20, halfLife: 3)
    var walk = CandleSynthesizer(seed: 9, timeframe: fourHours, startPrice: 150)
    func stamped(_ c: Candle, _ i: Int) -> Candle {
      Candle(
        time: Self.origin + Int64(i) * 60_000, open: c.open, high: c.high, low: c.low,
        close: c.close, volume: c.volume)
    }
    var btc: [Candle] = []
    var eth: [Candle] = []
    var sol: [Candle] = []
    for i in 0..<220 {
      let (a, b) = pair.next()
      btc.append(stamped(a, i))
      eth.append(stamped(b, i))
      sol.append(stamped(walk.next(), i))
    }
    series = ["BTCUSDT": btc, "ETHUSDT": eth, "SOLUSDT": sol]
    rest = try MockExchange(
      candles: Array(btc[0..<Self.firstLive]), timeframe: .oneMinute,
      serverTime: btc[Self.firstLive].time + 1_000)
    rest.candlesBySymbol = series.mapValues { Array($0[0..<Self.firstLive]) }
    ws = try MockKlineStream()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try FileManager.default.copyItem(atPath: "strategies/zscore_pairs.lua", toPath: script)
    try Self.initialParams.write(toFile: params, atomically: true, encoding: .utf8)
    try rescan.write(toFile: config, atomically: true, encoding: .utf8)
    // The cache holds BTC and ETH from 21:00 but SOL only from 22:50 (its warm-up): the re-scan
    // tops SOL up over REST.
    let store = try CandleStore(path: db)
    for (symbol, from) in [("BTCUSDT", 0), ("ETHUSDT", 0), ("SOLUSDT", 110)] {
      try store.write(
        Array(series[symbol]![from..<Self.firstLive]),
        series: SeriesKey(exchange: "bybit", symbol: symbol, timeframe: .oneMinute), replace: false)
    }
  }

  deinit {
    ws.stop()
    rest.stop()
    try? FileManager.default.removeItem(at: dir)
  }

  func spec(stopAfter: Int) -> RunSpec {
    var s = RunSpec(strategyPath: script, symbols: Self.symbols, timeframe: .oneMinute)
    s.baseURL = rest.baseURL
    s.wsURL = ws.baseURL
    s.dbPath = db
    s.stopAfter = stopAfter
    s.paramsFile = params
    s.configPath = config
    return s
  }

  func runner(stopAfter: Int) throws -> Runner {
    try Runner(
      spec: spec(stopAfter: stopAfter),
      output: { [weak self] line in self?.lock.withLock { self?.outputs.append(line) } })
  }

  /// One runner session (a new run, or the resume of the same one) that handles the candles
  /// `range` from the stream and stops; returns the runner and its run id.
  func session(_ range: Range<Int>) async throws -> (runner: Runner, id: Int64) {
    let runner = try runner(stopAfter: range.count)
    let id = try runner.prepare()
    let finished = start(runner)
    await push(range)
    #expect(try await finished().get() == .stopAfter)
    return (runner, id)
  }

  var scheduleLines: [String] { lock.withLock { outputs.filter { $0.hasPrefix("schedule:") } } }

  /// REST has every candle before `index`, and the exchange's clock is a second into it.
  func restHas(upTo index: Int) {
    rest.candlesBySymbol = series.mapValues { Array($0[0..<index]) }
    rest.candles = rest.candlesBySymbol["BTCUSDT"]!
    rest.serverTime = series["BTCUSDT"]![index].time + 1_000
  }

  /// Pushes candles `range` of every symbol over the WebSocket, confirmed, each time until the
  /// run has handled it or ended.
  func push(_ range: Range<Int>) async {
    guard let progress = try? RunProgress(db: db) else { return }
    for i in range {
      let candles = Self.symbols.map { series[$0]![i] }
      await ws.deliver(symbols: Self.symbols, candles: candles) {
        progress.reached(candles[0].time)
      }
    }
  }

  func scalar(_ sql: String) throws -> Int {
    try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: sql) ?? -1 }
  }

  func ledger() throws -> RunLedger { try RunLedger(store: try CandleStore(path: db)) }

  static let monthly = """
    [schedule.pairs_rescan]
    every = "1mo"
    lookback = "2h"
    pvalue = 0.05
    max_pairs = 1

    """
}

@Suite(.serialized) struct PairsRescanTests {
  @Test func theRescanRunsOnceAtTheMonthBoundaryAndSwapsTheParamsThroughHotReload() async throws {
    let w = try RescanWorld(rescan: RescanWorld.monthly)
    let (runner, id) = try await w.session(RescanWorld.firstLive..<(RescanWorld.firstLive + 15))

    // Once, on the candle closing at 00:00, with BTC/ETH the one pair under p = 0.05.
    #expect(w.scheduleLines.count == 1, "\(w.scheduleLines)")
    let line = try #require(w.scheduleLines.first)
    #expect(
      line.hasPrefix("schedule: pairs_rescan due 2024-02-01T00:00:00Z: 1 of 3 pairs"), "\(line)")
    #expect(line.contains("(BTCUSDT/ETHUSDT)") && line.hasSuffix("params swapped"))
    // The params file was rewritten: the new pairs, and the rest of the file kept.
    let file = try String(contentsOfFile: w.params, encoding: .utf8)
    #expect(file.contains("\"a\": \"BTCUSDT\", \"b\": \"ETHUSDT\"") && !file.contains("SOLUSDT"))
    #expect(file.contains("\"lookback\": 20"))
    #expect(
      !FileManager.default.fileExists(atPath: w.dir.appendingPathComponent(".pairs.json.tmp").path))
    // The swap is a script version with source "schedule" at the trigger candle.
    let versions = try w.ledger().scriptVersions(run: id)
    #expect(versions.map(\.source) == ["start", "schedule"])
    #expect(versions[1].time == w.series["BTCUSDT"]![RescanWorld.trigger].time)
    #expect(
      versions[1].paramsJSON.contains("ETHUSDT") && !versions[1].paramsJSON.contains("SOLUSDT"))
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule' AND detail_json LIKE '%swapped%'"
      ) == 1)
    // The running strategy trades the new pair now.
    let pairs = try #require(runner.strategy.current.params.first { $0.name == "pairs" })
    #expect("\(pairs.value)".contains("ETHUSDT"))
    // No lookahead: the scan asked REST for SOL's history only up to the boundary.
    let solRequests = w.rest.klineRequests.filter { $0.target.contains("symbol=SOLUSDT") }
    #expect(!solRequests.isEmpty)
    #expect(solRequests.allSatisfy { ($0.end ?? 0) < RescanWorld.boundary })
    // And the session replays identically: the params timeline is recorded.
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
  }

  @Test func aFailedScanKeepsTheParamsAndRecordsAnIncident() async throws {
    // 20 minutes of history: too few aligned candles for the test.
    let w = try RescanWorld(
      rescan: RescanWorld.monthly.replacingOccurrences(of: "\"2h\"", with: "\"20m\""))
    let (runner, id) = try await w.session(RescanWorld.firstLive..<(RescanWorld.firstLive + 12))
    #expect(w.scheduleLines.count == 1)
    #expect(
      w.scheduleLines.first?.contains(
        "failed: only 20 times have a candle for every symbol; need at least 50; params kept")
        == true, "\(w.scheduleLines)")
    #expect(try String(contentsOfFile: w.params, encoding: .utf8) == RescanWorld.initialParams)
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start"])
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'schedule_failed' AND detail LIKE '%need at least 50%'"
      ) == 1)
    let pairs = try #require(runner.strategy.current.params.first { $0.name == "pairs" })
    #expect("\(pairs.value)".contains("SOLUSDT"))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aResumeNeverRunsTheJobTwice() async throws {
    let w = try RescanWorld(rescan: RescanWorld.monthly)
    let (_, id) = try await w.session(RescanWorld.firstLive..<(RescanWorld.firstLive + 12))
    #expect(w.scheduleLines.count == 1)

    // Two candles close while the runner is down; then it resumes with the same arguments.
    w.restHas(upTo: RescanWorld.firstLive + 14)
    let (second, resumedID) = try await w.session(
      (RescanWorld.firstLive + 14)..<(RescanWorld.firstLive + 16))
    #expect(resumedID == id && second.resumed)
    #expect(w.scheduleLines.count == 1, "\(w.scheduleLines)")
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start", "schedule"])
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule'") == 1
    )
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    // The resumed run trades the re-scanned pair.
    #expect(
      "\(second.strategy.current.params.first { $0.name == "pairs" }!.value)".contains("ETHUSDT"))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aJobDueWhenTheRunnerWasKilledRunsOnceAfterTheResume() async throws {
    let w = try RescanWorld(rescan: RescanWorld.monthly)
    // The run stops on the trigger candle itself...
    let (_, id) = try await w.session(RescanWorld.firstLive..<(RescanWorld.trigger + 1))
    // ...and we make it as if kill -9 had come after the candle's commit but before the job's
    // record: its decisions and version are gone (the params file was already renamed in place).
    try execute(
      w.db,
      "DELETE FROM decisions WHERE run_id = \(id) AND kind IN ('schedule', 'reload');"
        + "DELETE FROM script_versions WHERE run_id = \(id) AND source = 'schedule'")
    w.restHas(upTo: RescanWorld.trigger + 1)
    #expect(try await w.session((RescanWorld.trigger + 1)..<(RescanWorld.trigger + 3)).id == id)
    #expect(w.scheduleLines.count == 2, "\(w.scheduleLines)")  // the first run's, and this one
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start", "schedule"])
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule'") == 1
    )
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aBoundaryPassedWhileTheRunnerWasDownRunsOnTheFirstCandleAfterIt() async throws {
    let w = try RescanWorld(rescan: RescanWorld.monthly)
    let (_, id) = try await w.session(RescanWorld.firstLive..<(RescanWorld.firstLive + 5))
    #expect(w.scheduleLines.isEmpty)
    // Down across the boundary: the candles up to 00:03 come over REST at the restart.
    w.restHas(upTo: RescanWorld.trigger + 4)
    #expect(try await w.session((RescanWorld.trigger + 4)..<(RescanWorld.trigger + 5)).id == id)
    #expect(w.scheduleLines.count == 1, "\(w.scheduleLines)")
    let versions = try w.ledger().scriptVersions(run: id)
    #expect(versions.map(\.source) == ["start", "schedule"])
    #expect(versions.last?.time == w.series["BTCUSDT"]![RescanWorld.trigger].time)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func theJobMustRewriteTheRunsOwnParamsFile() throws {
    let w = try RescanWorld(rescan: RescanWorld.monthly + "out = \"other.json\"\n")
    #expect {
      try w.runner(stopAfter: 1).prepare()
    } throws: {
      "\($0)".contains(
        "wick.toml:6: [schedule.pairs_rescan] out: 'other.json' is not the run's params file")
    }
    let foreign = try RescanWorld(
      rescan: RescanWorld.monthly + "symbols = [\"BTCUSDT\", \"XRPUSDT\"]\n")
    #expect {
      try foreign.runner(stopAfter: 1).prepare()
    } throws: {
      "\($0)".contains("[schedule.pairs_rescan] symbols: XRPUSDT not among the run's symbols")
    }
    // Refused before a run was created: nothing to resume, nothing in the ledger.
    #expect(try foreign.scalar("SELECT COUNT(*) FROM runs") == 0)
  }
}

/// `[schedule] eval_every` in a paper run on an exchange whose clock is hours and minutes away
/// from ours: decisions fall on the exchange's 5-minute grid, and the backtest kernel (replay)
/// makes the same ones.
@Suite(.serialized) struct EvalEveryPaperTests {
  @Test func decisionsFollowTheExchangesGridAndReplayIdentically() async throws {
    let skew: Int64 = -(3 * 3_600_000 + 7 * 60_000 + 30_000)
    let tf = Timeframe.oneMinute
    let now = Int64(Date().timeIntervalSince1970 * 1000) + skew
    var synth = CandleSynthesizer(
      seed: 5, timeframe: tf, start: tf.floor(now) - 20 * 60_000, startPrice: 100)
    let candles = (0..<60).map { _ in synth.next() }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-grid-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("flip.lua").path
    // Enter on every candle when flat, exit on the next: only the grid can space decisions out.
    try flipScript.replacingOccurrences(of: "default = 3", with: "default = 1").write(
      toFile: script, atomically: true, encoding: .utf8)
    let config = dir.appendingPathComponent("wick.toml").path
    try "[schedule]\neval_every = \"5m\"\n".write(toFile: config, atomically: true, encoding: .utf8)
    let rest = try MockExchange(candles: Array(candles[0..<20]), timeframe: tf)
    rest.clock = .skewed(by: skew)
    let ws = try MockKlineStream()
    defer {
      ws.stop()
      rest.stop()
    }
    var spec = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: tf)
    spec.baseURL = rest.baseURL
    spec.wsURL = ws.baseURL
    spec.dbPath = dir.appendingPathComponent("w.sqlite").path
    spec.configPath = config
    spec.stopAfter = 25
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    _ = await eventually { ws.openClients > 0 }
    let progress = try RunProgress(db: spec.dbPath, run: id)
    let caughtUp = try #require(try runner.ledger.run(id)?.lastTime)
    let firstLive = try #require(candles.firstIndex { $0.time > caughtUp })
    for c in candles[firstLive..<(firstLive + 25)] {
      await ws.deliver(symbols: ["BTCUSDT"], candles: [c]) { progress.reached(c.time) }
    }
    #expect(try await finished().get() == .stopAfter)
    let decided = try times(
      spec.dbPath,
      "SELECT candle_time FROM decisions WHERE run_id = \(id) AND kind IN ('intent', 'exit')")
    #expect(decided.count >= 4, "\(decided)")
    // On the exchange's grid: candles closing at :00, :05, :10 ... of its clock.
    #expect(decided.allSatisfy { ($0 + 60_000) % 300_000 == 0 }, "\(decided.map(UTCTime.iso))")
    // The strategy still saw every candle: its counter is the number of candles handled.
    let state = try text(spec.dbPath, "SELECT state_json FROM runs WHERE id = \(id)")
    let handled = try times(
      spec.dbPath, "SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)"
    ).first
    #expect(state?.contains("\"n\":\(handled ?? -1)") == true, "\(state ?? "") vs \(handled ?? -1)")
    let report = try Runner.replay(run: id, dbPath: spec.dbPath)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
    #expect(report.decisions > 0)
  }
}

/// Synchronous SQL for async tests (GRDB's async overloads would be picked there).
func execute(_ db: String, _ sql: String) throws {
  try DatabaseQueue(path: db).write { try $0.execute(sql: sql) }
}

func times(_ db: String, _ sql: String) throws -> [Int64] {
  try DatabaseQueue(path: db).read { try Int64.fetchAll($0, sql: sql) }
}

func text(_ db: String, _ sql: String) throws -> String? {
  try DatabaseQueue(path: db).read { try String.fetchOne($0, sql: sql) }
}
