import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickData

/// The exchange feeds against a loopback mock exchange: faults, retries, resumption, repair.
/// Every fetch starts with one server-time request (request 1), so kline requests count from 2.
@Suite(.serialized) struct FeedsTests {
  let tf = Timeframe.oneMinute

  @Test(arguments: ["bybit", "binance"])
  func storesExactlyTheServedCandlesAcrossPages(exchange: String) throws {
    let candles = syntheticCandles(5_000)
    // The exchange's clock is a second past the close of the last served candle.
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let s = try rig.fetch(from: candles[0].time)
    #expect(s.candles == 5_000)
    #expect(try rig.stored() == candles)
    // One server-time request, then one per full page: Bybit 1000 a page, Binance futures 1500.
    #expect(mock.requests.count == (exchange == "bybit" ? 1 + 5 : 1 + 4))
    #expect(mock.requests.first?.hasSuffix("/time") == true)
  }

  @Test func secondRunFetchesOnlyWhatIsMissing() throws {
    let candles = syntheticCandles(3_000)
    let mock = try MockExchange(
      candles: candles, timeframe: tf, serverTime: candles[1_999].time + 61_000)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    #expect(
      try rig.fetch(from: candles[0].time)
        .candles == 2_000)
    mock.serverTime = candles.last!.time + 61_000
    let before = mock.requests.count
    let s = try rig.fetch(from: candles[0].time)
    #expect(s.candles == 1_000)
    #expect(mock.requests.count == before + 2)  // the clock, then the one missing page
    #expect(mock.klineRequests.last?.start == candles[2_000].time)
    #expect(try rig.stored("bybit") == candles)
    // A third run has nothing to ask for but the time.
    #expect(
      try rig.fetch(from: candles[0].time)
        .candles == 0)
    #expect(mock.requests.count == before + 3)
  }

  @Test(arguments: ["bybit", "binance"])
  func pageQuirksAreCleanedUp(exchange: String) throws {
    let candles = syntheticCandles(4_000)
    // The exchange's clock is half-way through the last candle: it lists it, still forming.
    let mock = try MockExchange(
      candles: candles, timeframe: tf, serverTime: candles.last!.time + 30_000)
    defer { mock.stop() }
    mock.faults = [2: .overlap(3), 3: .outOfOrder, 4: .duplicateRows, 5: .overlap(1)]
    let rig = try FeedRig(mock: mock, exchange: exchange)
    _ = try rig.fetch(from: candles[0].time)
    // No duplicate, nothing forming, in order.
    #expect(try rig.stored() == Array(candles.dropLast()))
  }

  @Test func anEmptyPageIsSkippedNotFatal() throws {
    let candles = syntheticCandles(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [3: .emptyPage]  // the second window
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    let s = try rig.fetch(from: candles[0].time)
    #expect(s.candles == 2_000)
    // The hole shows up as a gap, which repair fills.
    #expect(
      try rig.store.gaps(series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: tf))
        .count == 1)
    let r = try rig.fetcher.repair(symbol: "BTCUSDT", timeframe: tf)
    #expect(r.candles == 1_000 && r.unfilledGaps.isEmpty)
    #expect(try rig.stored("bybit") == candles)
  }

  @Test func repairReportsGapsTheExchangeCannotFill() throws {
    var candles = syntheticCandles(2_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    _ = try rig.fetch(from: candles[0].time)
    candles.removeSubrange(500..<510)  // plant a gap in the cache only...
    try rig.store.database.write { db in
      try db.execute(
        sql: "DELETE FROM candles WHERE time >= ? AND time < ?",
        arguments: [candles[499].time + 60_000, candles[500].time])
    }
    mock.candles = candles  // ...and make the exchange lack it too
    let r = try rig.fetcher.repair(symbol: "BTCUSDT", timeframe: tf)
    #expect(r.candles == 0)
    #expect(r.unfilledGaps.map(\.missingCandles) == [10])
  }

  @Test func rateLimitAnswersAreRetriedHonouringRetryAfter() throws {
    let candles = syntheticCandles(1_500)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [1: .status(429, retryAfter: 3), 3: .retCode(10006, "Too many visits!")]
    let rig = try FeedRig(mock: mock, exchange: "bybit", attempts: 3)
    let s = try rig.fetch(from: candles[0].time)
    #expect(s.candles == 1_500)
    #expect(rig.sleeps.contains { $0 >= 3 })  // Retry-After: 3 was honoured
    #expect(mock.requests.count == 5)  // time: 429, ok; klines: 10006, ok, ok
  }

  @Test(arguments: [503, 502, 500])
  func serverErrorsAreRetriedABoundedNumberOfTimes(status: Int) throws {
    let candles = syntheticCandles(100)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.alwaysFault = .status(status)
    let rig = try FeedRig(mock: mock, exchange: "binance", attempts: 4)
    #expect(throws: WickError.self) {
      try rig.fetch(from: candles[0].time)
    }
    #expect(mock.requests.count == 4)
    #expect(try rig.stored("binance").isEmpty)
    // The same on a kline request after the clock synced.
    mock.alwaysFault = nil
    mock.faults = [6: .status(status), 7: .status(status), 8: .status(status), 9: .status(status)]
    #expect(throws: WickError.self) {
      try rig.fetch(from: candles[0].time)
    }
    #expect(mock.requests.count == 9)
    #expect(try rig.stored("binance").isEmpty)
  }

  @Test func clientErrorsAreNotRetried() throws {
    let candles = syntheticCandles(100)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [2: .status(400)]
    let rig = try FeedRig(mock: mock, exchange: "binance")
    #expect(throws: WickError.self) {
      try rig.fetch(from: candles[0].time)
    }
    #expect(mock.requests.count == 2)
    mock.faults = [4: .retCode(10001, "params error")]
    let bybit = try FeedRig(mock: mock, exchange: "bybit")
    do {
      _ = try bybit.fetch(from: candles[0].time)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("/v5/market/kline?"), "\(error)")
      #expect("\(error)".contains("retCode 10001: params error"), "\(error)")
    }
    #expect(mock.requests.count == 4)
  }

  @Test func aFailingClockSyncNamesTheRequest() throws {
    let mock = try MockExchange(candles: syntheticCandles(10), timeframe: tf)
    defer { mock.stop() }
    mock.alwaysFault = .retCode(10002, "invalid request")
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    do {
      _ = try rig.fetch(from: 0)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("/v5/market/time: Bybit retCode 10002"), "\(error)")
    }
    #expect(mock.requests.count == 1)
  }

  @Test func resetsAndTimeoutsAreRetriedThenReported() throws {
    let candles = syntheticCandles(500)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [2: .reset, 3: .slow(1.5)]
    let rig = try FeedRig(
      mock: mock, api: BybitAPI(baseURL: mock.baseURL), attempts: 3, timeout: 0.4)
    #expect(
      try rig.fetch(from: candles[0].time)
        .candles == 500)
    #expect(mock.requests.count == 4)
    mock.alwaysFault = .slow(1.5)
    let slow = try FeedRig(
      mock: mock, api: BybitAPI(baseURL: mock.baseURL), attempts: 2, timeout: 0.3)
    do {
      _ = try slow.fetch(from: candles[0].time)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("gave up after 2 attempts: timed out"), "\(error)")
    }
  }

  @Test(arguments: ["truncated", "wrongTypes"])
  func malformedBodiesNameTheRequestAndKeepWholePages(fault: String) throws {
    let candles = syntheticCandles(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [4: fault == "truncated" ? .truncated : .wrongTypes]  // the third window
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    do {
      _ = try rig.fetch(from: candles[0].time)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("GET http://127.0.0.1:\(mock.port)/v5/market/kline?"), "\(error)")
      #expect(
        "\(error)".contains(fault == "truncated" ? "malformed response" : "unexpected response"),
        "\(error)")
    }
    #expect(try rig.stored("bybit") == Array(candles.prefix(2_000)))  // the two good windows, nothing of the third
    mock.faults = [:]
    _ = try rig.fetch(from: candles[0].time)
    #expect(try rig.stored("bybit") == candles)
  }

  /// A candle that does not open on a timeframe boundary cannot be stored or repaired: an error
  /// naming it, not a silent hole.
  @Test(arguments: ["bybit", "binance"])
  func misalignedCandlesAreNamed(exchange: String) throws {
    let candles = syntheticCandles(100).map {
      Candle(
        time: $0.time + 30_000, open: $0.open, high: $0.high, low: $0.low, close: $0.close,
        volume: $0.volume)
    }
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    do {
      _ = try rig.fetch(from: candles[0].time - 30_000)
      Issue.record("no error")
    } catch {
      #expect(
        "\(error)".contains(
          "does not open on a 1m boundary (1m candles open at multiples of 1m since 1970-01-01 00:00 UTC)"
        ), "\(error)")
    }
    #expect(try rig.stored().isEmpty)
  }

  /// Ctrl-C stops after the window in flight: whole windows stay, and the next run continues.
  @Test func anInterruptedFetchLeavesWholePagesAndResumes() throws {
    let candles = syntheticCandles(4_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    let first = try rig.fetchInterrupted(afterWindows: 2, from: candles[0].time)
    #expect(first.interrupted)
    #expect(try rig.stored() == Array(candles.prefix(2_000)))
    let second = try rig.fetch(from: candles[0].time)
    #expect(second.candles == 2_000 && !second.interrupted)
    #expect(try rig.stored() == candles)
  }

  /// Asking for older history than the cache holds fetches it newest window first, so an
  /// interrupted run leaves one contiguous run that the next extends; nothing is stored twice.
  @Test(arguments: ["bybit", "binance"])
  func olderHistoryIsFetchedBackwardsAndResumes(exchange: String) throws {
    let candles = syntheticCandles(6_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try FeedRig(mock: mock, exchange: exchange)
    _ = try rig.fetch(from: candles[4_500].time)
    let first = try rig.fetchInterrupted(afterWindows: 2, from: candles[0].time)
    #expect(first.interrupted)
    let page = rig.fetcher.api.klineLimit
    #expect(try rig.stored() == Array(candles[(4_500 - 2 * page)...]))
    let second = try rig.fetch(from: candles[0].time)
    #expect(second.candles == 4_500 - 2 * page)
    #expect(try rig.stored() == candles)
    let series = SeriesKey(
      exchange: rig.fetcher.api.storageName, symbol: "BTCUSDT", timeframe: tf)
    #expect(try rig.store.gaps(series: series).isEmpty)
  }

  @Test func serverClockMeasuresTheOffset() throws {
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    let mock = try MockExchange(candles: [], timeframe: tf, serverTime: now + 60_000)
    defer { mock.stop() }
    let api = BybitAPI(baseURL: mock.baseURL)
    let clock = try ServerClock.measure(
      api: api,
      requester: ExchangeRequester(transport: try CurlHTTPClient(), limiter: RateLimiter(rate: 100))
    )
    #expect(abs(clock.offsetMilliseconds - 60_000) < 2_000)
    #expect(clock.earliestNow() <= clock.now())
  }

  @Test func unsupportedTimeframesAreNamed() throws {
    let apis: [ExchangeAPI] = [BybitAPI(), BinanceAPI()]
    for api in apis {
      #expect(throws: WickError.self) {
        try api.klinesURL(
          symbol: "X", timeframe: Timeframe(milliseconds: 7 * 60_000), start: 0, end: 1, limit: 1)
      }
    }
    // Weeks open on Mondays on both exchanges, as Wick's 1w does.
    #expect(
      try BybitAPI().klinesURL(symbol: "X", timeframe: .week, start: 0, end: 1, limit: 1)
        .contains("&interval=W&"))
    #expect(
      try BinanceAPI().klinesURL(symbol: "X", timeframe: .week, start: 0, end: 1, limit: 1)
        .contains("&interval=1w&"))
  }
}
