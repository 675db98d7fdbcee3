import Foundation
import WickCore
import WickLive

/// Binance's resting orders for the shared live layer: `LIMIT` `GTC`, or `GTX` for post-only.
extension BinanceGateway: LiveRestingGateway {
  public func placeLimit(
    symbol: String, buy: Bool, qty: String, price: String, postOnly: Bool, clientOrderID: String
  ) throws -> GatewayOrder {
    do {
      let o = try api.placeLimitOrder(
        symbol: symbol, side: buy ? "BUY" : "SELL", qty: qty, price: price, postOnly: postOnly,
        clientOrderId: clientOrderID)
      return try gatewayOrder(o)
    } catch let e as BinanceError where e.code == BinanceError.Code.postOnlyRejected {
      throw PostOnlyWouldCross("Binance -5022: the GTX order could not be executed as maker")
    } catch let e as BinanceError {
      throw Self.orderError(e)
    }
  }

  public func cancelOrder(clientOrderID: String, symbol: String) throws -> Bool {
    do {
      guard let o = try api.cancelOrder(symbol: symbol, clientOrderId: clientOrderID) else {
        return false
      }
      inbox.apply(try gatewayOrder(o))
      return true
    } catch let e as BinanceError {
      throw Self.orderError(e)
    }
  }

  public func openOrders(symbol: String, prefix: String) throws -> [GatewayOrder] {
    try api.openOrders(symbol: symbol).filter { $0.clientOrderId.hasPrefix(prefix) }.map(
      gatewayOrder)
  }
}
