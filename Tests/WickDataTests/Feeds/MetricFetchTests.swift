import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickData

/// `wick data fetch --open-interest / --long-short` against loopback mocks of Bybit's
/// `/v5/market/open-interest` and `/v5/market/account-ratio` and Binance's
/// `/futures/data/openInterestHist` and `/futures/data/globalLongShortAccountRatio`, written
/// from their documentation and then made hostile.
@Suite(.serialized) struct MetricFetchTests {
  static let start: Int64 = 1_704_067_200_000  // 2024-01-01, a Monday
  static let fiveMinutes = Timeframe(milliseconds: 300_000)

  /// `n` samples every `step` ms from `start`, values from a seeded walk.
  func samples(_ n: Int, step: Int64 = 300_000, from: Int64 = start, seed: UInt64 = 7)
    -> [MetricSample]
  {
    var state = seed
    var value = 50_000.0
    return (0..<n).map { i in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      value *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.01
      return MetricSample(time: from + Int64(i) * step, value: value)
    }
  }

  /// A mock whose clock stands `after` ms past the last sample, serving `oi` and `ls`.
  func mock(oi: [MetricSample], ls: [MetricSample] = [], after: Int64 = 1_000) throws
    -> MockExchange
  {
    let last = max(oi.last?.time ?? 0, ls.last?.time ?? 0)
    let mock = try MockExchange(candles: [], timeframe: .oneMinute, serverTime: last + after)
    mock.openInterest = oi
    mock.longShortRatio = ls
    return mock
  }

  func metricRequests(_ mock: MockExchange) -> [MockExchange.Received] {
    mock.received.filter { !$0.path.hasSuffix("/time") }
  }

  @Test(arguments: ["bybit", "binance"])
  func shortPagesStillCoverEveryWindow(exchange: String) throws {
    let oi = samples(900)
    let ls = samples(900, seed: 9).map { MetricSample(time: $0.time, value: $0.value / 40_000) }
    let mock = try mock(oi: oi, ls: ls)
    defer { mock.stop() }
    mock.pageCap = 70
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let key = SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: Self.fiveMinutes)
    let a = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    let b = try rig.fetcher.fetchMetric(
      .longShortRatio, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    #expect(a.samples == 900 && b.samples == 900)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == oi)
    let stored = try rig.store.metricSamples(.longShortRatio, series: key)
    #expect(stored.map(\.time) == ls.map(\.time))
    #expect(zip(stored, ls).allSatisfy { abs($0.value - $1.value) < 1e-9 * $1.value })
    // No request asks again for rows it has: each page of a window brings 70 new rows.
    let window = rig.fetcher.api.metricLimit(.openInterest)
    let pages = stride(from: 0, to: 900, by: window).reduce(0) {
      $0 + (min(window, 900 - $1) + 69) / 70
    }
    #expect(a.requests == pages)
    let asked = metricRequests(mock)
    if exchange == "bybit" {
      #expect(asked.allSatisfy { $0.target.contains("category=linear") })
      #expect(asked.filter { $0.target.contains("intervalTime=5min") }.count == a.requests)
      #expect(asked.filter { $0.target.contains("period=5min") }.count == b.requests)
    } else {
      #expect(asked.allSatisfy { $0.target.contains("period=5m&") })
    }
  }

  /// A second fetch asks only for what is newer than the cache, and stores nothing twice.
  @Test(arguments: ["bybit", "binance"])
  func aSecondFetchContinuesWhereTheCacheEnds(exchange: String) throws {
    let oi = samples(600)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let first = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start,
      to: oi[300].time)
    #expect(first.samples == 300)
    let before = metricRequests(mock).count
    let second = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    #expect(second.samples == 300)
    let later = metricRequests(mock).dropFirst(before)
    #expect(later.allSatisfy { ($0.start ?? 0) >= oi[300].time })
    let key = SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: Self.fiveMinutes)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == oi)
  }

  /// Binance keeps 30 days: an older `--from` is raised to the horizon (and reported), nothing
  /// is asked for beyond it, and what exists is stored.
  @Test func binanceStoresWhatTheThirtyDayHorizonHolds() throws {
    let hour = Timeframe(milliseconds: 3_600_000)
    let oi = samples(40 * 24, step: hour.milliseconds)
    let mock = try mock(oi: oi, after: 10_000)
    defer { mock.stop() }
    mock.metricHorizon = 30 * 86_400_000
    let rig = try FeedRig(mock: mock, exchange: "binance")
    let s = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: hour, from: Self.start, to: nil)
    let now = mock.serverTime
    let horizon = try #require(s.horizonStart)
    #expect(horizon > now - 30 * 86_400_000 && horizon <= now - 30 * 86_400_000 + 2 * 3_600_000)
    let kept = oi.filter { $0.time >= horizon }
    #expect(s.samples == kept.count && kept.count >= 30 * 24 - 2)
    let key = SeriesKey(exchange: "binance", symbol: "BTCUSDT", timeframe: hour)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == kept)
    #expect(metricRequests(mock).allSatisfy { ($0.start ?? 0) >= horizon })
  }

  /// Bybit has no such horizon: the whole range is fetched.
  @Test func bybitHasNoHorizon() throws {
    let hour = Timeframe(milliseconds: 3_600_000)
    let oi = samples(40 * 24, step: hour.milliseconds)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    let s = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: hour, from: Self.start, to: nil)
    #expect(s.horizonStart == nil && s.samples == oi.count)
  }

  /// A timeframe the endpoint does not offer names the nearest one it does.
  @Test func anIntervalTheExchangeLacksNamesTheNearestOffered() throws {
    let mock = try mock(oi: samples(10))
    defer { mock.stop() }
    let bybit = try FeedRig(mock: mock, exchange: "bybit")
    let binance = try FeedRig(mock: mock, exchange: "binance")
    let cases: [(FeedRig, Timeframe, String)] = [
      (bybit, .oneMinute, "nearest interval it offers is 5m"),
      (bybit, Timeframe(milliseconds: 7_200_000), "nearest interval it offers is 1h"),
      (binance, .oneMinute, "nearest interval it offers is 5m"),
      (binance, .week, "nearest interval it offers is 1d"),
    ]
    for (rig, tf, text) in cases {
      let error = #expect(throws: WickError.self) {
        try rig.fetcher.fetchMetric(
          .openInterest, symbol: "BTCUSDT", timeframe: tf, from: Self.start, to: nil)
      }
      #expect("\(error!)".contains(text), "\(error!)")
    }
    #expect(metricRequests(mock).isEmpty)
    let spot = try FeedRig(mock: mock, exchange: "binance-spot")
    #expect(throws: WickError.self) {
      try spot.fetcher.metricInterval(.openInterest, timeframe: Self.fiveMinutes)
    }
  }

  /// A hole in the exchange's series stays a hole: fetched around, listed as a gap.
  @Test(arguments: ["bybit", "binance"])
  func aHoleInTheExchangesSeriesIsListedAsAGap(exchange: String) throws {
    var oi = samples(500)
    oi.removeSubrange(200..<224)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let s = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    #expect(s.samples == 476)
    let listed = try rig.store.extraSeriesList()
    #expect(listed.count == 1)
    #expect(listed.first?.kind == "open_interest" && listed.first?.count == 476)
    #expect(listed.first?.gapCount == 1 && listed.first?.missing == 24)
  }

  /// Malformed bodies fail the fetch naming the request; windows written before stay, the
  /// failing window writes nothing, and the next run completes the series.
  @Test(arguments: [
    ("bybit", MockExchange.Fault.wrongTypes), ("binance", .wrongTypes), ("bybit", .truncated),
    ("binance", .truncated),
  ])
  func aMalformedBodyFailsWithoutAHalfWrittenWindow(exchange: String, fault: MockExchange.Fault)
    throws
  {
    let oi = samples(1_200)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let limit = rig.fetcher.api.metricLimit(.openInterest)
    // Request 1 is the server time; 2 fills the first window; 3 is the second window's first.
    mock.faults[3] = fault
    let error = #expect(throws: WickError.self) {
      try rig.fetcher.fetchMetric(
        .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    }
    #expect("\(error!)".contains("GET http://127.0.0.1"), "\(error!)")
    let key = SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: Self.fiveMinutes)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == Array(oi.prefix(limit)))
    mock.faults = [:]
    _ = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == oi)
  }

  /// 429s (with Retry-After), 5xx, Bybit's retCode 10006, resets, duplicates and pages in the
  /// wrong order are survived: the series arrives whole and the waits were honoured.
  @Test(arguments: ["bybit", "binance"])
  func rateLimitsAndFlakyAnswersAreRetried(exchange: String) throws {
    let oi = samples(700)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    mock.pageCap = 150
    mock.faults = [
      2: .status(429, retryAfter: 2), 4: .status(503), 5: .reset, 6: .duplicateRows,
      7: .outOfOrder, 8: .overlap(3),
    ]
    if exchange == "bybit" { mock.faults[9] = .retCode(10006, "Too many visits!") }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let s = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start, to: nil)
    let key = SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: Self.fiveMinutes)
    #expect(s.samples == 700)
    #expect(try rig.store.metricSamples(.openInterest, series: key) == oi)
    #expect(rig.sleeps.contains { $0 >= 2 }, "Retry-After honoured: \(rig.sleeps)")
  }

  /// Nothing stamped after the exchange's clock is stored, whatever the exchange lists.
  @Test func nothingPastTheExchangesClockIsStored() throws {
    let oi = samples(300)
    let mock = try mock(oi: oi)
    defer { mock.stop() }
    mock.serverTime = oi[199].time + 10
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    let s = try rig.fetcher.fetchMetric(
      .openInterest, symbol: "BTCUSDT", timeframe: Self.fiveMinutes, from: Self.start,
      to: oi[299].time + 1)
    #expect(s.samples == 200)
  }
}
