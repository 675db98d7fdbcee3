import Foundation
import WickCore
import WickLive
import WickRisk
import WickSim

/// Bybit's resting limit entries (`Limit` with `PostOnly` or `GTC`), the building blocks a
/// resting-order gateway method maps onto: placed under a written-ahead id and idempotent like a
/// market order (a duplicate or an unknown outcome is looked up, never sent twice), cancelled
/// by id with the filled part kept.
extension BybitGateway {
  /// What placing a resting limit entry came to.
  public enum LimitPlacement: Sendable, Equatable {
    /// On the book (New), or already (partly) filled: its state as the exchange reports it.
    case placed(BybitOrder)
    /// Refused: `post_only_would_cross` for a PostOnly Bybit cancelled because it would have
    /// taken liquidity, `exchange_refused` for any other refusal.
    case refused(Refusal)
  }

  /// Places a resting limit entry under its id. The stop is not attached: it goes on the
  /// position with the fill, as for market entries.
  public func placeLimit(
    symbol: String, side: Side, qty: Double, price: Double, postOnly: Bool, orderLinkId: String,
    instrument: InstrumentSpec, lookUps: Int = 5, pollInterval: TimeInterval = 0.05
  ) throws -> LimitPlacement {
    var order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(opening: side), qty: instrument.format(qty: qty),
      orderLinkId: orderLinkId)
    order.price = instrument.format(price: price)
    order.timeInForce = postOnly ? "PostOnly" : "GTC"
    let find = {
      try self.lookUp(orderLinkId, symbol: symbol, attempts: lookUps, every: pollInterval)
    }
    var sends = 0
    while true {
      sends += 1
      do {
        try api.createMarketOrder(order)
      } catch BybitError.rejected(_, BybitError.Code.duplicateOrderLinkID, _) {
        // Sent before (a retry after a crash or a lost answer): the first order stands.
        guard let o = try find() else {
          throw BybitError.unknownOutcome(
            endpoint: "POST /v5/order/create",
            reason: "\(orderLinkId) is a duplicate, yet the exchange lists no such order")
        }
        return placement(o, side: side, price: price, instrument: instrument)
      } catch BybitError.rejected(_, let code, let message) {
        return .refused(Refusal("exchange_refused", "\(orderLinkId): retCode \(code): \(message)"))
      } catch BybitError.unavailable(_, let reason) {
        return .refused(Refusal("exchange_refused", "\(orderLinkId): not placed: \(reason)"))
      } catch let e as BybitError {
        // The outcome is unknown: looked up by its id; not found, the same id once more is safe
        // (Bybit refuses a second order with it).
        if let o = try find() {
          return placement(o, side: side, price: price, instrument: instrument)
        }
        guard sends < 2 else { throw e }
        continue
      }
      // Accepted. Bybit accepts a PostOnly that would cross, then cancels it: its state says so.
      guard let o = try find() else {
        throw BybitError.unknownOutcome(
          endpoint: "POST /v5/order/create", reason: "\(orderLinkId) was accepted but is not listed"
        )
      }
      return placement(o, side: side, price: price, instrument: instrument)
    }
  }

  private func placement(_ o: BybitOrder, side: Side, price: Double, instrument: InstrumentSpec)
    -> LimitPlacement
  {
    guard o.postOnlyWouldCross else { return .placed(o) }
    return .refused(
      Refusal(
        "post_only_would_cross",
        "\(o.orderLinkId): a post-only \(side == .long ? "buy" : "sell") at \(instrument.format(price: price)) would have taken liquidity (EC_PostOnlyWillTakeLiquidity)"
      ))
  }

  /// Cancels a resting order by its id and returns its final state: `Cancelled`, or
  /// `PartiallyFilledCanceled` with the part that filled (which then needs its stop), or
  /// `Filled` when the fill won the race. nil when the exchange never had it.
  public func cancelLimit(
    symbol: String, orderLinkId: String, timeout: TimeInterval = 15,
    pollInterval: TimeInterval = 0.05
  ) throws -> BybitOrder? {
    _ = try api.cancelOrder(symbol: symbol, orderLinkId: orderLinkId)
    let deadline = Date().addingTimeInterval(timeout)
    while true {
      if let o = events.order(linkID: orderLinkId), o.isFinal { return o }
      if let o = try api.order(linkID: orderLinkId, symbol: symbol) {
        events.apply(o)
        if o.isFinal { return events.order(linkID: orderLinkId) ?? o }
      } else if events.order(linkID: orderLinkId) == nil {
        return nil
      }
      guard Date() < deadline else {
        throw BybitError.unknownOutcome(
          endpoint: "POST /v5/order/cancel",
          reason: "\(orderLinkId) is not final \(timeout) s after its cancel")
      }
      Thread.sleep(forTimeInterval: pollInterval)
    }
  }

  /// The order by its id, from the stream if it has it, else from REST, a few times.
  private func lookUp(_ linkID: String, symbol: String, attempts: Int, every: TimeInterval)
    throws -> BybitOrder?
  {
    for attempt in 0..<max(1, attempts) {
      if let o = try api.order(linkID: linkID, symbol: symbol) {
        events.apply(o)
        return events.order(linkID: linkID) ?? o
      }
      if let o = events.order(linkID: linkID) { return o }
      if attempt + 1 < attempts { Thread.sleep(forTimeInterval: every) }
    }
    return nil
  }
}
