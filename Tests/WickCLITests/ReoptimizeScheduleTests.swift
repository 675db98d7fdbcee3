import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickOptimize
import WickTesting

@testable import WickCLI
@testable import WickLive

/// Seed 000's loop in a paper session: a strategy that trades one direction (`dir`, -1 short or
/// 1 long) on a market that rises every minute, started short, with `[schedule.reoptimize]`
/// re-running a `wick optimize` walk-forward sweep (dir over -1 and 1, 2h:1h windows, 4h of
/// history) at 06:00 UTC.
final class ReoptimizeWorld: @unchecked Sendable {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-reopt-\(UUID().uuidString)")
  static let due = UTCTime.parse("2024-01-01T06:00:00Z")!
  /// 1m candles from 01:00; index 299 (05:59–06:00) closes on the boundary.
  static let origin = due - 300 * 60_000
  static let firstLive = 290
  static let trigger = 299
  let candles: [Candle]
  let rest: MockExchange
  let ws: MockKlineStream
  private let lock = NSLock()
  private var outputs: [String] = []
  private var stopFlag = false
  var db: String { dir.appendingPathComponent("w.sqlite").path }
  var script: String { dir.appendingPathComponent("side.lua").path }
  var params: String { dir.appendingPathComponent("params.json").path }
  var config: String { dir.appendingPathComponent("wick.toml").path }
  var sweep: String { dir.appendingPathComponent("first/sweep.json").path }
  var reoptDir: String { dir.appendingPathComponent("reoptimize").path }

  static let strategy = """
    return {
      name = "side", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
      params = { dir = { default = 1, min = -1, max = 1, step = 2 } },
      on_candle = function(ctx, c)
        ctx.state.n = (ctx.state.n or 0) + 1
        local pos = ctx:position(c.symbol)
        if pos then
          if ctx.state.n % 3 == 0 then ctx:exit{ symbol = c.symbol, reason = "hold" } end
        elseif ctx.params.dir > 0 then
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9 }
        else
          ctx:enter{ symbol = c.symbol, side = "short", stop = c.close * 1.1 }
        end
      end,
    }
    """

  init(reoptimize: String) throws {
    var list: [Candle] = []
    var price = 100.0
    for i in 0..<400 {
      let open = price
      let close = open * 1.003
      list.append(
        Candle(
          time: Self.origin + Int64(i) * 60_000, open: open, high: close * 1.0005,
          low: open * 0.9995, close: close, volume: 10))
      price = close
    }
    candles = list
    rest = try MockExchange(
      candles: Array(list[0..<Self.firstLive]), timeframe: .oneMinute,
      serverTime: list[Self.firstLive].time + 1_000)
    ws = try MockKlineStream()
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    try Self.strategy.write(toFile: script, atomically: true, encoding: .utf8)
    try "{\"dir\": -1}\n".write(toFile: params, atomically: true, encoding: .utf8)
    try reoptimize.write(toFile: config, atomically: true, encoding: .utf8)
    try CandleStore(path: db).write(
      Array(list[0..<Self.firstLive]),
      series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute),
      replace: false)
    // The sweep a person ran once by hand, saved with its sweep.json.
    let command = try OptimizeSweep.parse([
      script, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db, "--param", "dir",
      "--walk-forward", "2h:1h", "--objective", "net_return", "--no-config", "--workers", "1",
      "--out", dir.appendingPathComponent("first").path,
    ])
    _ = try command.execute(try command.prepare())
  }

  deinit {
    ws.stop()
    rest.stop()
    try? FileManager.default.removeItem(at: dir)
  }

  static func config(_ extra: String = "") -> String {
    """
    [schedule.reoptimize]
    every = "6h"
    sweep = "SWEEP"
    lookback = "4h"
    min_trades = 1
    dir = "DIR"
    \(extra)
    """
  }

  func runner() throws -> Runner {
    var s = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: .oneMinute)
    s.baseURL = rest.baseURL
    s.wsURL = ws.baseURL
    s.dbPath = db
    s.paramsFile = params
    s.configPath = config
    LiveAdapters.install()
    let r = try Runner(
      spec: s, output: { [weak self] line in self?.lock.withLock { self?.outputs.append(line) } })
    r.shouldStop = { [weak self] in self?.lock.withLock { self?.stopFlag ?? true } ?? true }
    return r
  }

  var lines: [String] { lock.withLock { outputs.filter { $0.hasPrefix("schedule:") } } }

  /// One session (a new run or its resume): pushes candles `range` one by one, then more until
  /// `until` holds among the lines (at most `extra` more), then stops the runner.
  func session(
    _ range: Range<Int>, extra: Int = 0, until: @escaping ([String]) -> Bool = { _ in true }
  ) async throws -> (runner: Runner, id: Int64) {
    lock.withLock { stopFlag = false }
    let runner = try runner()
    let id = try runner.prepare()
    let finished = start(runner)
    _ = await eventually(30) { self.ws.klineClients > 0 }
    let progress = try RunProgress(db: db, run: id)
    var next = range.lowerBound
    func push() async {
      let c = candles[next]
      next += 1
      await ws.deliver(symbols: ["BTCUSDT"], candles: [c]) { progress.reached(c.time) }
    }
    while next < range.upperBound { await push() }
    while next < range.upperBound + extra, !until(lines) {
      await push()
      try? await Task.sleep(nanoseconds: 30_000_000)
    }
    lock.withLock { stopFlag = true }
    #expect(try await finished().get() == .signal)
    rest.candles = Array(candles[0..<next])
    rest.serverTime = candles[next].time + 1_000
    return (runner, id)
  }

  func scalar(_ sql: String) throws -> Int {
    try ledgerReader(db).read { try Int.fetchOne($0, sql: sql) ?? -1 }
  }

  func ledger() throws -> RunLedger { try RunLedger(store: try CandleStore(path: db)) }

  func prepared(_ text: String) throws -> ReoptimizeWorld {
    try text.replacingOccurrences(of: "SWEEP", with: sweep)
      .replacingOccurrences(of: "DIR", with: reoptDir)
      .write(toFile: config, atomically: true, encoding: .utf8)
    return self
  }
}

/// Runs `runner` on a thread of its own; returns a function that waits for its ending.
func start(_ runner: Runner) -> () async -> Result<Runner.Ending, Error> {
  nonisolated(unsafe) let r = runner
  return startOnThread(within: 60) { try r.run() }
}

@Suite(.serialized) struct ReoptimizeScheduleTests {
  static let swapped: @Sendable ([String]) -> Bool = {
    $0.contains { $0.contains("params swapped") }
  }
  static let kept: @Sendable ([String]) -> Bool = { $0.contains { $0.contains("params kept") } }

  @Test func aWinnerThatBeatsTheRunningParamsOutOfSampleIsSwappedIn() async throws {
    let w = try ReoptimizeWorld(reoptimize: "")
    _ = try w.prepared(ReoptimizeWorld.config())
    let (runner, id) = try await w.session(
      ReoptimizeWorld.firstLive..<(ReoptimizeWorld.trigger + 1), extra: 200,
      until: ReoptimizeScheduleTests.swapped)
    let lines = w.lines
    #expect(
      lines.first?.hasPrefix("schedule: reoptimize due 2024-01-01T06:00:00Z: sweep started")
        == true,
      "\(lines)")
    let swap = try #require(lines.first { $0.contains("params swapped") }, "\(lines)")
    #expect(swap.contains("(dir=1)") && swap.contains("out-of-sample net_return"), "\(swap)")
    // The params file holds the winner; the running strategy trades it.
    let file = try String(contentsOfFile: w.params, encoding: .utf8)
    #expect(file.replacingOccurrences(of: " ", with: "").hasPrefix("{\"dir\":1"), "\(file)")
    #expect("\(runner.strategy.current.params.first { $0.name == "dir" }!.value)" == "1")
    // A script version with source "reoptimize", after the boundary, and one schedule decision
    // naming the due time, both objectives and the outcome.
    let versions = try w.ledger().scriptVersions(run: id)
    #expect(versions.map(\.source) == ["start", "reoptimize"])
    #expect(versions[1].time >= w.candles[ReoptimizeWorld.trigger].time)
    let detail = try #require(
      try w.ledger().decisions(run: id).first { $0.kind == "schedule" }?.detailJSON)
    #expect(detail.contains("\"job\":\"reoptimize\"") && detail.contains("\"status\":\"swapped\""))
    #expect(detail.contains("\"due\":\(ReoptimizeWorld.due)") && detail.contains("running_oos"))
    // The sweep's files, and the next sweep queued for 12:00.
    let out = w.reoptDir + "/2024-01-01T060000Z"
    #expect(FileManager.default.fileExists(atPath: out + "/results.csv"))
    let queue = try SweepQueue.load(path: w.reoptDir + "/queue.json")
    #expect(
      queue.entries.map(\.reason) == [
        "reoptimize due 2024-01-01T12:00:00Z (6h after 2024-01-01T06:00:00Z)"
      ])
    #expect(queue.entries[0].args.contains("2024-01-01T12:00:00Z"))
    // The session replays identically: the params timeline is recorded.
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")

    // A resume re-applies the recorded swap and runs no sweep again.
    let before = w.lines.count
    let after = try await w.session(
      (w.candles.firstIndex { $0.time > runner.lastHandled! }!)..<(w.candles.firstIndex {
        $0.time > runner.lastHandled!
      }! + 2))
    #expect(after.id == id && after.runner.resumed)
    #expect(w.lines.count == before, "\(w.lines)")
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start", "reoptimize"])
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule'") == 1
    )
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect("\(after.runner.strategy.current.params.first { $0.name == "dir" }!.value)" == "1")
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aWinnerShortOfTheMarginKeepsTheParamsAndSaysWhy() async throws {
    let w = try ReoptimizeWorld(reoptimize: "")
    _ = try w.prepared(ReoptimizeWorld.config("min_improvement = 1000"))
    let (runner, id) = try await w.session(
      ReoptimizeWorld.firstLive..<(ReoptimizeWorld.trigger + 1), extra: 200,
      until: ReoptimizeScheduleTests.kept)
    let kept = try #require(w.lines.first { $0.contains("params kept") }, "\(w.lines)")
    #expect(
      kept.contains("does not beat the running params'")
        && kept.contains("by more than min_improvement 1000"), "\(kept)")
    #expect(try String(contentsOfFile: w.params, encoding: .utf8) == "{\"dir\": -1}\n")
    #expect("\(runner.strategy.current.params.first { $0.name == "dir" }!.value)" == "-1")
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start"])
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule' AND detail_json LIKE '%\"status\":\"kept\"%min_improvement%'"
      ) == 1)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aSweepCutShortByAStopRunsOnceAfterTheResume() async throws {
    let w = try ReoptimizeWorld(reoptimize: "")
    _ = try w.prepared(ReoptimizeWorld.config())
    // Stops on the trigger candle, with the sweep just started: nothing is recorded.
    let (_, id) = try await w.session(ReoptimizeWorld.firstLive..<(ReoptimizeWorld.trigger + 1))
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule'") == 0
    )
    let (second, resumed) = try await w.session(
      (ReoptimizeWorld.trigger + 1)..<(ReoptimizeWorld.trigger + 2), extra: 200,
      until: ReoptimizeScheduleTests.swapped)
    #expect(resumed == id && second.resumed)
    #expect(w.lines.filter { $0.contains("params swapped") }.count == 1, "\(w.lines)")
    #expect(try w.ledger().scriptVersions(run: id).map(\.source) == ["start", "reoptimize"])
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'schedule'") == 1
    )
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func badFieldsAreRefusedWithTheFileAndFieldBeforeAnyRun() throws {
    let w = try ReoptimizeWorld(reoptimize: "")
    let cases: [(String, String)] = [
      (
        "[schedule.reoptimize]\nevery = \"6h\"\n",
        "wick.toml:1: [schedule.reoptimize] sweep: required: the sweep.json"
      ),
      (
        ReoptimizeWorld.config().replacingOccurrences(of: "\"6h\"", with: "\"soon\""),
        "wick.toml:2: [schedule.reoptimize] every: 'soon'"
      ),
      (
        ReoptimizeWorld.config("min_deflated_sharpe = 2"),
        "[schedule.reoptimize] min_deflated_sharpe: 2 is out of range"
      ),
      (ReoptimizeWorld.config("speed = 1"), "speed"),
      (
        ReoptimizeWorld.config().replacingOccurrences(of: "SWEEP", with: "missing.json"),
        "/missing.json: cannot read the sweep file"
      ),
    ]
    for (text, expected) in cases {
      _ = try w.prepared(text)
      #expect {
        try w.runner().prepare()
      } throws: {
        "\($0)".contains(expected)
      }
    }
    // A sweep without walk-forward windows cannot be judged out of sample.
    let plain = w.dir.appendingPathComponent("plain").path
    let command = try OptimizeSweep.parse([
      w.script, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", w.db, "--param", "dir",
      "--no-config", "--workers", "1", "--out", plain,
    ])
    _ = try command.execute(try command.prepare())
    _ = try w.prepared(
      ReoptimizeWorld.config().replacingOccurrences(of: "SWEEP", with: plain + "/sweep.json"))
    #expect {
      try w.runner().prepare()
    } throws: {
      "\($0)".contains(
        "[schedule.reoptimize] sweep: \(plain)/sweep.json: walk_forward: the sweep has no --walk-forward windows"
      )
    }
    // Refused before a run was created.
    #expect(try w.scalar("SELECT COUNT(*) FROM runs") == 0)
  }
}
