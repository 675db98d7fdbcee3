import Foundation
import WickCore
import WickRisk
import WickSim

/// Resting limit and post-only entries over a `LiveRestingGateway`, under the executor's rules:
/// placed once under the id the journal wrote ahead (an unknown outcome or a duplicate id is
/// looked up, never resent); every fill, partial ones too, gets the stop on the position at once
/// and verified, else the position is closed at market; a cancel that races a fill lets the fill
/// win (the order's final state, read back after the cancel, is what is booked).
extension LiveExecutor {
  /// What placing a resting entry came to.
  public enum RestingPlacement: Sendable, Equatable {
    /// On the book (or already partly or wholly filled): as the exchange reports it.
    case resting(GatewayOrder)
    /// Refused: `post_only_would_cross`, or `exchange_refused` for any other refusal.
    case refused(Refusal)
  }

  var restingGateway: LiveRestingGateway? { gateway as? LiveRestingGateway }

  /// Places `order` on the exchange under its client id.
  public func placeResting(_ order: LiveRestingOrder, instrument: InstrumentSpec) throws
    -> RestingPlacement
  {
    guard let gateway = restingGateway else {
      return .refused(
        Refusal(
          "unsupported_order",
          "live limit entries are not implemented on \(self.gateway.exchangeName)"))
    }
    let intent = order.entry.intent
    let buy = intent.side == .long
    let qty = instrument.format(qty: order.entry.qty)
    let price = instrument.format(price: intent.limit ?? 0)
    let id = order.clientOrderID
    do {
      guard
        let placed = try place(
          Order(symbol: order.symbol, buy: buy, qty: qty, id: id, reduceOnly: false),
          send: {
            try gateway.placeLimit(
              symbol: order.symbol, buy: buy, qty: qty, price: price, postOnly: intent.postOnly,
              clientOrderID: id)
          })
      else {
        let why = inbox.order(id)?.reason ?? "not placed"
        return .refused(Refusal("exchange_refused", "\(id): \(why)"))
      }
      return .resting(placed)
    } catch let cross as PostOnlyWouldCross {
      inbox.apply(
        GatewayOrder(
          clientOrderID: id, symbol: order.symbol, state: .rejected, filledQty: 0, avgPrice: 0,
          fee: 0, updated: .max, reason: cross.detail))
      return .refused(
        Refusal(
          "post_only_would_cross",
          "\(id): a post-only \(buy ? "buy" : "sell") at \(price) would have taken liquidity (\(cross.detail))"
        ))
    }
  }

  /// The order's latest state: the stream's, or REST's when `poll` (the stream is down, or as a
  /// slower safety net). nil when neither has heard of it.
  public func restingState(_ order: LiveRestingOrder, poll: Bool) throws -> GatewayOrder? {
    if poll, let o = try gateway.order(clientOrderID: order.clientOrderID, symbol: order.symbol) {
      inbox.apply(o)
    }
    return inbox.order(order.clientOrderID)
  }

  /// Puts the stop on a position a resting order has (partly) filled and checks it on the
  /// exchange. nil on success; else why it failed and the market close's fill, after the
  /// incident, the cancel of what still rests and the close of the position.
  public func protectRestingFill(
    _ order: inout LiveRestingOrder, filled: GatewayOrder, instrument: InstrumentSpec
  ) throws -> (fill: LiveFill?, reason: String)? {
    guard filled.filledQty > order.protectedQty else { return nil }
    let intent = order.entry.intent
    order.stop = intent.stop.map(instrument.roundPrice)
    order.take = intent.take.map(instrument.roundPrice)
    guard let stop = order.stop else {
      order.protectedQty = filled.filledQty
      return nil
    }
    if let problem = ensureStop(
      symbol: order.symbol, stop: stop, take: order.take, clientID: order.clientOrderID,
      instrument: instrument)
    {
      incidents.incident(
        kind: LiveIncident.stopNotPlaced, symbol: order.symbol,
        detail: "\(order.clientOrderID) (limit fill): \(problem)")
      // Nothing more may fill unprotected: what still rests goes first.
      _ = try? cancelResting(order)
      let exit = try panicClose(
        symbol: order.symbol,
        clientOrderID: OrderLinkID.sibling(of: order.clientOrderID, role: .panic),
        instrument: instrument, reason: problem)
      return (exit, problem)
    }
    order.protectedQty = filled.filledQty
    return nil
  }

  /// How a resting order that ended (filled, cancelled or expired with a fill, or refused) is
  /// booked: its fill with the stop already verified by `protectRestingFill`.
  public func restingOutcome(
    _ order: LiveRestingOrder, final: GatewayOrder, panic: (fill: LiveFill?, reason: String)?
  ) -> EntryOutcome {
    guard let fill = final.fill else {
      return .unfilled(
        "\(order.clientOrderID) ended \(final.state.rawValue) with nothing filled"
          + (final.reason.map { ": \($0)" } ?? ""))
    }
    if let panic {
      return .panicClosed(
        fill, exit: panic.fill ?? LiveFill(orderLinkId: "", qty: 0, price: 0, fee: 0),
        reason: panic.reason)
    }
    return .protected(fill, stop: order.stop, take: order.take)
  }

  /// Cancels the order and returns its final state as the exchange reports it afterwards:
  /// cancelled, or filled (wholly or partly) when a fill won the race. nil when the exchange
  /// never had it. A lost answer or a 5xx is resolved by looking the order up; a cancel that
  /// leaves it working is sent again (cancelling twice is harmless).
  public func cancelResting(_ order: LiveRestingOrder) throws -> GatewayOrder? {
    guard let gateway = restingGateway else { return nil }
    let id = order.clientOrderID
    let deadline = Date().addingTimeInterval(timing.fillTimeout)
    var failure: String?
    while true {
      do {
        _ = try gateway.cancelOrder(clientOrderID: id, symbol: order.symbol)
        failure = nil
      } catch let e as LiveOrderError {
        failure = e.description  // the answer was lost or refused: the order's state says more
      }
      if let o = try gateway.order(clientOrderID: id, symbol: order.symbol) {
        inbox.apply(o)
        let current = inbox.order(id) ?? o
        if current.isFinal { return current }
      } else {
        // The exchange lists no such order: it never arrived (or the stream saw it end).
        if let held = inbox.order(id), held.isFinal, held.state != .notSent { return held }
        return nil
      }
      guard Date() < deadline else {
        throw LiveOrderError.unknownOutcome(
          "\(id) is still working \(timing.fillTimeout) s after its cancel"
            + (failure.map { ": \($0)" } ?? ""))
      }
      Thread.sleep(forTimeInterval: timing.pollInterval)
    }
  }
}
