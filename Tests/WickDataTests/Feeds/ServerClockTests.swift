import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickData

/// "Now" is the exchange's clock: synced at the start of every fetch, it sets the default end
/// and decides which candles have closed, whatever this machine's clock or `to` say.
@Suite(.serialized) struct ServerClockTests {
  static let hour: Int64 = 3_600_000
  let tf = Timeframe(milliseconds: ServerClockTests.hour)

  /// A mock whose clock runs `hours` away from ours, serving 2,000 closed hourly candles up to
  /// its now, the one forming at its now, and three it has not opened yet.
  func skewedExchange(hours: Int64) throws -> (MockExchange, [Candle]) {
    let serverNow = Int64(Date().timeIntervalSince1970 * 1000) + hours * Self.hour
    let candles = syntheticCandles(
      2_004, timeframe: tf, start: tf.floor(serverNow) - 2_000 * tf.milliseconds)
    let mock = try MockExchange(candles: candles, timeframe: tf)
    mock.clock = .skewed(by: hours * Self.hour)
    return (mock, candles)
  }

  @Test(arguments: ["bybit", "binance", "binance-spot"], [3, -3])
  func closedCandlesAreJudgedByTheExchangesClock(exchange: String, hours: Int64) throws {
    for to in [nil, Int64(Date().timeIntervalSince1970 * 1000) + 24 * Self.hour] {
      let (mock, candles) = try skewedExchange(hours: hours)
      defer { mock.stop() }
      let rig = try FeedRig(mock: mock, exchange: exchange)
      let before = mock.serverTime
      let s = try rig.fetcher.fetchKlines(
        symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: to)
      let after = mock.serverTime
      // The end is the last candle closed on the exchange's clock at the start: not hours
      // earlier (its clock ahead of ours), not hours later (behind), whatever `to` says.
      #expect(s.to >= tf.floor(before) && s.to <= tf.floor(after))
      let stored = try rig.stored(rig.fetcher.api.storageName, tf)
      #expect(stored == candles.filter { $0.time < s.to })
      #expect(stored.count >= 2_000 - 1)
      // The still-forming candle was never asked for, nor anything past the exchange's now.
      #expect(!mock.klineRequests.isEmpty)
      for request in mock.klineRequests {
        #expect(request.end! < tf.floor(request.serverTime), "\(request.target)")
      }
      #expect(abs(s.clock!.offsetMilliseconds - hours * Self.hour) < 2_000)
    }
  }

  /// The live runner's backfill: the same closed candles, without touching the cache.
  @Test(arguments: [3, -3])
  func closedCandlesReadsWithoutStoring(hours: Int64) throws {
    let (mock, candles) = try skewedExchange(hours: hours)
    defer { mock.stop() }
    mock.pageCap = 200
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    let before = mock.serverTime
    let got = try rig.fetcher.closedCandles(
      symbol: "BTCUSDT", timeframe: tf, from: candles[100].time, to: nil)
    let after = mock.serverTime
    #expect(
      got == candles.filter { $0.time >= candles[100].time && $0.time < tf.floor(before) }
        || got == candles.filter { $0.time >= candles[100].time && $0.time < tf.floor(after) })
    #expect(try rig.stored("bybit", tf).isEmpty)
  }

  /// Bybit's quota reset time is a timestamp on its clock: read on ours it would stall the
  /// fetch for hours (clock ahead) or not wait at all (behind).
  @Test(arguments: [3, -3])
  func bybitQuotaResetIsReadOnTheExchangesClock(hours: Int64) throws {
    let (mock, candles) = try skewedExchange(hours: hours)
    defer { mock.stop() }
    mock.faults = [2: .quotaExhausted(resetInMilliseconds: 2_000)]
    let rig = try FeedRig(mock: mock, exchange: "bybit")
    _ = try rig.fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: tf, from: candles[0].time, to: nil)
    #expect(rig.sleeps.contains { $0 > 1 && $0 <= 2.5 }, "\(rig.sleeps)")
    #expect(rig.sleeps.allSatisfy { $0 <= 2.5 }, "\(rig.sleeps)")
  }

  /// Binance's request weight counts per minute of its clock: near the limit, the fetcher waits
  /// for the exchange's next minute, not ours.
  @Test func binanceWeightMinuteIsTheExchanges() throws {
    let (mock, candles) = try skewedExchange(hours: 2)
    defer { mock.stop() }
    // Half-way through the exchange's minute, so the expected wait is near 30 s.
    let local = Int64(Date().timeIntervalSince1970 * 1000)
    mock.clock = .skewed(by: 2 * Self.hour + 30_000 - local % 60_000)
    mock.faults = [2: .weightUsed(1_150)]
    let rig = try FeedRig(mock: mock, exchange: "binance")
    let serverNow = mock.serverTime
    _ = try rig.fetch(from: candles[0].time, tf)
    let expected = Double(60_000 - serverNow % 60_000) / 1000
    let waits = rig.sleeps.filter { $0 > 0.05 }
    #expect(waits.count == 1 && abs(waits[0] - expected) < 1.5, "\(waits) vs \(expected)")
  }

  /// Funding stops at the exchange's now too, and never asks past it.
  @Test(arguments: ["bybit", "binance"], [3, -3])
  func fundingStopsAtTheExchangesNow(exchange: String, hours: Int64) throws {
    let (mock, _) = try skewedExchange(hours: hours)
    defer { mock.stop() }
    let serverNow = mock.serverTime
    let rates = (-300..<10).map {
      FundingRate(time: (serverNow / (8 * Self.hour) + Int64($0)) * 8 * Self.hour, rate: 0.0001)
    }
    mock.funding = rates
    mock.pageCap = 70
    let rig = try FeedRig(mock: mock, exchange: exchange)
    let before = mock.serverTime
    _ = try rig.fetcher.fetchFunding(symbol: "BTCUSDT", from: rates[0].time, to: nil)
    let after = mock.serverTime
    let stored = try rig.store.fundingRates(
      exchange: rig.fetcher.api.storageName, symbol: "BTCUSDT")
    #expect(
      stored == rates.filter { $0.time <= before } || stored == rates.filter { $0.time <= after })
    #expect(stored.count >= 300)
    for request in mock.received where request.path.contains("unding") {
      #expect(request.end! <= request.serverTime, "\(request.target)")
    }
  }
}

/// The server stamps its time somewhere inside the round trip: a slow answer widens the
/// uncertainty, and the closed-candle cut stays on the safe side of it.
@Suite(.serialized) struct ServerClockLatencyTests {
  @Test func aSlowTimeAnswerKeepsTheCutConservative() throws {
    let mock = try MockExchange(candles: [], timeframe: .oneMinute)
    defer { mock.stop() }
    mock.clock = .skewed(by: -7_200_000)
    mock.faults = [1: .slow(0.4)]  // stamped on arrival, answered 0.4 s later
    let requester = ExchangeRequester(
      transport: try CurlHTTPClient(), limiter: RateLimiter(rate: 100))
    let clock = try ServerClock.measure(api: BybitAPI(baseURL: mock.baseURL), requester: requester)
    #expect(clock.roundTripMilliseconds >= 400)
    // The earliest reading is never ahead of the exchange's real clock, and the estimate is
    // within half the round trip of it.
    let (earliest, estimate) = (clock.earliestNow(), clock.now())
    let truth = mock.serverTime
    #expect(earliest <= truth)
    #expect(abs(estimate - truth) <= clock.roundTripMilliseconds / 2 + 50)
  }
}
