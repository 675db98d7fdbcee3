import Foundation
import WickLive

/// Resting orders on Binance USDⓈ-M (developers.binance.com/docs/derivatives/usds-margined-futures):
/// `LIMIT` with `timeInForce` `GTC` or `GTX` (post-only) on `POST /fapi/v1/order`, cancelled by
/// `DELETE /fapi/v1/order?origClientOrderId`, listed by `GET /fapi/v1/openOrders`. A GTX order
/// that would trade at once as a taker is refused with -5022 and "not recorded in the order
/// history": it never existed.
extension BinanceTradingAPI {
  /// A limit order under `clientOrderId` (`newOrderRespType=RESULT`). A duplicate id (-4116) or
  /// an unknown outcome is looked up by the id, never sent again.
  public func placeLimitOrder(
    symbol: String, side: String, qty: String, price: String, postOnly: Bool,
    clientOrderId: String
  ) throws -> BinanceOrder {
    let params = [
      ("symbol", symbol), ("side", side), ("type", "LIMIT"),
      ("timeInForce", postOnly ? "GTX" : "GTC"),
      ("quantity", qty), ("price", price), ("newClientOrderId", clientOrderId),
      ("newOrderRespType", "RESULT"),
    ]
    do {
      let r = try rest.send("POST", "/fapi/v1/order", params, effect: .placesOrder)
      guard let o = Self.order(r.document, r.root) else {
        throw BinanceError.unknownOutcome(
          endpoint: "POST /fapi/v1/order", reason: "the answer lacks orderId or status")
      }
      return o
    } catch let e as BinanceError {
      switch e {
      case .rejected(_, BinanceError.Code.duplicateClientOrderID, _), .unknownOutcome:
        if let o = try order(clientOrderId: clientOrderId, symbol: symbol) { return o }
        throw e
      default: throw e
      }
    }
  }

  /// Cancels the order with this client id (`DELETE /fapi/v1/order`, `origClientOrderId`) and
  /// returns its state as the answer gives it; nil when Binance has no working order under the
  /// id (-2011 "Unknown order sent.": filled, cancelled, or never placed).
  public func cancelOrder(symbol: String, clientOrderId: String) throws -> BinanceOrder? {
    do {
      let r = try rest.send(
        "DELETE", "/fapi/v1/order", [("symbol", symbol), ("origClientOrderId", clientOrderId)])
      return Self.order(r.document, r.root)
    } catch let e as BinanceError
      where e.code == BinanceError.Code.unknownOrder || e.code == BinanceError.Code.noSuchOrder
    {
      return nil
    }
  }
}

extension BinanceError.Code {
  /// A GTX (post-only) order that would have traded as a taker at once: refused, not recorded.
  public static let postOnlyRejected = -5022
  /// Cancel of an order that is not working (filled, cancelled or unknown).
  public static let unknownOrder = -2011
}
