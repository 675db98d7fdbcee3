import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickData

/// The exchange feeds against a loopback mock exchange: pagination, faults, retries, resumption.
@Suite(.serialized) struct FeedsTests {
  let tf = Timeframe.oneMinute

  func series(_ n: Int, seed: UInt64 = 3) -> [Candle] {
    var s = CandleSynthesizer(seed: seed, timeframe: .oneMinute)
    return (0..<n).map { _ in s.next() }
  }

  /// A fetcher on a fresh cache, talking to `mock`, with waits recorded instead of slept.
  final class Rig {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-feeds-\(UUID().uuidString)")
    let store: CandleStore
    let fetcher: MarketDataFetcher
    let requester: ExchangeRequester
    var sleeps: [TimeInterval] = []
    init(mock: MockExchange, api: ExchangeAPI, attempts: Int = 4, timeout: TimeInterval = 2) throws
    {
      store = try CandleStore(path: dir.appendingPathComponent("c.sqlite").path)
      let client = try CurlHTTPClient(connectTimeout: 1, totalTimeout: timeout)
      var recorded: [TimeInterval] = []
      requester = ExchangeRequester(
        transport: client, limiter: RateLimiter(rate: 1_000),
        retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.001),
        sleep: { recorded.append($0) })
      fetcher = MarketDataFetcher(
        api: api, store: store, requester: requester, now: { mock.serverTime })
      _ = recorded
    }
    func stored(_ exchange: String, _ tf: Timeframe = .oneMinute) throws -> [Candle] {
      let c = try store.cursor(
        series: SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: tf))
      var out: [Candle] = []
      while let x = try c.next() { out.append(x) }
      return out
    }
    deinit { try? FileManager.default.removeItem(at: dir) }
  }

  @Test(arguments: ["bybit", "binance"])
  func storesExactlyTheServedCandlesAcrossPages(exchange: String) throws {
    let candles = series(5_000)
    // The exchange's clock is where the last served candle has just closed.
    let mock = try MockExchange(
      candles: candles, timeframe: tf, serverTime: candles.last!.time + 60_000)
    defer { mock.stop() }
    let api: ExchangeAPI =
      exchange == "bybit" ? BybitAPI(baseURL: mock.baseURL) : BinanceAPI(baseURL: mock.baseURL)
    let rig = try Rig(mock: mock, api: api)
    let s = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(s.candles == 5_000)
    #expect(try rig.stored(api.storageName) == candles)
    #expect(mock.requests.count == (exchange == "bybit" ? 5 : 4))
  }

  @Test func secondRunFetchesOnlyWhatIsMissing() throws {
    let candles = series(3_000)
    let mock = try MockExchange(
      candles: candles, timeframe: tf, serverTime: candles[1_999].time + 60_000)
    defer { mock.stop() }
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    #expect(
      try rig.fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
        .candles == 2_000)
    mock.serverTime = candles.last!.time + 60_000
    let before = mock.requests.count
    let s = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(s.candles == 1_000)
    #expect(mock.requests.count == before + 1)
    #expect(mock.requests.last?.contains("start=\(candles[2_000].time)") == true)
    #expect(try rig.stored("bybit") == candles)
  }

  @Test func pageQuirksAreCleanedUp() throws {
    let candles = series(4_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [1: .forming, 2: .outOfOrder, 3: .duplicateBoundary, 4: .forming]
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    _ = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    let stored = try rig.stored("bybit")
    #expect(stored == candles)  // no duplicate, nothing forming, in order
  }

  @Test func anEmptyPageIsSkippedNotFatal() throws {
    let candles = series(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [2: .emptyPage]
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    let s = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
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
    var candles = series(2_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    _ = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
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
    let candles = series(1_500)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [1: .status(429, retryAfter: 3), 3: .retCode(10006, "Too many visits")]
    var sleeps: [TimeInterval] = []
    let store = try CandleStore(
      path: FileManager.default.temporaryDirectory.appendingPathComponent(
        "wick-429-\(UUID().uuidString).sqlite"
      ).path)
    let requester = ExchangeRequester(
      transport: try CurlHTTPClient(), limiter: RateLimiter(rate: 1_000),
      retry: RetryPolicy(maxAttempts: 3, baseDelay: 0.001),
      sleep: { sleeps.append($0) })
    let fetcher = MarketDataFetcher(
      api: BybitAPI(baseURL: mock.baseURL), store: store, requester: requester,
      now: { mock.serverTime })
    let s = try fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(s.candles == 1_500)
    #expect(sleeps.contains { $0 >= 3 })  // Retry-After: 3 was honoured
    #expect(mock.requests.count == 4)  // 429, ok, 10006, ok
  }

  @Test(arguments: [503, 502, 500])
  func serverErrorsAreRetriedABoundedNumberOfTimes(status: Int) throws {
    let candles = series(100)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.alwaysFault = .status(status)
    let rig = try Rig(mock: mock, api: BinanceAPI(baseURL: mock.baseURL), attempts: 4)
    #expect(throws: WickError.self) {
      try rig.fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    }
    #expect(mock.requests.count == 4)
    #expect(try rig.stored("binance").isEmpty)
  }

  @Test func clientErrorsAreNotRetried() throws {
    let candles = series(100)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.alwaysFault = .status(400)
    let rig = try Rig(mock: mock, api: BinanceAPI(baseURL: mock.baseURL))
    #expect(throws: WickError.self) {
      try rig.fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    }
    #expect(mock.requests.count == 1)
    mock.alwaysFault = .retCode(10001, "params error")
    let bybit = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    do {
      _ = try bybit.fetcher.fetchKlines(
        symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("retCode 10001: params error"), "\(error)")
    }
    #expect(mock.requests.count == 2)
  }

  @Test func resetsAndTimeoutsAreRetriedThenReported() throws {
    let candles = series(500)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [1: .reset, 2: .slow(1.5)]
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL), attempts: 3, timeout: 0.4)
    #expect(
      try rig.fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
        .candles == 500)
    #expect(mock.requests.count == 3)
    mock.alwaysFault = .slow(1.5)
    let slow = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL), attempts: 2, timeout: 0.3)
    do {
      _ = try slow.fetcher.fetchKlines(
        symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("gave up after 2 attempts: timed out"), "\(error)")
    }
  }

  @Test(arguments: ["truncated", "wrongTypes"])
  func malformedBodiesNameTheRequestAndKeepWholePages(fault: String) throws {
    let candles = series(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [3: fault == "truncated" ? .truncated : .wrongTypes]
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    do {
      _ = try rig.fetcher.fetchKlines(
        symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("GET http://127.0.0.1:\(mock.port)/v5/market/kline?"), "\(error)")
      #expect(
        "\(error)".contains(fault == "truncated" ? "malformed response" : "unexpected response"),
        "\(error)")
    }
    #expect(try rig.stored("bybit") == Array(candles.prefix(2_000)))  // the two good pages, nothing of the third
    mock.faults = [:]
    _ = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(try rig.stored("bybit") == candles)
  }

  @Test(arguments: ["bybit", "binance"])
  func fundingRatesKeepTheirSignAndTime(exchange: String) throws {
    let candles = series(10)
    let t0 = candles[0].time
    let rates = (0..<500).map {
      FundingRate(time: t0 + Int64($0) * 8 * 3_600_000, rate: $0 % 3 == 0 ? -0.0001 : 0.0002)
    }
    let mock = try MockExchange(
      candles: candles, timeframe: tf, funding: rates, serverTime: rates.last!.time + 1)
    defer { mock.stop() }
    let api: ExchangeAPI =
      exchange == "bybit" ? BybitAPI(baseURL: mock.baseURL) : BinanceAPI(baseURL: mock.baseURL)
    let rig = try Rig(mock: mock, api: api)
    #expect(try rig.fetcher.fetchFunding(symbol: "BTCUSDT", from: t0, to: nil) == 500)
    #expect(try rig.store.fundingRates(exchange: api.storageName, symbol: "BTCUSDT") == rates)
  }

  /// Ctrl-C stops after the page in flight: whole pages stay, and the next run continues.
  @Test func anInterruptedFetchLeavesWholePagesAndResumes() throws {
    let candles = series(4_000)
    let mock = try MockExchange(
      candles: candles, timeframe: tf, serverTime: candles.last!.time + 60_000)
    defer { mock.stop() }
    let rig = try Rig(mock: mock, api: BybitAPI(baseURL: mock.baseURL))
    var pages = 0
    rig.fetcher.onProgress = { _ in
      pages += 1
      if pages == 2 { FetchInterrupt.requested = 1 }
    }
    let first = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    FetchInterrupt.requested = 0
    #expect(first.interrupted)
    #expect(try rig.stored("bybit") == Array(candles.prefix(2_000)))
    rig.fetcher.onProgress = nil
    let second = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(second.candles == 2_000 && !second.interrupted)
    #expect(try rig.stored("bybit") == candles)
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
  }

  @Test func unsupportedTimeframesAreNamed() {
    #expect(throws: WickError.self) {
      try BybitAPI().klinesURL(
        symbol: "X", timeframe: Timeframe(milliseconds: 7 * 60_000), start: 0, end: 1, limit: 1)
    }
    #expect(throws: WickError.self) {
      try BinanceAPI().klinesURL(
        symbol: "X", timeframe: Timeframe(milliseconds: 7 * 60_000), start: 0, end: 1, limit: 1)
    }
  }
}
