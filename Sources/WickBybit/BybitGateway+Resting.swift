import Foundation
import WickCore
import WickLive

/// Bybit's resting orders for the shared live layer: `Limit` with `timeInForce` `GTC`, or
/// `PostOnly`, which Bybit accepts and then cancels with rejectReason
/// `EC_PostOnlyWillTakeLiquidity` when it would take liquidity.
extension BybitGateway: LiveRestingGateway {
  public func placeLimit(
    symbol: String, buy: Bool, qty: String, price: String, postOnly: Bool, clientOrderID: String
  ) throws -> GatewayOrder {
    var order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: buy ? .buy : .sell, qty: qty, orderLinkId: clientOrderID)
    order.price = price
    order.timeInForce = postOnly ? "PostOnly" : "GTC"
    do {
      try api.createMarketOrder(order)
      // Accepted is not resting: a PostOnly that would cross is cancelled right after. The
      // order's own state says which.
      guard let o = try api.order(linkID: clientOrderID, symbol: symbol) else {
        return inbox.order(clientOrderID)
          ?? GatewayOrder(
            clientOrderID: clientOrderID, symbol: symbol, state: .submitting, filledQty: 0,
            avgPrice: 0, fee: 0, updated: 0)
      }
      events.apply(o)
      if o.postOnlyWouldCross {
        throw PostOnlyWouldCross("Bybit EC_PostOnlyWillTakeLiquidity: cancelled as it would cross")
      }
      return Self.gatewayOrder(o)
    } catch let e as BybitError {
      throw Self.orderError(e)
    }
  }

  /// `POST /v5/order/cancel` by orderLinkId; 110001 (unknown, filled or already cancelled) is
  /// false: the order's state says what happened.
  public func cancelOrder(clientOrderID: String, symbol: String) throws -> Bool {
    do {
      return try api.cancelOrder(symbol: symbol, orderLinkId: clientOrderID)
    } catch let e as BybitError {
      throw Self.orderError(e)
    }
  }

  public func openOrders(symbol: String, prefix: String) throws -> [GatewayOrder] {
    try api.openOrders(symbol: symbol).filter { $0.orderLinkId.hasPrefix(prefix) }.map(
      Self.gatewayOrder)
  }
}
