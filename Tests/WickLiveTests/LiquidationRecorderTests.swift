import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// `wick data record --liquidations`: the streams' messages as Bybit and Binance document them,
/// per-minute aggregation, and coverage: a minute the recorder did not listen to through is a
/// gap (nil to a strategy), never a zero.
@Suite(.serialized) struct LiquidationRecorderTests {
  static let t0: Int64 = 1_704_067_200_000  // 00:00 UTC

  static func bybitMessage(_ rows: [(time: Int64, side: String, qty: String, price: String)])
    -> String
  {
    let data = rows.map {
      "{\"T\":\($0.time),\"s\":\"BTCUSDT\",\"S\":\"\($0.side)\",\"v\":\"\($0.qty)\",\"p\":\"\($0.price)\"}"
    }
    return
      "{\"topic\":\"allLiquidation.BTCUSDT\",\"type\":\"snapshot\",\"ts\":\(rows.first?.time ?? 0),\"data\":[\(data.joined(separator: ","))]}"
  }

  static func binanceMessage(time: Int64, side: String, qty: String, price: String) -> String {
    "{\"stream\":\"btcusdt@forceOrder\",\"data\":{\"e\":\"forceOrder\",\"E\":\(time + 1),\"o\":{\"s\":\"BTCUSDT\",\"S\":\"\(side)\",\"o\":\"LIMIT\",\"f\":\"IOC\",\"q\":\"\(qty)\",\"p\":\"\(price)\",\"ap\":\"\(price)\",\"X\":\"FILLED\",\"l\":\"\(qty)\",\"z\":\"\(qty)\",\"T\":\(time)}}}"
  }

  @Test func bybitBuyIsALongLiquidatedAndBinanceSellIsToo() {
    let bybit = BybitLiquidations().parse(
      Self.bybitMessage([(Self.t0, "Buy", "0.5", "40000"), (Self.t0 + 1, "Sell", "2", "100")]))
    #expect(
      bybit.events == [
        LiquidationEvent(symbol: "BTCUSDT", time: Self.t0, long: true, notional: 20_000),
        LiquidationEvent(symbol: "BTCUSDT", time: Self.t0 + 1, long: false, notional: 200),
      ])
    let binance = BinanceLiquidations().parse(
      Self.binanceMessage(time: Self.t0, side: "SELL", qty: "0.014", price: "9910"))
    #expect(binance.events.count == 1 && binance.events[0].long)
    #expect(abs(binance.events[0].notional - 0.014 * 9910) < 1e-9)
    // Hostile: wrong types, unknown sides, non-numeric sizes are counted, not recorded.
    let bad = BybitLiquidations().parse(
      "{\"topic\":\"allLiquidation.BTCUSDT\",\"data\":[{\"T\":1,\"s\":\"BTCUSDT\",\"S\":\"Up\",\"v\":\"1\",\"p\":\"1\"},{\"T\":1,\"s\":\"BTCUSDT\",\"S\":\"Buy\",\"v\":{},\"p\":\"1\"}]}"
    )
    #expect(bad.events.isEmpty && bad.malformed == 2)
    #expect(
      BinanceLiquidations().parse("{\"e\":\"forceOrder\",\"o\":{\"S\":\"SELL\"}}").malformed == 1)
    #expect(BybitLiquidations().parse("{\"op\":\"pong\",\"success\":true}").events.isEmpty)
    #expect(BybitLiquidations().parse("not json").malformed == 0)
    #expect(
      BinanceLiquidations().url(base: "wss://x/", symbols: ["BTCUSDT", "ETHUSDT"])
        == "wss://x/stream?streams=btcusdt@forceOrder/ethusdt@forceOrder")
  }

  /// Coverage begins at the first whole minute after connecting, ends at the last minute closed
  /// (with its grace) before a disconnect, and resumes at the first whole minute after a reconnect.
  @Test func aReconnectGapIsAGapNotAZero() throws {
    let m = { (minutes: Int64, seconds: Int64) in Self.t0 + minutes * 60_000 + seconds * 1_000 }
    var agg = LiquidationAggregator(symbols: ["BTCUSDT"])
    agg.connected(now: m(0, 30))
    agg.add([
      LiquidationEvent(symbol: "BTCUSDT", time: m(0, 40), long: true, notional: 99),  // before coverage
      LiquidationEvent(symbol: "BTCUSDT", time: m(1, 10), long: true, notional: 100),
      LiquidationEvent(symbol: "BTCUSDT", time: m(1, 50), long: false, notional: 5),
      LiquidationEvent(symbol: "ETHUSDT", time: m(1, 50), long: false, notional: 7),  // not ours
    ])
    #expect(agg.flush(now: m(2, 1)).isEmpty)  // minute 1 is still within its grace
    var spans = agg.flush(now: m(2, 5))
    #expect(
      spans == [
        .init(
          symbol: "BTCUSDT", from: m(1, 0), to: m(2, 0),
          buckets: [LiquidationBucket(time: m(1, 0), count: 2, longNotional: 100, shortNotional: 5)]
        )
      ])
    agg.add([LiquidationEvent(symbol: "BTCUSDT", time: m(2, 20), long: true, notional: 1)])
    spans += agg.disconnected(now: m(2, 40))  // minute 2 never completed: dropped
    #expect(spans.count == 1)
    agg.add([LiquidationEvent(symbol: "BTCUSDT", time: m(3, 0), long: true, notional: 1)])
    agg.connected(now: m(4, 20))
    spans += agg.flush(now: m(7, 5))
    #expect(spans.last == .init(symbol: "BTCUSDT", from: m(5, 0), to: m(7, 0), buckets: []))
    #expect(agg.ignored == 3)

    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-liq-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try CandleStore(path: dir.appendingPathComponent("c.sqlite").path)
    for s in spans {
      try store.recordLiquidations(
        s.buckets, exchange: "bybit", symbol: s.symbol, from: s.from, to: s.to)
    }
    #expect(
      try store.liquidationCoverage(exchange: "bybit", symbol: "BTCUSDT") == [
        m(1, 0)..<m(2, 0), m(5, 0)..<m(7, 0),
      ])
    let key = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    let extras = try #require(try store.candleExtras(series: [key]))
    let at = { (minute: Int64) in
      extras.values(symbol: 0, open: m(minute, 0), close: m(minute + 1, 0))
    }
    #expect(at(1).liquidationsLong == 100 && at(1).liquidationsShort == 5)
    #expect(
      at(2).liquidationsLong.isNaN && at(3).liquidationsLong.isNaN && at(4).liquidationsShort.isNaN)
    #expect(at(5).liquidationsLong == 0 && at(6).liquidationsShort == 0)
    // A 5m candle over minutes 5..9 was only partly recorded: unknown.
    #expect(extras.values(symbol: 0, open: m(5, 0), close: m(10, 0)).liquidationsLong.isNaN)
    let listed = try store.extraSeriesList()
    #expect(listed.count == 1 && listed[0].kind == "liquidations")
    #expect(listed[0].count == 3 && listed[0].gapCount == 1 && listed[0].missing == 3)
    // A bucket outside the span it is written with is refused; nothing is written.
    #expect(throws: WickError.self) {
      try store.recordLiquidations(
        [LiquidationBucket(time: m(20, 0), count: 1)], exchange: "bybit", symbol: "BTCUSDT",
        from: m(10, 0), to: m(12, 0))
    }
    #expect(try store.liquidationCoverage(exchange: "bybit", symbol: "BTCUSDT").count == 2)
  }

  /// End to end against a loopback stream: subscribe, record, drop the socket, reconnect; the
  /// dropped minutes stay a gap and the stop writes what closed.
  @Test(arguments: ["bybit", "binance"])
  func theRecorderSurvivesADisconnectAndRecordsTheGap(exchange: String) async throws {
    let ws = try MockKlineStream()
    defer { ws.stop() }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-liq-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try CandleStore(path: dir.appendingPathComponent("c.sqlite").path)
    let clock = FakeClock(Self.t0 + 30_000)
    let events = EventLog()
    let dialect: LiquidationDialect =
      exchange == "bybit" ? BybitLiquidations() : BinanceLiquidations()
    let recorder = LiquidationRecorder(
      dialect: dialect, base: ws.baseURL, exchange: exchange, symbols: ["BTCUSDT"], store: store,
      now: { clock.now })
    // The exchange's clock jumps to 00:04:20 as the first disconnect is seen, before the
    // stream can reconnect (however slow the machine): minutes 2 to 4 are the gap.
    recorder.onState = { state in
      events.append(state)
      if state != .connected && events.disconnects == 1 { clock.now = Self.t0 + 260_000 }
    }
    let stop = FakeFlag()
    let done = Completion<LiquidationRecorder.Summary>()
    Thread { done.finish(Result { try recorder.run(tick: 0.02) { stop.isSet } }) }.start()
    func send(_ minute: Int64, _ second: Int64, long: Bool, qty: String, price: String) {
      let t = Self.t0 + minute * 60_000 + second * 1_000
      ws.send(
        text: exchange == "bybit"
          ? Self.bybitMessage([(t, long ? "Buy" : "Sell", qty, price)])
          : Self.binanceMessage(time: t, side: long ? "SELL" : "BUY", qty: qty, price: price))
    }
    #expect(await eventually { events.connects == 1 })
    if exchange == "bybit" {
      #expect(
        await eventually { ws.messages.contains { $0.contains("\"allLiquidation.BTCUSDT\"") } })
    }
    clock.now = Self.t0 + 70_000
    send(1, 10, long: true, qty: "2", price: "100")
    send(1, 20, long: false, qty: "1", price: "50")
    #expect(await eventually { recorder.received == 2 })
    clock.now = Self.t0 + 125_000  // minute 1 closed, grace passed
    #expect(
      await eventually {
        (try? store.liquidationCoverage(exchange: exchange, symbol: "BTCUSDT").count) == 1
      })
    ws.dropConnections()
    #expect(await eventually { events.disconnects == 1 })
    #expect(await eventually { events.connects == 2 })
    clock.now = Self.t0 + 5 * 60_000 + 5_000
    send(5, 30, long: true, qty: "1", price: "10")
    #expect(await eventually { recorder.received == 3 })
    clock.now = Self.t0 + 6 * 60_000 + 4_000
    try await Task.sleep(for: .milliseconds(200))
    stop.set()
    let summary = try await done.value()
    #expect(summary.disconnects >= 1 && summary.liquidations == 3)
    let coverage = try store.liquidationCoverage(exchange: exchange, symbol: "BTCUSDT")
    let minute = { (k: Int64) in Self.t0 + k * 60_000 }
    #expect(coverage == [minute(1)..<minute(2), minute(5)..<minute(6)])
    let buckets = try store.liquidationBuckets(exchange: exchange, symbol: "BTCUSDT")
    #expect(
      buckets == [
        LiquidationBucket(time: minute(1), count: 2, longNotional: 200, shortNotional: 50),
        LiquidationBucket(time: minute(5), count: 1, longNotional: 10, shortNotional: 0),
      ])
  }
}

private final class FakeClock: @unchecked Sendable {
  private let lock = NSLock()
  private var value: Int64
  init(_ t: Int64) { value = t }
  var now: Int64 {
    get { lock.withLock { value } }
    set { lock.withLock { value = newValue } }
  }
}

private final class FakeFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

private final class EventLog: @unchecked Sendable {
  private let lock = NSLock()
  private var states: [PublicStream.State] = []
  func append(_ s: PublicStream.State) { lock.withLock { states.append(s) } }
  var connects: Int { lock.withLock { states.filter { $0 == .connected }.count } }
  var disconnects: Int { lock.withLock { states.filter { $0 != .connected }.count } }
}

private final class Completion<T: Sendable>: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<T, Error>?
  func finish(_ r: Result<T, Error>) { lock.withLock { result = r } }
  func value() async throws -> T {
    while true {
      if let r = lock.withLock({ result }) { return try r.get() }
      try await Task.sleep(for: .milliseconds(20))
    }
  }
}
