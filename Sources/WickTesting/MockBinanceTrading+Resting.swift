import Foundation
import WickCore

/// The mock's resting book, from the USDⓈ-M documentation (New Order, Cancel Order, Current All
/// Open Orders, the ORDER_TRADE_UPDATE event):
///
/// - `POST /fapi/v1/order` `type=LIMIT` with `price` and `timeInForce` `GTC` or `GTX`. A GTC
///   order that is marketable (a buy at or above the mark, a sell at or below it) trades at once
///   as a taker; a GTX one is refused with -5022 ("Due to the order could not be executed as
///   maker, the Post Only order will be rejected. The order will not be recorded in the order
///   history"). Otherwise it rests, `NEW`.
/// - Trades (each pushed kline's range, or `trade`) fill a resting buy only when they go
///   *through* its price (below it; a touch is not a fill), at its price, as a maker
///   (`"m": true`, the maker fee). `partialFillNext` makes the next match fill only a fraction:
///   `PARTIALLY_FILLED`, the rest keeps resting.
/// - `DELETE /fapi/v1/order?origClientOrderId`: `CANCELED` (a partly filled order keeps its
///   `executedQty`); -2011 "Unknown order sent." for an id with no working order.
/// - Events go out on the user stream before the REST answer is written, so a fill can reach the
///   client before the acknowledgement of the order that made it.
///
/// Hostile on request: `cancelFaults` (the cancel processed and its answer lost, or a 503 after
/// processing, or refused before it), `fillOnCancel` (the order fills just before the cancel
/// arrives: the cancel answers -2011).
extension MockBinanceTrading {
  struct RestingControls {
    var partial: [String: Double] = [:]
    var fillOnCancel: Set<String> = []
  }

  var makerFee: Double { 0.0002 }

  /// Faults for the next cancels, one per request.
  public var cancelFaults: [Fault] {
    get { lock.withLock { market.cancelFaults } }
    set { lock.withLock { market.cancelFaults = newValue } }
  }

  /// The next match of a resting order on `symbol` fills only `fraction` of what is left.
  public func partialFillNext(_ symbol: String, fraction: Double) {
    lock.withLock { market.resting.partial[symbol] = fraction }
  }

  /// The resting order with this client id fills (at its price) just before its cancel arrives.
  public func fillOnCancel(_ clientOrderId: String) {
    _ = lock.withLock { market.resting.fillOnCancel.insert(clientOrderId) }
  }

  /// Rests a GTC limit order as if placed from elsewhere (the web UI, another program, or a run
  /// that lost track of it).
  public func plantLimit(
    _ symbol: String, side: String, qty: Double, price: Double, clientOrderId: String
  ) {
    _ = placeLimit([
      "symbol": symbol, "side": side, "quantity": "\(qty)", "price": "\(price)",
      "timeInForce": "GTC", "newClientOrderId": clientOrderId,
    ])
    flush()
  }

  /// Working limit orders (NEW or PARTIALLY_FILLED).
  public var restingOrders: [Order] { lock.withLock { _orders.filter(\.isWorking) } }

  /// Trades on `symbol` between `low` and `high`: every resting order they go through fills.
  public func trade(_ symbol: String, low: Double, high: Double) {
    lock.withLock {
      for i in _orders.indices where _orders[i].symbol == symbol && _orders[i].isWorking {
        let o = _orders[i]
        let through = o.side == "BUY" ? low < o.price : high > o.price
        if through { fillResting(i) }
      }
    }
    flush()
  }

  /// Fills the order at `i` at its price as a maker, wholly or by the pending partial fraction
  /// (under the lock).
  private func fillResting(_ i: Int) {
    let o = _orders[i]
    let left = o.qty - o.executedQty
    var qty = left
    if let fraction = market.resting.partial.removeValue(forKey: o.symbol) {
      let step = _instruments[o.symbol]?.stepSize ?? 0.001
      qty = max(step, ((left * fraction) / step).rounded(.down) * step)
    }
    let filled = o.executedQty + qty
    _orders[i].avgPrice = o.price
    _orders[i].executedQty = filled
    _orders[i].status = filled >= o.qty - 1e-12 ? "FILLED" : "PARTIALLY_FILLED"
    _orders[i].updateTime = now()
    ids += 1
    let fee = qty * o.price * makerFee
    _trades.append(
      Trade(
        id: ids, orderId: o.orderId, symbol: o.symbol, side: o.side, price: o.price, qty: qty,
        commission: fee, time: now(), maker: true))
    emitOrder(_orders[i], execution: "TRADE", last: qty, fee: fee, trade: ids, maker: true)
    position(symbol: o.symbol, side: o.side, filled: qty, price: o.price, fee: fee)
  }

  /// `ORDER_TRADE_UPDATE` for a limit order (under the lock).
  private func emitOrder(
    _ o: Order, execution: String, last: Double = 0, fee: Double = 0, trade: Int64 = 0,
    maker: Bool = false
  ) {
    let t = now()
    _outbox.append(
      "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":\(t),\"T\":\(t),\"o\":{\"s\":\"\(o.symbol)\",\"c\":\"\(o.clientOrderId)\",\"S\":\"\(o.side)\",\"o\":\"LIMIT\",\"f\":\"\(o.timeInForce)\",\"q\":\"\(o.qty)\",\"p\":\"\(o.price)\",\"ap\":\"\(o.avgPrice)\",\"sp\":\"0\",\"x\":\"\(execution)\",\"X\":\"\(o.status)\",\"i\":\(o.orderId),\"l\":\"\(last)\",\"z\":\"\(o.executedQty)\",\"L\":\"\(last > 0 ? o.price : 0)\",\"N\":\"USDT\",\"n\":\"\(fee)\",\"T\":\(t),\"t\":\(trade),\"b\":\"0\",\"a\":\"0\",\"m\":\(maker),\"R\":false,\"wt\":\"CONTRACT_PRICE\",\"ot\":\"LIMIT\",\"ps\":\"BOTH\",\"cp\":false,\"rp\":\"0\",\"pP\":false,\"si\":0,\"ss\":0,\"V\":\"NONE\",\"pm\":\"NONE\",\"gtd\":0}}"
    )
  }

  func placeLimit(_ q: [String: String]) -> LoopbackReply {
    guard let symbol = q["symbol"], let side = q["side"], ["BUY", "SELL"].contains(side),
      let qty = q["quantity"].flatMap(Double.init), qty > 0,
      let price = q["price"].flatMap(Double.init), price > 0
    else {
      return error(-1102, "Mandatory parameter was not sent, was empty/null, or malformed.")
    }
    let tif = q["timeInForce"] ?? ""
    guard ["GTC", "GTX"].contains(tif) else {
      return error(-1115, "Invalid timeInForce.")
    }
    return lock.withLock {
      let id = q["newClientOrderId"] ?? "auto\(ids + 1)"
      if _orders.contains(where: { $0.clientOrderId == id }) {
        return error(-4116, "ClientOrderId is duplicated.")
      }
      guard let mark = mark(symbol), let rules = _instruments[symbol] else {
        return error(-1121, "Invalid symbol.")
      }
      if qty * price < rules.minNotional {
        return error(
          -4164,
          "Order's notional must be no smaller than \(rules.minNotional) (unless you choose reduce only)."
        )
      }
      let marketable = side == "BUY" ? price >= mark : price <= mark
      if marketable, tif == "GTX" {
        return error(
          -5022,
          "Due to the order could not be executed as maker, the Post Only order will be rejected. The order will not be recorded in the order history"
        )
      }
      ids += 1
      var o = Order(
        orderId: ids, clientOrderId: id, symbol: symbol, side: side, qty: qty, executedQty: 0,
        avgPrice: 0, status: "NEW", reduceOnly: false, updateTime: now())
      o.type = "LIMIT"
      o.price = price
      o.timeInForce = tif
      _orders.append(o)
      emitOrder(o, execution: "NEW")
      if marketable {
        // A marketable GTC order takes at the mark, as a taker.
        let i = _orders.count - 1
        ids += 1
        let fee = qty * mark * takerFee
        _orders[i].executedQty = qty
        _orders[i].avgPrice = mark
        _orders[i].status = "FILLED"
        _trades.append(
          Trade(
            id: ids, orderId: o.orderId, symbol: symbol, side: side, price: mark, qty: qty,
            commission: fee, time: now()))
        emitOrder(_orders[i], execution: "TRADE", last: qty, fee: fee, trade: ids)
        position(symbol: symbol, side: side, filled: qty, price: mark, fee: fee)
      }
      return reply(200, orderJSON(_orders.last!))
    }
  }

  func cancelOrder(_ q: [String: String]) -> LoopbackReply {
    lock.withLock {
      guard
        let i = _orders.firstIndex(where: {
          $0.clientOrderId == q["origClientOrderId"] || "\($0.orderId)" == q["orderId"]
        })
      else { return error(-2011, "Unknown order sent.") }
      if market.resting.fillOnCancel.remove(_orders[i].clientOrderId) != nil, _orders[i].isWorking {
        fillResting(i)
      }
      guard _orders[i].isWorking else { return error(-2011, "Unknown order sent.") }
      _orders[i].status = "CANCELED"
      _orders[i].updateTime = now()
      emitOrder(_orders[i], execution: "CANCELED")
      return reply(200, orderJSON(_orders[i]))
    }
  }
}
