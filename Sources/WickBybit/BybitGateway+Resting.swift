import Foundation
import WickCore
import WickLive

/// Bybit's resting orders for the shared live layer: `Limit` with `timeInForce` `GTC`, or
/// `PostOnly`, under the entry's `orderLinkId`. One request each: the executor does the
/// write-ahead, the lookups and the never-resend rules.
extension BybitGateway: LiveRestingGateway {
  /// Bybit accepts a PostOnly order that would cross, then cancels it with rejectReason
  /// `EC_PostOnlyWillTakeLiquidity`: the order is read back, and that cancel is the refusal.
  public func placeLimit(
    symbol: String, buy: Bool, qty: String, price: String, postOnly: Bool, clientOrderID: String
  ) throws -> GatewayOrder {
    var order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: buy ? .buy : .sell, qty: qty, orderLinkId: clientOrderID)
    order.price = price
    order.timeInForce = postOnly ? "PostOnly" : "GTC"
    do {
      try api.createMarketOrder(order)
    } catch let e as BybitError {
      throw Self.orderError(e)
    }
    if postOnly, let o = try? api.order(linkID: clientOrderID, symbol: symbol) {
      events.apply(o)
      if o.postOnlyWouldCross {
        throw PostOnlyWouldCross("Bybit cancelled it: EC_PostOnlyWillTakeLiquidity")
      }
      return Self.gatewayOrder(o)
    }
    return inbox.order(clientOrderID)
      ?? GatewayOrder(
        clientOrderID: clientOrderID, symbol: symbol, state: .submitting, filledQty: 0,
        avgPrice: 0, fee: 0, updated: 0)
  }

  /// `POST /v5/order/cancel` by orderLinkId; false for 110001 (unknown, filled or cancelled).
  public func cancelOrder(clientOrderID: String, symbol: String) throws -> Bool {
    do {
      return try api.cancelOrder(symbol: symbol, orderLinkId: clientOrderID)
    } catch let e as BybitError {
      throw Self.orderError(e)
    }
  }

  /// The run's working orders (`/v5/order/realtime`).
  public func openOrders(symbol: String, prefix: String) throws -> [GatewayOrder] {
    try api.openOrders(symbol: symbol).filter { $0.orderLinkId.hasPrefix(prefix) }.map(
      Self.gatewayOrder)
  }
}
