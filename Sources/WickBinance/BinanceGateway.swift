import Foundation
import WickCore
import WickLive

/// Binance USDⓈ-M as a `LiveGateway`: market orders by `newClientOrderId` on `/fapi/v1/order`
/// (`newOrderRespType=RESULT`), fees from `/fapi/v1/userTrades`, and the position's stop and take
/// as close-all conditional orders of the Algo Order API (`STOP_MARKET`/`TAKE_PROFIT_MARKET`,
/// `closePosition=true`, mark price), since `/fapi/v1/order` refuses them with -4120.
public final class BinanceGateway: LiveGateway, @unchecked Sendable {
  public let api: BinanceTradingAPI
  public let inbox = LiveOrderInbox()
  public var exchangeName: String { "Binance" }
  public var accountName: String { "the Binance USDⓈ-M account" }

  public init(api: BinanceTradingAPI) { self.api = api }

  public func serverNow() -> Int64 { api.rest.serverNow() }

  // MARK: Orders

  public func placeMarket(
    symbol: String, buy: Bool, qty: String, clientOrderID: String, reduceOnly: Bool
  ) throws -> GatewayOrder {
    do {
      let o = try api.placeMarketOrder(
        symbol: symbol, side: buy ? "BUY" : "SELL", qty: qty, clientOrderId: clientOrderID,
        reduceOnly: reduceOnly)
      return try gatewayOrder(o)
    } catch let e as BinanceError {
      throw Self.orderError(e)
    }
  }

  /// The executor's terms for Binance's failures.
  static func orderError(_ e: BinanceError) -> LiveOrderError {
    switch e {
    case .rejected(_, BinanceError.Code.duplicateClientOrderID, _): return .duplicate("\(e)")
    case .rejected: return .rejected("\(e)")
    case .unavailable: return .unavailable("\(e)")
    case .unknownOutcome, .malformed: return .unknownOutcome("\(e)")
    }
  }

  public func order(clientOrderID: String, symbol: String) throws -> GatewayOrder? {
    try api.order(clientOrderId: clientOrderID, symbol: symbol).map(gatewayOrder)
  }

  /// A final order with a fill carries its fee, summed from its trades.
  func gatewayOrder(_ o: BinanceOrder) throws -> GatewayOrder {
    var fee = 0.0
    if o.isFinal, o.executedQty > 0 {
      fee = try api.trades(symbol: o.symbol, orderId: o.orderId).reduce(0) { $0 + $1.commission }
    }
    return GatewayOrder(
      clientOrderID: o.clientOrderId, symbol: o.symbol, state: Self.state(o.status, o.executedQty),
      filledQty: o.executedQty, avgPrice: o.avgPrice, fee: fee, updated: o.updateTime,
      reason: o.status == "REJECTED" || o.status == "EXPIRED" ? "ended \(o.status)" : nil)
  }

  /// NEW/PARTIALLY_FILLED are working; an order that ended with something filled counts as
  /// filled (a market order's unfilled rest expires).
  static func state(_ status: String, _ executed: Double) -> LiveOrderState {
    switch status {
    case "NEW", "PARTIALLY_FILLED": return .submitting
    case "FILLED": return .filled
    case "CANCELED", "EXPIRED", "EXPIRED_IN_MATCH": return executed > 0 ? .filled : .cancelled
    default: return executed > 0 ? .filled : .rejected
    }
  }

  public func lastFill(symbol: String) throws -> LiveFill? {
    try api.trades(symbol: symbol).last.map {
      LiveFill(orderLinkId: "", qty: $0.qty, price: $0.price, fee: $0.commission)
    }
  }

  // MARK: Positions and their protection

  public func position(symbol: String) throws -> GatewayPosition {
    let p = try api.position(symbol: symbol)
    var out = GatewayPosition(
      symbol: symbol, side: p.side, size: abs(p.amount), entryPrice: p.entryPrice)
    guard let side = p.side else { return out }
    let closing = side == .long ? "SELL" : "BUY"
    let algos = try api.openAlgoOrders(symbol: symbol).filter {
      $0.side == closing && $0.closePosition && $0.algoStatus == "NEW"
    }
    // The stop nearest the price protects first; so does the take.
    let stops = algos.filter { $0.orderType == "STOP_MARKET" }.map(\.triggerPrice)
    let takes = algos.filter { $0.orderType == "TAKE_PROFIT_MARKET" }.map(\.triggerPrice)
    out.stop = side == .long ? stops.max() : stops.min()
    out.take = side == .long ? takes.min() : takes.max()
    return out
  }

  public func openPositions() throws -> [GatewayPosition] {
    try api.positions().map {
      GatewayPosition(
        symbol: $0.symbol, side: $0.side, size: abs($0.amount), entryPrice: $0.entryPrice)
    }
  }

  /// Places the new stop (and take) first, then cancels Wick's earlier ones for the position,
  /// so the position is never without one. -2021 (the trigger is already crossed) is a stop not
  /// placed: the caller closes at market.
  public func setStop(
    symbol: String, position: GatewayPosition, stop: String, take: String?, clientID: String
  ) throws {
    guard let side = position.side else { return }
    let closing = side == .long ? "SELL" : "BUY"
    let stamp = String(serverNow() % 60_466_176, radix: 36)  // five base-36 digits of ms
    func id(_ role: OrderLinkID.Role) -> String {
      String((OrderLinkID.sibling(of: clientID, role: role) + stamp).prefix(36))
    }
    let stopID = id(.stop)
    let takeID = id(.take)
    do {
      _ = try api.placeConditional(
        symbol: symbol, closingSide: closing, type: "STOP_MARKET", triggerPrice: stop,
        clientAlgoId: stopID)
      if let take {
        _ = try api.placeConditional(
          symbol: symbol, closingSide: closing, type: "TAKE_PROFIT_MARKET", triggerPrice: take,
          clientAlgoId: takeID)
      }
    } catch let e as BinanceError where BinanceTradingAPI.wouldTriggerAtOnce(e) {
      throw BinanceError.rejected(
        endpoint: "POST /fapi/v1/algoOrder", code: BinanceError.Code.wouldTriggerImmediately,
        message: "the trigger is already crossed (the order would trigger at once): not placed")
    }
    let runPrefix = clientID.prefix(through: clientID.firstIndex(of: "-") ?? clientID.startIndex)
    for o in try api.openAlgoOrders(symbol: symbol)
    where o.clientAlgoId.hasPrefix(runPrefix) && o.clientAlgoId != stopID
      && o.clientAlgoId != takeID && (take != nil || o.orderType == "STOP_MARKET")
    {
      // A leftover keeps protecting; failing to cancel it is not a missing stop.
      try? api.cancelConditional(symbol: symbol, clientAlgoId: o.clientAlgoId)
    }
  }

  public func clearStops(symbol: String, prefix: String) throws {
    for o in try api.openAlgoOrders(symbol: symbol) where o.clientAlgoId.hasPrefix(prefix) {
      try api.cancelConditional(symbol: symbol, clientAlgoId: o.clientAlgoId)
    }
  }

  public func foreignOrders(symbol: String, prefix: String) throws -> [String] {
    let orders = try api.openOrders(symbol: symbol).filter { !$0.clientOrderId.hasPrefix(prefix) }
      .map {
        "\($0.clientOrderId.isEmpty ? String($0.orderId) : $0.clientOrderId) (\($0.side), \($0.status))"
      }
    let algos = try api.openAlgoOrders(symbol: symbol).filter { !$0.clientAlgoId.hasPrefix(prefix) }
      .map {
        "\($0.clientAlgoId.isEmpty ? String($0.algoId) : $0.clientAlgoId) (\($0.orderType) \($0.side) at \($0.triggerPrice))"
      }
    return orders + algos
  }

  // MARK: Account

  public func wallet() throws -> GatewayWallet {
    let w = try api.wallet()
    return GatewayWallet(equity: w.equity, balance: w.walletBalance)
  }

  public func funding(symbol: String, after time: Int64) throws -> [GatewayFunding] {
    try api.funding(symbol: symbol, since: time &+ 1).filter { $0.time > time }.map {
      GatewayFunding(time: $0.time, amount: $0.amount, rate: nil)
    }
  }
}
