import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --live --exchange binance` with a strategy that enters with a resting limit order,
/// against the loopback Binance's resting book: what the exchange ends up holding (orders by
/// client id, the position, its stop) and what the ledger books.
@Suite(.serialized) struct BinanceLimitRunCommandTests {
  typealias World = BinanceLiveRunCommandTests.World

  /// A long limit `gap` below the close of the first candle after the warm-up, stop `5` below
  /// the limit; `post_only`, `expire` and a `ctx:cancel` `cancelAfter` candles after it was
  /// placed, when given.
  static func limitScript(
    gap: Double = 1, postOnly: Bool = false, expire: Int? = nil, cancelAfter: Int? = nil,
    from: Int64 = 0
  ) -> String {
    """
    return {
      name = "dip", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
      on_candle = function(ctx, c)
        ctx.state.n = (ctx.state.n or 0) + 1
        local resting = ctx:orders(c.symbol)[1]
        if resting then
          ctx.state.seen = resting.price
          if ctx.state.n - ctx.state.placed == \(cancelAfter ?? -1) then
            ctx:cancel{ symbol = c.symbol }
          end
          return
        end
        if ctx.state.placed or ctx:position(c.symbol) or c.t < \(from) then return end
        local limit = c.close - \(gap)
        local ok = ctx:enter{ symbol = c.symbol, side = "long", limit = limit, stop = limit - 5,
                              post_only = \(postOnly), expire = \(expire.map(String.init) ?? "nil") }
        if ok then ctx.state.placed = ctx.state.n end
      end,
    }
    """
  }

  static func world(_ script: String) throws -> World {
    let w = try World()
    w.script = "limit.lua"
    try script.write(
      to: w.dir.appendingPathComponent("limit.lua"), atomically: true, encoding: .utf8)
    return w
  }

  /// Reshapes the next candle to trade down to `low` (its open and close above it).
  static func nextTrades(_ w: World, low: Double) {
    let c = w.candles[w.pushed]
    let top = max(c.open, c.close, low + 2)
    w.candles[w.pushed] = Candle(
      time: c.time, open: top, high: top + 0.5, low: low, close: top - 0.2, volume: c.volume)
  }

  /// Reshapes the next candle to stay above `floor` (no trade reaches a buy at `floor`).
  static func nextStaysAbove(_ w: World, _ floor: Double) {
    let c = w.candles[w.pushed]
    w.candles[w.pushed] = Candle(
      time: c.time, open: floor + 1, high: floor + 1.5, low: floor + 0.5, close: floor + 1,
      volume: c.volume)
  }

  /// Launches the run and pushes candles until the limit order rests on the exchange.
  static func placeResting(_ w: World, extra: [String] = []) throws -> (
    Process, MockBinanceTrading.Order
  ) {
    let (p, first) = try w.launch(extra)
    #expect(first == "run: 1", "\(w.errors)")
    for _ in 0..<6 where w.binance.restingOrders.isEmpty {
      #expect(w.pushNext(), "\(w.errors)")
      _ = w.wait(2) { !w.binance.restingOrders.isEmpty }
    }
    let order = try #require(
      w.binance.restingOrders.first,
      "no order rests: \(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    return (p, order)
  }

  func stop(_ p: Process) {
    if p.isRunning {
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
    }
  }

  @Test func aLimitThatIsOnlyTouchedRestsThenFillsWhenTradedThroughUnderItsStop() throws {
    let w = try Self.world(Self.limitScript())
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, order) = try Self.placeResting(w)
    defer { stop(p) }
    #expect(order.type == "LIMIT" && order.timeInForce == "GTC" && order.side == "BUY")
    #expect(order.clientOrderId.hasPrefix("w1-") && order.clientOrderId.hasSuffix("-e"))
    // Touched (the low equals the limit): not a fill.
    Self.nextTrades(w, low: order.price)
    #expect(w.pushNext(), "\(w.errors)")
    #expect(w.binance.restingOrders.count == 1 && w.position == 0)
    // Traded through: filled at the limit as a maker, the stop on at once.
    Self.nextTrades(w, low: order.price - 0.5)
    #expect(w.pushNext(), "\(w.errors)")
    #expect(w.wait(10) { w.position > 0 && w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    let stopPrice = try #require(w.binance.stopTrigger("BTCUSDT"))
    #expect(abs(stopPrice - (order.price - 5)) < 0.011)
    #expect(w.binance.restingOrders.isEmpty)
    // The ledger books it once at the next candle: the exchange's price and maker fee.
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      w.wait(5) {
        (try? w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1 AND active = 1")) == 1
      }, "\(w.errors)")
    let fill = try ledgerReader(w.db).read { db in
      try Row.fetchOne(
        db,
        sql: """
          SELECT f.price AS price, f.qty AS qty, f.fee AS fee, o.type AS type FROM fills f
          JOIN orders o ON o.id = f.order_id WHERE o.client_order_id = ?
          """, arguments: [order.clientOrderId])
    }
    let row = try #require(fill)
    let price: Double = row["price"]
    let qty: Double = row["qty"]
    let fee: Double = row["fee"]
    #expect(abs(price - order.price) < 1e-9 && abs(qty - order.qty) < 1e-9)
    #expect(abs(fee - qty * price * 0.0002) < 1e-9, "maker fee")
    #expect((row["type"] as String) == "limit")
    #expect(w.binance.orderRequestIDs.filter { $0 == order.clientOrderId }.count == 1)
    stop(p)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func aPostOnlyTheExchangeWouldMatchAsTakerIsRefusedWithTheCode() throws {
    let w = try Self.world(Self.limitScript(gap: 0.5, postOnly: true))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // The book has moved below the strategy's limit by the time the order arrives: -5022.
    w.binance.pinMarkPrice("BTCUSDT", 1)
    let (p, first) = try w.launch()
    defer { stop(p) }
    #expect(first == "run: 1", "\(w.errors)")
    var refused = false
    for _ in 0..<6 where !refused {
      #expect(w.pushNext(), "\(w.errors)")
      refused = w.wait(2) {
        (try? w.int(
          "SELECT COUNT(*) FROM decisions WHERE kind = 'refusal' AND detail_json LIKE '%post_only_would_cross%'"
        )) == 1
      }
    }
    #expect(refused, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(w.binance.orders.isEmpty, "a rejected GTX is not recorded")
    #expect(w.binance.orderRequestIDs.count == 1)
    #expect(
      try w.int("SELECT COUNT(*) FROM orders WHERE status = 'rejected' AND type = 'post_only'")
        == 1, "\(w.dump("SELECT client_order_id || ' ' || type || ' ' || status FROM orders"))")
    stop(p)
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func expiryCancelsOnTheExchangeThroughA503() throws {
    let w = try Self.world(Self.limitScript(gap: 3, expire: 2))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, order) = try Self.placeResting(w)
    defer { stop(p) }
    // The cancel is processed and answered 503: resolved by looking the order up.
    w.binance.cancelFaults = [.processThen503]
    for _ in 0..<2 {
      Self.nextStaysAbove(w, order.price)
      #expect(w.pushNext(), "\(w.errors)")
    }
    #expect(w.wait(5) { w.binance.restingOrders.isEmpty }, "\(w.errors)")
    #expect(w.binance.orders.first?.status == "CANCELED")
    #expect(
      w.wait(5) { (try? w.int("SELECT COUNT(*) FROM decisions WHERE kind = 'expired'")) == 1 },
      "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(try w.int("SELECT COUNT(*) FROM orders WHERE status = 'expired'") == 1)
    #expect(w.position == 0)
    stop(p)
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func ctxCancelCancelsOnTheExchangeEvenWhenItsAnswerIsLost() throws {
    let w = try Self.world(Self.limitScript(gap: 3, cancelAfter: 3))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, order) = try Self.placeResting(w)
    defer { stop(p) }
    w.binance.cancelFaults = [.processThenReset]
    for _ in 0..<4 where w.binance.restingOrders.count == 1 {
      Self.nextStaysAbove(w, order.price)
      #expect(w.pushNext(), "\(w.errors)")
    }
    #expect(w.wait(5) { w.binance.restingOrders.isEmpty }, "\(w.errors)")
    #expect(w.binance.orders.first?.status == "CANCELED")
    #expect(
      w.wait(5) { (try? w.int("SELECT COUNT(*) FROM decisions WHERE kind = 'cancel'")) == 1 },
      "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(try w.int("SELECT COUNT(*) FROM orders WHERE status = 'cancelled'") == 1)
    stop(p)
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func aPartialFillIsProtectedAtOnceAndBookedWhenTheRestIsCancelled() throws {
    let w = try Self.world(Self.limitScript(gap: 1, cancelAfter: 3))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, order) = try Self.placeResting(w)
    defer { stop(p) }
    // One trade through the price, between candles, fills half of it.
    w.binance.partialFillNext("BTCUSDT", fraction: 0.5)
    w.binance.trade("BTCUSDT", low: order.price - 0.5, high: order.price + 1)
    // Half filled: the position is under its stop before the order ends.
    #expect(
      w.wait(10) { w.position > 0 && w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    let part = w.position
    #expect(part < order.qty && w.binance.restingOrders.count == 1)
    // The script cancels the rest: the filled part is booked, with its stop.
    for _ in 0..<4 where !w.binance.restingOrders.isEmpty {
      Self.nextStaysAbove(w, order.price)
      #expect(w.pushNext(), "\(w.errors)")
    }
    #expect(w.binance.restingOrders.isEmpty && w.binance.orders.first?.status == "CANCELED")
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      w.wait(5) {
        (try? ledgerReader(w.db).read {
          try Double.fetchOne($0, sql: "SELECT qty FROM positions WHERE run_id = 1 AND active = 1")
        }) == part
      }, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(w.position == part && w.binance.stopTrigger("BTCUSDT") != nil)
    stop(p)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func killDashNineWhileRestingThenAFillDuringTheDowntimeIsBookedOnceWithItsStop() throws {
    let w = try Self.world(Self.limitScript(gap: 1))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, order) = try Self.placeResting(w)
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    // Restarted while it rests: tracked again, never sent twice.
    var first = ""
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    Self.nextStaysAbove(w, order.price)
    #expect(w.pushNext(), "\(w.errors)")
    #expect(w.binance.restingOrders.count == 1)
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    // It fills while no runner is there: no stop on the exchange yet.
    w.binance.trade("BTCUSDT", low: order.price - 0.5, high: order.price + 1)
    #expect(w.position > 0 && w.binance.stopTrigger("BTCUSDT") == nil)
    (p, first) = try w.launch(["--stop-after", "2"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // The restart protects it before any candle, and books it once.
    #expect(w.wait(10) { w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    for _ in 0..<2 {
      Self.nextStaysAbove(w, order.price)
      #expect(w.pushNext(), "\(w.errors)")
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    #expect(w.binance.orderRequestIDs.filter { $0 == order.clientOrderId }.count == 1)
    #expect(w.binance.orders.count == 1, "no second order")
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1") == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.client_order_id = '\(order.clientOrderId)'"
      ) == 1)
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind = 'unknown_position'") == 0)
    try w.expectNothingDoubled(runs: [1])
    // Resumed again: the booked fill comes from the ledger, nothing new happens.
    (p, first) = try w.launch(["--stop-after", "1"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    p.waitUntilExit()
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1") == 1)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func aFillThatBeatsCtxCancelIsBookedOnceAndAnOrphanOfTheRunIsCancelledNotAdopted() throws {
    let w = try Self.world(Self.limitScript(gap: 3, cancelAfter: 2))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, order) = try Self.placeResting(w)
    defer { stop(p) }
    // An order under the run's prefix that no entry of the run rests under.
    let orphan = "w1-1704060000-BTCUSDT-e"
    w.binance.plantLimit("BTCUSDT", side: "BUY", qty: 0.1, price: 50, clientOrderId: orphan)
    // The cancel arrives a moment after the order filled: the fill wins.
    w.binance.fillOnCancel(order.clientOrderId)
    for _ in 0..<4 where w.position == 0 {
      Self.nextStaysAbove(w, order.price)
      #expect(w.pushNext(), "\(w.errors)")
    }
    #expect(w.wait(10) { w.position > 0 && w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      w.wait(5) {
        (try? w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1 AND active = 1")) == 1
      }, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(try w.int("SELECT COUNT(*) FROM decisions WHERE kind = 'cancel'") == 0)
    #expect(w.binance.orders.first { $0.clientOrderId == orphan }?.status == "CANCELED")
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind = 'orphan_order'") == 1)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1") == 1)
    stop(p)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func aCleanStopWithdrawsTheRestingOrderAndTheNextStartSaysSo() throws {
    let w = try Self.world(Self.limitScript(gap: 3))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, order) = try Self.placeResting(w, extra: ["--stop-after", "2"])
    defer { stop(p) }
    while p.isRunning && w.pushed < 40 {
      Self.nextStaysAbove(w, order.price)
      _ = w.pushNext()
      _ = w.wait(1) { !p.isRunning }
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    // Nothing rests with no runner watching: a fill then would have no stop.
    #expect(w.binance.restingOrders.isEmpty && w.binance.orders.first?.status == "CANCELED")
    #expect(w.errors.contains("order \(order.clientOrderId): cancelled"), "\(w.errors)")
    var first = ""
    (p, first) = try w.launch(["--stop-after", "1"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    Self.nextStaysAbove(w, order.price)
    #expect(w.pushNext(), "\(w.errors)")
    p.waitUntilExit()
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE kind = 'refusal' AND detail_json LIKE '%exchange_refused%'"
      ) == 1, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(w.binance.orders.count == 1 && w.position == 0)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  /// Killed while the placement is on its way: never processed (sent again on restart, its
  /// candle still current, under the same id) or processed with the answer lost (found by its id
  /// on restart, never sent twice). Either way one order rests.
  @Test(arguments: [MockBinanceTrading.Fault.swallow(30), .processThenHang(30)])
  func killedDuringThePlacementTheRestartResolvesItByItsId(_ fault: MockBinanceTrading.Fault)
    throws
  {
    var w = try World()
    let decided = w.candles[21].time
    w = try Self.world(Self.limitScript(gap: 3, from: decided))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    defer { stop(p) }
    #expect(first == "run: 1", "\(w.errors)")
    w.binance.orderFaults = [fault]
    #expect(w.pushNext(), "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      w.wait(5) { w.binance.orderRequestIDs.count == 1 },
      "\(w.dump("SELECT kind || ' ' || candle_time || ' ' || detail_json FROM decisions"))\n\(w.errors)"
    )
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let id = try #require(w.binance.orderRequestIDs.first)
    #expect(id.hasSuffix("-e") && id.contains("-\(decided / 1000)-"))
    w.binance.orderFaults = []
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.wait(10) { w.binance.restingOrders.count == 1 }, "\(w.errors)")
    #expect(w.binance.orders.map(\.clientOrderId) == [id])
    let sent = w.binance.orderRequestIDs.filter { $0 == id }.count
    if case .swallow = fault {
      #expect(sent == 2, "never processed: sent again on restart")
    } else {
      #expect(sent == 1, "processed: found by its id, never sent twice")
    }
    stop(p)
    try w.expectNothingDoubled(runs: [1])
  }

  /// The same script on Bybit (`wick run --live`, the default exchange): the shared resting path
  /// over Bybit's gateway, `Limit` `GTC` under the entry's orderLinkId.
  @Test func onBybitTheLimitRestsThenFillsWhenTradedThroughUnderItsStop() throws {
    let w = try LiveRunCommandTests.World(script: ("limit.lua", Self.limitScript(gap: 1)))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    defer { stop(p) }
    #expect(first == "run: 1", "\(w.errors)")
    let working = { w.bybit.orders.filter { $0.orderType == "Limit" && $0.status == "New" } }
    for _ in 0..<6 where working().isEmpty {
      #expect(w.pushNext(), "\(w.errors)")
      _ = w.wait(2) { !working().isEmpty }
    }
    let order = try #require(working().first, "no order rests: \(w.errors)")
    let limit = try #require(order.price)
    #expect(order.timeInForce == "GTC" && order.orderLinkId.hasSuffix("-e"))
    // Traded through between candles: filled at the limit, the position's stop on at once.
    w.bybit.setMarkPrice("BTCUSDT", limit - 0.5)
    #expect(
      w.wait(10) { w.bybit.position("BTCUSDT")?.stopLoss != nil }, "\(w.errors)")
    let stopPrice = try #require(w.bybit.position("BTCUSDT")?.stopLoss)
    #expect(abs(stopPrice - (limit - 5)) < 0.011)
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      w.wait(5) {
        (try? w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1 AND active = 1")) == 1
      }, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    #expect(
      try w.int("SELECT COUNT(*) FROM orders WHERE type = 'limit' AND status = 'filled'") == 1)
    // Killed and resumed: nothing sent twice, the position still the ledger's.
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    (p, first) = try w.launch(["--stop-after", "1"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    p.waitUntilExit()
    #expect(w.bybit.orders.filter { $0.orderLinkId == order.orderLinkId }.count == 1)
    try w.expectNothingDoubled(runs: [1])
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }
}
