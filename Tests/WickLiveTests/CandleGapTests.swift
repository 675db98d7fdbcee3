import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// A stream gap that REST cannot fill at once: asked for again on the exchange's clock (a fake
/// one here, so nothing sleeps), every candle delivered in order once REST has it, and a minute
/// the exchange never had given up on exactly once.
@Suite struct CandleGapTests {
  func t(_ i: Int) -> Int64 { base + Int64(i) * minute }

  /// The stream of `symbols`, last delivered at candle `last`, with what it gave up on.
  final class Gaps {
    let f: ConfirmedCandlesTests.Fixture
    let backfill: FakeBackfill
    let stream: ConfirmedCandles
    var missing: [MissingCandles] = []
    var log: [String] = []
    init(_ symbols: [String] = ["BTCUSDT"], last: Int = 1, clock: Int64 = base + 10 * minute)
      throws
    {
      f = try ConfirmedCandlesTests.Fixture()
      backfill = FakeBackfill(clock: clock, sink: f.store)
      stream = f.stream(symbols, last: last, backfill: backfill)
      stream.onMissing = { [unowned self] in missing.append($0) }
      stream.onLog = { [unowned self] in log.append($0) }
    }
    /// Moves the exchange's clock on by `ms` and handles no event (a quiet turn of the loop).
    func after(_ ms: Int64) throws -> [[SymbolCandle]] {
      backfill.clock += ms
      return try stream.handle([])
    }
  }

  func times(_ slices: [[SymbolCandle]]) -> [Int64] { slices.map { $0[0].candle.time } }

  @Test func restThatLagsTheStreamIsAskedAgainUntilItHasTheCandles() throws {
    let g = try Gaps()
    g.backfill.available["BTCUSDT"] = [candle(2), candle(3)]
    g.backfill.lagging = 2
    // Candle 4 on the stream; 2 and 3 were lost, and REST does not list them yet.
    #expect(try g.stream.handle([update("BTCUSDT", 4)]).isEmpty)
    #expect(g.backfill.requests.count == 1 && g.stream.heldSymbols == ["BTCUSDT"])
    // Nothing is asked again before the wait is over, and nothing waits in `handle`.
    #expect(try g.after(999).isEmpty && g.backfill.requests.count == 1)
    #expect(try g.after(1).isEmpty && g.backfill.requests.count == 2)
    #expect(try g.after(1_999).isEmpty && g.backfill.requests.count == 2)
    // Candle 5 arrives meanwhile and waits behind the gap; then REST has 2 and 3.
    g.backfill.clock += 1
    let slices = try g.stream.handle([update("BTCUSDT", 5)])
    #expect(times(slices) == [t(2), t(3), t(4), t(5)])
    #expect(g.backfill.requests.count == 3 && g.stream.retries == 2)
    #expect(g.missing.isEmpty && g.stream.heldSymbols.isEmpty)
    #expect(g.backfill.requests.allSatisfy { $0.1 == t(2) && $0.2 == t(4) })
    #expect(g.log.contains { $0.contains("REST has no candle at 2024-01-01T00:02:00Z yet") })
    // Connected again: the next candle goes straight through, without a request.
    #expect(times(try g.stream.handle([update("BTCUSDT", 6)])) == [t(6)])
    #expect(g.backfill.requests.count == 3)
  }

  @Test func shortAnswersAndALateHoleAreFilledByTheNextRequests() throws {
    let g = try Gaps()
    g.backfill.available["BTCUSDT"] = [candle(2), candle(3), candle(4), candle(6)]
    g.backfill.pageCap = 2
    // Candle 7 on the stream: REST answers two candles a request, and has no 5 yet.
    #expect(times(try g.stream.handle([update("BTCUSDT", 7)])) == [t(2), t(3)])
    #expect(times(try g.after(1_000)) == [t(4)])
    g.backfill.available["BTCUSDT"]!.insert(candle(5), at: 3)
    #expect(times(try g.after(1_000)).isEmpty)  // the next request is due 2 s after the last
    #expect(times(try g.after(1_000)) == [t(5), t(6), t(7)])
    #expect(g.missing.isEmpty && g.stream.missingCandles == 0)
  }

  @Test func aMinuteTheExchangeNeverHadIsGivenUpOnceAndTheRunGoesOn() throws {
    let g = try Gaps()
    g.backfill.available["BTCUSDT"] = [candle(2), candle(4)]
    // Candle 5 on the stream; REST has 2 and 4, never 3.
    #expect(times(try g.stream.handle([update("BTCUSDT", 5)])) == [t(2)])
    #expect(try g.after(1_000).isEmpty)
    #expect(try g.after(2_000).isEmpty)
    #expect(g.missing.isEmpty)
    // The last request: 3 is given up on, once, before 4 and 5 go through.
    #expect(times(try g.after(4_000)) == [t(4), t(5)])
    #expect(g.backfill.requests.count == 4)
    #expect(
      g.missing == [
        MissingCandles(
          symbol: "BTCUSDT", ranges: [t(3)...t(3)],
          reason:
            "not on the stream and not over REST after 4 requests in 7.0 s; the strategy goes on without it"
        )
      ])
    #expect(g.stream.missingCandles == 1)
    // The run goes on; 3 arriving late is not delivered after 4 and 5.
    #expect(times(try g.stream.handle([update("BTCUSDT", 3), update("BTCUSDT", 6)])) == [t(6)])
    #expect(try g.after(60_000).isEmpty)
    #expect(g.missing.count == 1 && g.backfill.requests.count == 4)
    #expect(try g.f.cached("BTCUSDT") == [2, 4, 5, 6].map(t))
  }

  @Test func otherSymbolsWaitForAHeldOneAndTheSliceWithoutItGoesOut() throws {
    let g = try Gaps(["AAAUSDT", "BBBUSDT"])
    g.stream.retryDelays = [500]
    g.backfill.available["AAAUSDT"] = []
    let first = try g.stream.handle([
      update("AAAUSDT", 2), update("BBBUSDT", 2), update("BBBUSDT", 3), update("AAAUSDT", 4),
      update("BBBUSDT", 4),
    ])
    #expect(first.map { $0.map(\.symbol) } == [[0, 1]])  // 3 and 4 wait for AAA's gap
    let rest = try g.after(500)
    #expect(rest.map { $0.map(\.symbol) } == [[1], [0, 1]])
    #expect(rest.map { $0[0].candle.time } == [t(3), t(4)])
    #expect(g.missing.map(\.symbol) == ["AAAUSDT"] && g.missing[0].ranges == [t(3)...t(3)])
  }

  @Test func aReconnectWhoseBackfillHasAHoleHoldsWhatFollowsIt() throws {
    let g = try Gaps(clock: base + 6 * minute + 30_000)
    g.backfill.available["BTCUSDT"] = [candle(2), candle(3), candle(5)]
    let slices = try g.stream.handle([.disconnected("dropped"), .connected])
    #expect(times(slices) == [t(2), t(3)])
    #expect(g.stream.heldSymbols == ["BTCUSDT"])
    #expect(try g.after(1_000).isEmpty)
    #expect(try g.after(2_000).isEmpty)
    #expect(times(try g.after(4_000)) == [t(5)])
    #expect(g.backfill.requests.count == 4)
    #expect(g.missing.count == 1 && g.missing[0].ranges == [t(4)...t(4)])
  }

  @Test func failedRequestsAreRetriedAndTheLastFailureIsAnError() throws {
    let g = try Gaps()
    g.backfill.available["BTCUSDT"] = [candle(2)]
    g.backfill.failing = 1
    #expect(try g.stream.handle([update("BTCUSDT", 3)]).isEmpty)
    #expect(g.log.contains { $0.contains("backfill from 2024-01-01T00:02:00Z failed") })
    #expect(times(try g.after(1_000)) == [t(2), t(3)])

    // REST down for every request: the run stops on the error (the same command resumes it and
    // backfills then); nothing is given up on and nothing newer is delivered.
    g.backfill.failing = 4
    #expect(try g.stream.handle([update("BTCUSDT", 5)]).isEmpty)
    #expect(try g.after(1_000).isEmpty)
    #expect(try g.after(2_000).isEmpty)
    #expect(throws: WickError.self) { try g.after(4_000) }
    #expect(g.missing.isEmpty && g.stream.lastDelivered == [t(3)])
  }

  @Test func theIncidentDetailNamesTheSymbolAndTimesAndReadsBack() {
    let m = MissingCandles(
      symbol: "BTCUSDT", times: [t(3), t(4), t(5), t(9)], step: minute, reason: "why: because")
    #expect(
      m.detail
        == "BTCUSDT 2024-01-01T00:03:00Z..2024-01-01T00:05:00Z,2024-01-01T00:09:00Z: why: because")
    #expect(MissingCandles(detail: m.detail) == m)
    #expect(m.contains(t(4)) && !m.contains(t(6)) && m.first == t(3))
    #expect(MissingCandles(detail: "strategy error: attempt to index a nil value") == nil)
    #expect(MissingCandles(detail: "BTCUSDT yesterday: no") == nil)
  }
}

/// The same in a paper session against the loopback exchange (REST through the real fetcher, the
/// stream over a WebSocket), with short retry waits.
@Suite(.serialized) struct CandleGapPaperTests {
  func spec(_ w: PaperWorld, stopAfter: Int) -> RunSpec {
    var s = w.spec(stopAfter: stopAfter)
    s.gapRetryDelays = [150, 300, 600]
    return s
  }

  func count(_ w: PaperWorld, _ id: Int64, _ kind: String) throws -> Int {
    try w.scalar("SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = '\(kind)'")
  }

  /// Pushes candles `range` on the exchange's own stream format, each until the run handled it.
  func push(_ w: PaperWorld, _ range: Range<Int>, exchange: String, run id: Int64) async throws {
    guard exchange == "binance" else { return await w.push(range) }
    let progress = try RunProgress(db: w.db, run: id)
    for i in range {
      let c = w.candles[i]
      let messages = [false, true].map {
        MockKlineStream.binanceKlineMessage(
          symbol: "BTCUSDT", interval: "1m", candle: c, closed: $0, timeframe: .oneMinute)
      }
      await w.ws.deliver(messages) { progress.reached(c.time) }
    }
  }

  /// Bybit lists a page newest first, Binance oldest first: with one-row pages, each is asked
  /// for the rest of the range from its own end.
  @Test(arguments: ["bybit", "binance"])
  func restLaggingItsStreamIsWaitedForAndEveryCandleIsHandledInOrder(exchange: String)
    async throws
  {
    let w = try PaperWorld()
    let h = w.history
    let lines = OutputLines()
    var spec = spec(w, stopAfter: 6)
    spec.exchange = exchange
    let runner = try Runner(spec: spec, output: lines.append)
    let id = try runner.prepare()
    let finished = start(runner)
    try await push(w, h..<(h + 2), exchange: exchange, run: id)
    // The stream loses candles 22 and 23. REST has them, but its next two kline requests list
    // nothing from the last ten minutes, and every answer is one row.
    w.rest.candles = Array(w.candles[0..<(h + 5)])
    w.rest.serverTime = w.candles[h + 4].time + 1_000
    w.rest.pageCap = 1
    w.rest.lagMilliseconds = 10 * 60_000
    w.rest.lagRequests = 2
    try await push(w, (h + 4)..<(h + 6), exchange: exchange, run: id)
    #expect(try await finished().get() == .stopAfter)

    let handled = try CandleStoreTimes.equity(w.db, run: id)
    #expect(handled.suffix(6) == (h..<(h + 6)).map { w.candles[$0].time })
    #expect(try count(w, id, "candle_missing") == 0)
    #expect(w.rest.lagRequests == 0)
    #expect(lines.all.contains { $0.contains("REST has no candle at") }, "\(lines.all)")
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  /// The retries wait on the clock, not in a sleep: a command sent while a gap waits a minute for
  /// its next request is carried out at once.
  @Test func whileAGapWaitsForRESTTheRunStillAnswersCommands() async throws {
    let w = try PaperWorld()
    let h = w.history
    var spec = w.spec(stopAfter: nil)
    spec.gapRetryDelays = [60_000]
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(h..<(h + 2))
    let gap = w.candles[h + 2]
    w.rest.candles = Array(w.candles[0..<(h + 4)]).filter { $0.time != gap.time }
    w.rest.serverTime = w.candles[h + 4].time + 1_000
    w.ws.send(symbol: "BTCUSDT", interval: "1", candle: w.candles[h + 3], confirm: true)
    #expect(await eventually { w.rest.klineRequests.contains { $0.start == gap.time } })
    let ledger = try w.ledger()
    let sent = Date()
    let stop = try ledger.insertCommand(run: id, kind: "stop", source: "test")
    guard case .halted = try await finished().get() else {
      Issue.record("not halted")
      return
    }
    #expect(Date().timeIntervalSince(sent) < 30)
    #expect(try ledger.command(stop)?.status == "done")
    // Candle 23 was still held behind the gap: never handled, and nothing given up on.
    #expect(try ledger.run(id)?.lastTime == w.candles[h + 1].time)
    #expect(try ledger.incidents(run: id, kind: "candle_missing").isEmpty)
  }

  @Test func aMinuteTheExchangeNeverHadIsOneIncidentAndAResumeAndReplayAgree() async throws {
    let w = try PaperWorld()
    let h = w.history
    let missing = w.candles[h + 2]
    let runner = try Runner(spec: spec(w, stopAfter: 4), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(h..<(h + 2))
    // The exchange never had candle 22: not on the stream, not over REST.
    w.rest.candles = Array(w.candles[0..<(h + 5)]).filter { $0.time != missing.time }
    w.rest.serverTime = w.candles[h + 4].time + 1_000
    await w.push((h + 3)..<(h + 5))
    #expect(try await finished().get() == .stopAfter)

    #expect(try count(w, id, "candle_missing") == 1)
    let detail = try w.ledger().incidents(run: id, kind: "candle_missing")
    #expect(detail.map(\.time) == [missing.time])
    #expect(detail.first?.detail.hasPrefix("BTCUSDT \(UTCTime.iso(missing.time)): ") == true)
    let handled = try CandleStoreTimes.equity(w.db, run: id)
    #expect(!handled.contains(missing.time))
    #expect(handled.suffix(4) == [h, h + 1, h + 3, h + 4].map { w.candles[$0].time })
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)

    // Later the cache gets the candle after all (`wick data repair`, or another run's backfill).
    try CandleStore(path: w.db).write(
      [missing], series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute),
      replace: true)
    w.rest.candles = Array(w.candles[0..<(h + 6)])
    w.rest.serverTime = w.candles[h + 5].time + 1_000
    // A resume and a replay still leave it out, as the strategy never saw it.
    let second = try Runner(spec: spec(w, stopAfter: 2), output: { _ in })
    #expect(try second.prepare() == id)
    let again = start(second)
    await w.push((h + 5)..<(h + 7))
    #expect(try await again().get() == .stopAfter)
    #expect(try count(w, id, "resume_divergence") == 0)
    #expect(try count(w, id, "candle_missing") == 1)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id)")
        == (try w.scalar("SELECT MAX(seq) + 1 FROM decisions WHERE run_id = \(id)")))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
    // Without the incident, the cache's candle 22 would be replayed: the decisions differ.
    try w.execute("DELETE FROM incidents WHERE kind = 'candle_missing'")
    #expect(try !Runner.replay(run: id, dbPath: w.db).identical)
  }
}

/// The catch-up at start-up (the candles that closed while the runner was down, or a new run's
/// warm-up) from the cache topped up over REST: the same rules as the stream.
@Suite(.serialized) struct CandleGapCatchUpTests {
  @Test func aMinuteMissingWhileTheRunnerWasDownIsOneIncidentAndTheResumeGoesOn() async throws {
    let w = try PaperWorld()
    let h = w.history
    let id = try await w.session(h..<(h + 3))
    // While the runner is down, candles 23 to 27 close; the exchange never had 25.
    let gone = w.candles[h + 5]
    w.rest.candles = Array(w.candles[0..<(h + 8)]).filter { $0.time != gone.time }
    w.rest.serverTime = w.candles[h + 8].time + 1_000
    let lines = OutputLines()
    let second = try Runner(spec: w.spec(stopAfter: 2), output: lines.append)
    #expect(try second.prepare() == id)
    let again = start(second)
    await w.push((h + 8)..<(h + 10))
    #expect(try await again().get() == .stopAfter)

    let incidents = try w.ledger().incidents(run: id, kind: "candle_missing")
    #expect(incidents.map(\.time) == [gone.time])
    #expect(
      incidents.first?.detail
        == "BTCUSDT \(UTCTime.iso(gone.time)): not over REST when the run caught up; the strategy goes on without it"
    )
    #expect(lines.all.contains { $0.hasPrefix("warning: candle_missing BTCUSDT") })
    let handled = try CandleStoreTimes.equity(w.db, run: id)
    #expect(handled.suffix(9) == [0, 1, 2, 3, 4, 6, 7, 8, 9].map { w.candles[h + $0].time })
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  /// REST lists one symbol a candle short at start-up (it lags): the catch-up from the cache stops
  /// at the last slice both symbols have, and the stream's backfill brings the rest in order,
  /// rather than a slice without that symbol followed by its older candle.
  @Test func aSymbolREStListsShortAtStartUpKeepsTheSlicesAligned() async throws {
    let w = try PaperWorld()
    let h = w.history
    let other = w.secondSymbol
    w.rest.candlesBySymbol = [
      "BTCUSDT": Array(w.candles[0..<h]), "ETHUSDT": Array(other[0..<(h - 1)]),
    ]
    var spec = w.spec(stopAfter: 3)
    spec.symbols = ["BTCUSDT", "ETHUSDT"]
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let progress = try RunProgress(db: w.db, run: id)
    #expect(await eventually { w.ws.klineClients > 0 })
    #expect(await eventually { (try? CandleStoreTimes.equity(w.db, run: id).count) == 2 })
    // REST has caught up by the next close.
    w.rest.candlesBySymbol["ETHUSDT"] = Array(other[0..<(h + 2)])
    for i in h..<(h + 2) {
      await w.ws.deliver(symbols: ["ETHUSDT", "BTCUSDT"], candles: [other[i], w.candles[i]]) {
        progress.reached(w.candles[i].time)
      }
    }
    #expect(try await finished().get() == .stopAfter)
    #expect(
      try CandleStoreTimes.equity(w.db, run: id) == ((h - 3)..<(h + 2)).map { w.candles[$0].time })
    #expect(try w.scalar("SELECT COUNT(*) FROM incidents WHERE run_id = \(id)") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

/// Candle times a run handled, from its equity snapshots (one per handled candle time).
enum CandleStoreTimes {
  static func equity(_ db: String, run: Int64) throws -> [Int64] {
    let q = try DatabaseQueue(path: db)
    return try q.read {
      try Int64.fetchAll(
        $0, sql: "SELECT time FROM equity_snapshots WHERE run_id = ? ORDER BY rowid",
        arguments: [run])
    }
  }
}
