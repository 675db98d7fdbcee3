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

  @Test func restLaggingItsStreamIsWaitedForAndEveryCandleIsHandledInOrder() async throws {
    let w = try PaperWorld()
    let h = w.history
    let lines = OutputLines()
    let runner = try Runner(spec: spec(w, stopAfter: 6), output: lines.append)
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(h..<(h + 2))
    // The stream loses candles 22 and 23. REST has them, but its next two kline requests list
    // nothing from the last ten minutes, and every answer is one row.
    w.rest.candles = Array(w.candles[0..<(h + 5)])
    w.rest.serverTime = w.candles[h + 4].time + 1_000
    w.rest.pageCap = 1
    w.rest.lagMilliseconds = 10 * 60_000
    w.rest.lagRequests = 2
    await w.push((h + 4)..<(h + 6))
    #expect(try await finished().get() == .stopAfter)

    let handled = try CandleStoreTimes.equity(w.db, run: id)
    #expect(handled.suffix(6) == (h..<(h + 6)).map { w.candles[$0].time })
    #expect(try count(w, id, "candle_missing") == 0)
    #expect(w.rest.lagRequests == 0)
    #expect(lines.all.contains { $0.contains("REST has no candle at") }, "\(lines.all)")
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
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
