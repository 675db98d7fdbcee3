import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickData

/// Paging as the exchanges document it: Bybit answers the newest rows of a range, newest first,
/// and may send fewer than `limit`; Binance the oldest from `startTime`. The fetcher must cover
/// every window whatever a page holds.
@Suite(.serialized) struct PagingTests {
  let tf = Timeframe.oneMinute

  /// Requests a window of `window` candles takes when each page holds at most `perPage`.
  func pages(_ count: Int, window: Int, perPage: Int) -> Int {
    stride(from: 0, to: count, by: window).reduce(0) { sum, start in
      let inWindow = min(window, count - start)
      return sum + (inWindow + perPage - 1) / perPage
    }
  }

  @Test(arguments: [
    ("bybit", 200), ("bybit", 1_000), ("binance", 300), ("binance", 1_500),
    ("binance-spot", 400), ("binance-spot", 1_000),
  ])
  func everyWindowIsCoveredWhateverThePageCap(exchange: String, cap: Int) throws {
    let candles = syntheticCandles(5_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.pageCap = cap
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let s = try rig.fetch(from: candles[0].time)
    #expect(s.candles == 5_000)
    #expect(try rig.stored() == candles)
    let limit = rig.fetcher.api.klineLimit
    // As few requests as the cap allows: no request asks again for rows it already has.
    #expect(s.requests == pages(5_000, window: limit, perPage: cap))
    #expect(mock.klineRequests.count == s.requests)
    #expect(mock.klineRequests.allSatisfy { $0.parameter("limit") == Int64(limit) })
  }

  /// Bybit: 1000 asked, 200 sent, newest first. Each next request asks for the part of the
  /// window below the oldest row received so far — never past it, never the same rows twice.
  @Test func bybitIsAskedForTheOlderPartUntilTheWindowStart() throws {
    let candles = syntheticCandles(1_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.pageCap = 200
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    _ = try rig.fetch(from: candles[0].time)
    let asked = mock.klineRequests
    #expect(asked.map(\.start) == Array(repeating: candles[0].time, count: 5))
    #expect(asked.map(\.end) == [1_000, 800, 600, 400, 200].map { candles[$0 - 1].time + 59_999 })
    #expect(try rig.stored("bybit") == candles)
  }

  /// A page shorter than asked in the middle of history (a server hiccup, a smaller cap for a
  /// while) is followed by a request for the rest, in both paging directions.
  @Test(arguments: ["bybit", "binance"])
  func aShortPageMidHistoryIsFollowedByTheRest(exchange: String) throws {
    let candles = syntheticCandles(4_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.faults = [3: .shortPage(37), 4: .shortPage(1)]
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let s = try rig.fetch(from: candles[0].time)
    #expect(try rig.stored() == candles)
    let full = pages(4_000, window: rig.fetcher.api.klineLimit, perPage: rig.fetcher.api.klineLimit)
    #expect(s.requests == full + 2)
  }

  /// Rows repeated inside a page, pages that overlap rows already received or reach outside
  /// the range asked for, pages in the other order: each candle is stored once, in order.
  @Test(arguments: ["bybit", "binance"])
  func overlapsAndDuplicatesAreStoredOnce(exchange: String) throws {
    let candles = syntheticCandles(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.pageCap = 250
    mock.faults = [
      2: .overlap(40), 3: .duplicateRows, 4: .overlap(3), 5: .outOfOrder, 7: .overlap(1),
      8: .duplicateRows, 9: .shortPage(10),
    ]
    let rig = try FeedRig(mock: mock, exchange: exchange)
    _ = try rig.fetch(from: candles[0].time)
    #expect(try rig.stored() == candles)
    // The same again stores nothing more and asks only for the time.
    let again = try rig.fetch(from: candles[0].time)
    #expect(again.candles == 0 && again.requests == 0)
  }

  /// An answer whose rows all lie outside the range asked for tells nothing about that range:
  /// it is an error naming the request, not a silent hole.
  @Test(arguments: ["bybit", "binance"])
  func anAnswerEntirelyOutsideTheRangeIsAnError(exchange: String) throws {
    let candles = syntheticCandles(3_000)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.pageCap = 250
    mock.faults = [3: .overlap(250)]
    let rig = try FeedRig(mock: mock, exchange: exchange)
    do {
      _ = try rig.fetch(from: candles[0].time)
      Issue.record("no error")
    } catch {
      #expect("\(error)".contains("none inside the requested range"), "\(error)")
      #expect("\(error)".contains("GET http://127.0.0.1:\(mock.port)/"), "\(error)")
    }
    #expect(try rig.stored().isEmpty)  // the window stays unwritten
  }

  /// Where the exchange has no data (before a listing, a maintenance hole), the fetcher asks
  /// once more and moves on: the hole is a gap for `wick data repair`, not an endless loop.
  @Test(arguments: ["bybit", "binance"])
  func holesInTheExchangesDataCostOneRequestEach(exchange: String) throws {
    var candles = syntheticCandles(3_000)
    candles.removeSubrange(1_200..<1_300)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.pageCap = 500
    let rig = try FeedRig(mock: mock, exchange: exchange)
    // From a day before the listing.
    let s = try rig.fetch(from: candles[0].time - 86_400_000)
    #expect(try rig.stored() == candles)
    #expect(s.requests < 30)
    let gaps = try rig.store.gaps(
      series: SeriesKey(exchange: rig.fetcher.api.storageName, symbol: "BTCUSDT", timeframe: tf))
    #expect(gaps.map(\.missingCandles) == [100])
  }

  /// Funding history pages the same way: Bybit newest first with at most 200 a page (and
  /// "startTime only" is an error, so both ends are always sent), Binance oldest first; rates
  /// more frequent than every 8 hours overflow a window and are still all fetched.
  @Test(arguments: [("bybit", 200), ("bybit", 70), ("binance", 1_000), ("binance", 90)])
  func fundingRatesArePagedUntilCovered(exchange: String, cap: Int) throws {
    let candles = syntheticCandles(10)
    let t0 = candles[0].time
    // Hourly for the first 500 hours, then every 8 hours.
    let hour: Int64 = 3_600_000
    let hourly: [Int64] = (0..<500).map { t0 + Int64($0) * hour }
    let eightHourly: [Int64] = (1...400).map { hourly.last! + Int64($0) * 8 * hour }
    let rates = (hourly + eightHourly).enumerated().map { i, t in
      FundingRate(time: t, rate: i % 3 == 0 ? -0.0001 : 0.0002)
    }
    let mock = try MockExchange(
      candles: candles, timeframe: tf, funding: rates, serverTime: rates.last!.time + 1_000)
    defer { mock.stop() }
    mock.pageCap = cap
    let rig = try FeedRig(mock: mock, exchange: exchange)
    #expect(try rig.fetcher.fetchFunding(symbol: "BTCUSDT", from: t0, to: nil) == rates.count)
    let name = rig.fetcher.api.storageName
    #expect(try rig.store.fundingRates(exchange: name, symbol: "BTCUSDT") == rates)
    let fundingRequests = mock.received.filter { $0.path.contains("unding") }
    #expect(fundingRequests.allSatisfy { $0.parameter("startTime") != nil && $0.end != nil })
    // A second run asks from after the newest stored rate and stores nothing twice.
    #expect(try rig.fetcher.fetchFunding(symbol: "BTCUSDT", from: t0, to: nil) == 0)
    #expect(try rig.store.fundingRates(exchange: name, symbol: "BTCUSDT") == rates)
  }

  /// The coverage algorithm alone: rows the exchange sends in any order, any subset size.
  @Test func rangeCoverageCollectsEachRowOnceFromEitherEnd() {
    let all = Array(stride(from: Int64(0), to: 1_000, by: 10))
    for newest in [true, false] {
      var asked: [Range<Int64>] = []
      let got = RangeCoverage.collect(0..<1_000, step: 10, time: { (t: Int64) in t }) { part in
        asked.append(part)
        let inside = all.filter { part.contains($0) }
        let page = newest ? Array(inside.suffix(7)) : Array(inside.prefix(7))
        return page.reversed() + page.prefix(1)  // out of order, one row twice
      }
      #expect(got == all)
      #expect(asked.count == 15)  // ⌈100 / 7⌉ pages, no more
      // Each request asks only for what is still unknown: the range shrinks from the end answered.
      #expect(
        zip(asked, asked.dropFirst()).allSatisfy { a, b in
          newest
            ? b.lowerBound == 0 && b.upperBound < a.upperBound
            : b.upperBound == 1_000 && b.lowerBound > a.lowerBound
        })
    }
  }
}
