import Foundation
import Testing
import WickCore
import WickData

@testable import WickBybit
@testable import WickLive

/// REST backfill served from memory: what the exchange "has", and what was asked.
final class FakeBackfill: CandleBackfill {
  var available: [String: [Candle]] = [:]
  var requests: [(String, Int64, Int64)] = []
  var clock: Int64
  /// REST behind the stream: the next this many requests find nothing.
  var lagging = 0
  /// Short answers: at most this many candles a request (the oldest).
  var pageCap: Int?
  /// The next this many requests fail.
  var failing = 0
  let sink: CandleSink
  let exchange: String
  init(clock: Int64, sink: CandleSink, exchange: String = "bybit") {
    self.clock = clock
    self.sink = sink
    self.exchange = exchange
  }
  func now() -> Int64 { clock }
  func candles(symbol: String, from: Int64, to: Int64) throws -> [Candle] {
    requests.append((symbol, from, to))
    if failing > 0 {
      failing -= 1
      throw WickError.exchange("GET /v5/market/kline: HTTP 503")
    }
    if lagging > 0 {
      lagging -= 1
      return []
    }
    let out = Array(
      (available[symbol] ?? []).filter { $0.time >= from && $0.time < to }.prefix(pageCap ?? .max))
    try sink.write(
      out, series: SeriesKey(exchange: exchange, symbol: symbol, timeframe: .oneMinute),
      replace: true)
    return out
  }
}

let minute: Int64 = 60_000
let base: Int64 = 1_704_067_200_000

func candle(_ i: Int, _ price: Double = 100) -> Candle {
  Candle(
    time: base + Int64(i) * minute, open: price, high: price + 1, low: price - 1,
    close: price + 0.5, volume: 1)
}

func update(_ symbol: String, _ i: Int, confirmed: Bool = true, price: Double = 100) -> StreamEvent
{
  .update(KlineUpdate(symbol: symbol, candle: candle(i, price), confirmed: confirmed))
}

@Suite struct ConfirmedCandlesTests {
  final class Fixture {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-live-\(UUID().uuidString)")
    let store: CandleStore
    init() throws {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      store = try CandleStore(path: dir.appendingPathComponent("w.sqlite").path)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }
    func stream(_ symbols: [String], last: Int, backfill: FakeBackfill) -> ConfirmedCandles {
      ConfirmedCandles(
        symbols: symbols, timeframe: .oneMinute, exchange: "bybit", store: store,
        backfill: backfill,
        lastDelivered: symbols.map { _ in base + Int64(last) * minute })
    }
    func cached(_ symbol: String) throws -> [Int64] {
      let cursor = try store.cursor(
        series: SeriesKey(exchange: "bybit", symbol: symbol, timeframe: .oneMinute))
      var times: [Int64] = []
      while let c = try cursor.next() { times.append(c.time) }
      return times
    }
  }

  @Test func onlyConfirmedCandlesReachTheStrategyExactlyOnceInOrder() throws {
    let f = try Fixture()
    let backfill = FakeBackfill(clock: base + 10 * minute, sink: f.store)
    let s = f.stream(["BTCUSDT"], last: 0, backfill: backfill)
    let slices = try s.handle([
      update("BTCUSDT", 1, confirmed: false, price: 90),
      update("BTCUSDT", 1, confirmed: false, price: 95),
      update("BTCUSDT", 1), update("BTCUSDT", 1), update("BTCUSDT", 2, confirmed: false),
      update("BTCUSDT", 2), update("BTCUSDT", 1),
    ])
    #expect(slices.map { $0.map(\.candle.time) } == [[base + minute], [base + 2 * minute]])
    #expect(slices[0][0].candle.open == 100)  // the confirmed version, not a forming one
    #expect(s.unconfirmedSeen == 3 && s.duplicatesDropped == 2)
    #expect(try f.cached("BTCUSDT") == [base + minute, base + 2 * minute])
    #expect(backfill.requests.isEmpty)
  }

  @Test func aGapIsBackfilledOverRESTBeforeAnythingNewer() throws {
    let f = try Fixture()
    let backfill = FakeBackfill(clock: base + 10 * minute, sink: f.store)
    backfill.available["BTCUSDT"] = [candle(2, 101), candle(3, 102)]
    let s = f.stream(["BTCUSDT"], last: 1, backfill: backfill)
    // Out of order: candle 4 arrives before 2 and 3 (or they were lost with a socket).
    let slices = try s.handle([update("BTCUSDT", 4), update("BTCUSDT", 3), update("BTCUSDT", 2)])
    #expect(slices.map { $0[0].candle.time } == [2, 3, 4].map { base + Int64($0) * minute })
    #expect(slices[0][0].candle.open == 101)
    #expect(backfill.requests.count == 1 && backfill.requests[0].1 == base + 2 * minute)
    #expect(s.duplicatesDropped == 2)
  }

  @Test func aReconnectCatchesUpToTheLastClosedCandle() throws {
    let f = try Fixture()
    let backfill = FakeBackfill(clock: base + 5 * minute + 30_000, sink: f.store)
    backfill.available["BTCUSDT"] = (2...6).map { candle($0) }
    let s = f.stream(["BTCUSDT"], last: 1, backfill: backfill)
    let slices = try s.handle([.disconnected("dropped"), .connected])
    // Closed by the exchange's clock: candles 2, 3, 4 (5 is still forming at 05:30).
    #expect(slices.map { $0[0].candle.time } == [2, 3, 4].map { base + Int64($0) * minute })
    #expect(s.reconnects == 1)
  }

  @Test func symbolsAreGroupedIntoCompleteSlices() throws {
    let f = try Fixture()
    let backfill = FakeBackfill(clock: base + 10 * minute, sink: f.store)
    let s = f.stream(["AAAUSDT", "BBBUSDT"], last: 0, backfill: backfill)
    #expect(try s.handle([update("AAAUSDT", 1), update("AAAUSDT", 2)]).isEmpty)
    let slices = try s.handle([update("BBBUSDT", 1)])
    #expect(slices.count == 1 && slices[0].map(\.symbol) == [0, 1])
    #expect(try s.handle([update("BBBUSDT", 2)]).first?.count == 2)
  }

  @Test func dialectsParseTheDocumentedMessages() {
    let bybit = BybitKlines().parse(
      #"{"topic":"kline.5.BTCUSDT","data":[{"start":1672324800000,"end":1672325099999,"interval":"5","open":"16649.5","close":"16677","high":"16677","low":"16608","volume":"2.081","turnover":"34666.4005","confirm":false,"timestamp":1672324988882}],"ts":1672324988882,"type":"snapshot"}"#
    )
    #expect(
      bybit == [
        KlineUpdate(
          symbol: "BTCUSDT",
          candle: Candle(
            time: 1_672_324_800_000, open: 16649.5, high: 16677, low: 16608, close: 16677,
            volume: 2.081), confirmed: false, interval: "5")
      ])
    #expect(BybitKlines().parse(#"{"success":true,"ret_msg":"pong","op":"ping"}"#).isEmpty)
    let binance = BinanceKlines().parse(
      #"{"stream":"btcusdt@kline_1m","data":{"e":"kline","E":1638747660000,"s":"BTCUSDT","k":{"t":1638747660000,"T":1638747719999,"s":"BTCUSDT","i":"1m","f":100,"L":200,"o":"0.0018","c":"0.0020","h":"0.0025","l":"0.0015","v":"1000","n":100,"x":true,"q":"1.0000","V":"500","Q":"0.500","B":"123456"}}}"#
    )
    #expect(binance.first?.confirmed == true && binance.first?.candle.low == 0.0015)
    #expect(binance.first?.interval == "1m")
    #expect(try! BybitKlines().interval(Timeframe(milliseconds: 3_600_000)) == "60")
    #expect(try! BinanceKlines().interval(Timeframe(milliseconds: 3_600_000)) == "1h")
    #expect(
      try! BybitKlines().url(base: "ws://127.0.0.1:9/", symbols: ["BTCUSDT"], timeframe: .oneMinute)
        == "ws://127.0.0.1:9/v5/public/linear")
    #expect(
      try! BybitKlines().subscriptions(symbols: ["BTCUSDT"], timeframe: .oneMinute) == [
        #"{"op":"subscribe","args":["kline.1.BTCUSDT"]}"#
      ])
  }
}
