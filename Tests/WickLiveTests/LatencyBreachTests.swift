import Foundation
import Testing
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickLive

/// Exchange requests slower than `[exchange.NAME] latency_breach_seconds` are incidents (seed
/// 001's "latency breaches"), one per quiet period with the slow checks folded in.
@Suite struct LatencyBreachTests {
  @Test func aSlowCheckIsOneIncidentAndTheNextOnesFoldIntoTheFollowingReport() {
    var watch = LatencyWatch(
      host: "127.0.0.1:8123", limit: 1, setting: "[exchange.bybit] latency_breach_seconds")
    #expect(watch.breach(nil, now: 0) == nil, "no request since the last check")
    #expect(watch.breach(.init(count: 3, slowest: 0.9), now: 0) == nil, "within the limit")
    #expect(
      watch.breach(.init(count: 2, slowest: 1.5), now: 1_000)
        == "requests to 127.0.0.1:8123: the slowest of 2 took 1.50 s (limit 1.00 s, [exchange.bybit] latency_breach_seconds)"
    )
    // Within the next ten minutes: counted, not reported.
    #expect(watch.breach(.init(count: 1, slowest: 3), now: 60_000) == nil)
    #expect(watch.breach(.init(count: 4, slowest: 2), now: 120_000) == nil)
    let next = watch.breach(.init(count: 1, slowest: 1.2), now: 601_000)
    #expect(next?.contains("took 1.20 s") == true)
    #expect(
      next?.hasSuffix("; 2 more slow check(s) since the last report (slowest 3.00 s)") == true)
    var off = LatencyWatch(host: "h", limit: 0, setting: "off")
    #expect(off.breach(.init(count: 1, slowest: 100), now: 0) == nil, "0 turns it off")
  }

  @Test func aPaperRunWhoseExchangeAnswersSlowlyRecordsALatencyBreach() async throws {
    let w = try PaperWorld()
    w.rest.alwaysFault = .slow(0.3)
    let id = try await w.session(
      candles: 2, config: "[exchange.bybit]\nlatency_breach_seconds = 0.1\n")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'latency_breach' AND detail LIKE '%(limit 0.10 s, [exchange.bybit] latency_breach_seconds)'"
      ) == 1)
  }

  @Test func theLimitIsCheckedWhereTheConfigIsRead() throws {
    #expect(
      throws: WickError.invalidFile(
        path: "wick.toml", line: 2,
        reason: "[exchange.bybit] latency_breach_seconds: -1 is out of range (expected 0 to 3600)")
    ) {
      try WickConfig.parse("[exchange.bybit]\nlatency_breach_seconds = -1\n", path: "wick.toml")
    }
    #expect(
      try WickConfig.parse("[exchange.binance]\nlatency_breach_seconds = 0\n", path: "wick.toml")
        .exchanges["binance"]?.latencyBreachSeconds == 0)
  }
}
