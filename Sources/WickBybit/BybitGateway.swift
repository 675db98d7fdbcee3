import Foundation
import WickCore
import WickLive

/// Bybit v5 (linear USDT perpetuals, one-way mode) as a `LiveGateway`: market orders by
/// `orderLinkId` on `/v5/order/create`, looked up on `/v5/order/realtime` and `/history`; the
/// position's stop and take are the position's own (`/v5/position/trading-stop`, tpslMode Full),
/// so they cover whatever size the position has after a partial close or an add, and vanish
/// with it. The private stream (`BybitPrivateStream`) feeds `events`, which forwards order
/// updates to the shared `inbox`.
public final class BybitGateway: LiveGateway, @unchecked Sendable {
  public let api: BybitTradingAPI
  public let inbox: LiveOrderInbox
  /// Bybit's own view of the stream (orders, executions, positions), forwarding to `inbox`.
  public let events: BybitEventInbox
  public var exchangeName: String { "Bybit" }
  public var accountName: String { "the Bybit unified account" }

  public init(api: BybitTradingAPI, events: BybitEventInbox? = nil) {
    self.api = api
    let inbox = LiveOrderInbox()
    self.inbox = inbox
    self.events = events ?? BybitEventInbox()
    self.events.forward(to: inbox)
  }

  public func serverNow() -> Int64 { api.rest.serverNow() }

  // MARK: Orders

  public func placeMarket(
    symbol: String, buy: Bool, qty: String, clientOrderID: String, reduceOnly: Bool
  ) throws -> GatewayOrder {
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: buy ? .buy : .sell, qty: qty, orderLinkId: clientOrderID,
      reduceOnly: reduceOnly)
    do {
      try api.createMarketOrder(order)
    } catch let e as BybitError {
      throw Self.orderError(e)
    }
    // Accepted: the stream may have its state already; else it is working until it says more.
    return inbox.order(clientOrderID)
      ?? GatewayOrder(
        clientOrderID: clientOrderID, symbol: symbol, state: .submitting, filledQty: 0,
        avgPrice: 0, fee: 0, updated: 0)
  }

  /// The executor's terms for Bybit's failures.
  static func orderError(_ e: BybitError) -> LiveOrderError {
    switch e {
    case .rejected(_, BybitError.Code.duplicateOrderLinkID, _): return .duplicate("\(e)")
    case .rejected(_, let code, let message): return .rejected("retCode \(code): \(message)")
    case .unavailable: return .unavailable("\(e)")
    case .unknownOutcome, .malformed: return .unknownOutcome("\(e)")
    }
  }

  public func order(clientOrderID: String, symbol: String) throws -> GatewayOrder? {
    guard let o = try api.order(linkID: clientOrderID, symbol: symbol) else { return nil }
    events.apply(o)
    return Self.gatewayOrder(o)
  }

  /// An order in the runner's terms. An order that ended with something filled counts as
  /// filled (a market order's unfilled rest is cancelled: PartiallyFilledCanceled).
  static func gatewayOrder(_ o: BybitOrder) -> GatewayOrder {
    let state: LiveOrderState
    switch o.status {
    case "Filled", "PartiallyFilledCanceled": state = .filled
    case "Cancelled", "Deactivated": state = o.cumExecQty > 0 ? .filled : .cancelled
    case "Rejected": state = o.cumExecQty > 0 ? .filled : .rejected
    default: state = .submitting
    }
    return GatewayOrder(
      clientOrderID: o.orderLinkId, symbol: o.symbol, state: state, filledQty: o.cumExecQty,
      avgPrice: o.avgPrice ?? 0, fee: o.cumExecFee, updated: o.updatedTime,
      reason: o.rejectReason ?? (state == .cancelled || state == .rejected ? o.status : nil))
  }

  /// The last trade fill of the symbol (a close found by reconciliation: stop, take, liquidation).
  public func lastFill(symbol: String) throws -> LiveFill? {
    try api.executions(symbol: symbol).filter(\.isTrade).max { $0.time < $1.time }.map {
      LiveFill(orderLinkId: $0.orderLinkId, qty: $0.qty, price: $0.price, fee: $0.fee)
    }
  }

  // MARK: Positions and their protection

  public func position(symbol: String) throws -> GatewayPosition {
    // Not fed to `events`: a REST read is no news, and must not mark the inbox stale.
    let p = try api.position(symbol: symbol)
    return GatewayPosition(
      symbol: symbol, side: p.side, size: p.size, entryPrice: p.avgPrice, stop: p.stopLoss,
      take: p.takeProfit)
  }

  public func openPositions() throws -> [GatewayPosition] {
    try api.openPositions().map {
      GatewayPosition(
        symbol: $0.symbol, side: $0.side, size: $0.size, entryPrice: $0.avgPrice,
        stop: $0.stopLoss, take: $0.takeProfit)
    }
  }

  /// The position's own stop and take (absolute values, so a retry is harmless; "not
  /// modified" is success). Bybit keeps one of each per position: the new ones replace the old.
  public func setStop(
    symbol: String, position: GatewayPosition, stop: String, take: String?, clientID: String
  ) throws {
    try api.setTradingStop(symbol: symbol, stopLoss: stop, takeProfit: take)
  }

  /// Bybit's position stop goes with the position: a flat symbol has none left to clear.
  public func clearStops(symbol: String, prefix: String) throws {}

  /// Resting orders (the position's stop and take excluded) whose ids are not the run's.
  public func foreignOrders(symbol: String, prefix: String) throws -> [String] {
    try api.openOrders(symbol: symbol).filter { !$0.orderLinkId.hasPrefix(prefix) }.map {
      "\($0.orderLinkId.isEmpty ? $0.orderId : $0.orderLinkId) (\($0.side.rawValue) \($0.qty), \($0.status))"
    }
  }

  // MARK: Account

  /// `/v5/account/wallet-balance`: USDT equity and wallet balance of the unified account.
  public func wallet() throws -> GatewayWallet {
    let w = try api.wallet()
    return GatewayWallet(equity: w.equity, balance: w.walletBalance)
  }

  /// Bybit charges funding on the account itself: `execType` "Funding" in `/v5/execution/list`,
  /// its fee paid (+) or received (−), with the rate it settled at.
  public func funding(symbol: String, after time: Int64) throws -> [GatewayFunding] {
    try api.fundingExecutions(symbol: symbol, since: time + 1)
      .filter { $0.time > time }.sorted { $0.time < $1.time }
      .map { GatewayFunding(time: $0.time, amount: -$0.fee, rate: $0.feeRate ?? 0) }
  }
}
