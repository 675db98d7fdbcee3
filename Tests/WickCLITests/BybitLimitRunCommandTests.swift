import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --live` on Bybit with a strategy that enters with a resting limit order (the same
/// script as Binance's), through the shared resting path and `BybitGateway`: the order rests as
/// a Bybit `Limit` `GTC` under its written-ahead id, a touch does not fill it, a trade through
/// fills it as a maker with the stop on the position at once, the ledger books it once, and the
/// session replays identically.
@Suite(.serialized) struct BybitLimitRunCommandTests {
  @Test func aRestingLimitOnBybitFillsWhenTradedThroughUnderItsStopAndReplays() throws {
    let w = try LiveRunCommandTests.World(
      script: ("limit.lua", BinanceLimitRunCommandTests.limitScript()))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, first) = try w.launch(["--stop-after", "6"])
    #expect(first == "run: 1", "\(w.errors)")
    let resting = {
      w.bybit.orders.filter { $0.orderType == "Limit" && $0.status == "New" }
    }
    var pushes = 0
    while resting().isEmpty, pushes < 4 {
      #expect(w.pushNext(), "\(w.errors)")
      pushes += 1
      _ = w.wait(2) { !resting().isEmpty }
    }
    let order = try #require(
      resting().first,
      "no order rests: \(w.dump("SELECT kind || ' ' || detail_json FROM decisions"))\n\(w.errors)")
    let limit = try #require(order.price)
    #expect(order.timeInForce == "GTC" && order.side == "Buy" && !order.reduceOnly)
    #expect(order.orderLinkId.hasPrefix("w1-") && order.orderLinkId.hasSuffix("-e"))
    // Touched (the mark at the limit): not a fill.
    w.bybit.setMarkPrice("BTCUSDT", limit)
    #expect(w.bybit.position("BTCUSDT") == nil)
    // Traded through: filled at the limit as a maker, and the stop on the position at once.
    w.bybit.setMarkPrice("BTCUSDT", limit - 0.5)
    #expect(
      w.wait(10) { w.bybit.position("BTCUSDT")?.stopLoss != nil }, "\(w.errors)")
    let stop = try #require(w.bybit.position("BTCUSDT")?.stopLoss)
    #expect(abs(stop - (limit - 5)) < 0.051)
    // The ledger books it once at a candle: the exchange's price and maker fee.
    while pushes < 6 {
      #expect(w.pushNext(), "\(w.errors)")
      pushes += 1
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    let row = try #require(
      try ledgerReader(w.db).read { db in
        try Row.fetchOne(
          db,
          sql: """
            SELECT f.price AS price, f.qty AS qty, f.fee AS fee, o.type AS type FROM fills f
            JOIN orders o ON o.id = f.order_id WHERE o.client_order_id = ?
            """, arguments: [order.orderLinkId])
      }, "\(w.dump("SELECT client_order_id || ' ' || status FROM orders"))\n\(w.errors)")
    let price: Double = row["price"]
    let qty: Double = row["qty"]
    let fee: Double = row["fee"]
    #expect(abs(price - limit) < 1e-9 && abs(qty - order.qty) < 1e-9)
    #expect(abs(fee - qty * price * 0.0002) < 1e-9, "maker fee")
    #expect((row["type"] as String) == "limit")
    #expect(w.bybit.orderCreateLinkIDs.filter { $0 == order.orderLinkId }.count == 1)
    w.checkExchange("at the end")
    try w.checkLedger()
  }
}
