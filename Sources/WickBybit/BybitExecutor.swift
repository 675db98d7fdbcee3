import Foundation
import WickCore
import WickLive

/// Places entries and exits on Bybit the way seed 001 asks: an idempotent market order, its
/// fill awaited from the stream (or REST when the stream is down), then the stop and take put
/// on the position and verified there; a stop that does not appear in time closes the
/// position at market (reduce-only) and records an incident.
///
/// Blocking: call it from the runner's thread, not from an event loop.
public final class BybitExecutor: @unchecked Sendable {
  public let api: BybitTradingAPI
  public let inbox: BybitEventInbox
  public let incidents: LiveIncidentSink
  public var timing: ExecutionTiming

  public init(
    api: BybitTradingAPI, inbox: BybitEventInbox, incidents: LiveIncidentSink,
    timing: ExecutionTiming = ExecutionTiming()
  ) {
    self.api = api
    self.inbox = inbox
    self.incidents = incidents
    self.timing = timing
  }

  /// Opens `qty` (already sized) with its stop and take. `orderLinkId` comes from
  /// `OrderLinkID.make(..., role: .entry)` and was written ahead to the ledger.
  public func enter(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, orderLinkId: String,
    instrument: BybitInstrument
  ) throws -> EntryOutcome {
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(opening: side), qty: instrument.format(qty: qty),
      orderLinkId: orderLinkId, stopLoss: stop.map { instrument.format(price: $0) },
      takeProfit: take.map { instrument.format(price: $0) })
    guard let placed = try place(order) else {
      return .unfilled("\(orderLinkId) was not placed")
    }
    return try protect(placed, symbol: symbol, stop: stop, take: take, instrument: instrument)
  }

  /// Awaits the entry's fill, then puts the stop and take on (or closes at market).
  private func protect(
    _ placed: BybitOrder, symbol: String, stop: Double?, take: Double?, instrument: BybitInstrument
  ) throws -> EntryOutcome {
    let orderLinkId = placed.orderLinkId
    guard let fill = try awaitFill(placed) else {
      let o = inbox.order(linkID: orderLinkId)
      return .unfilled("\(orderLinkId) ended \(o?.status ?? "unknown") with nothing filled")
    }
    guard let stop else { return .protected(fill, stop: nil, take: take) }
    let stopPrice = instrument.roundPrice(stop)
    let takePrice = take.map(instrument.roundPrice)
    if let problem = ensureStop(
      symbol: symbol, stop: stopPrice, take: takePrice, instrument: instrument)
    {
      incidents.incident(
        kind: LiveIncident.stopNotPlaced, symbol: symbol, detail: "\(orderLinkId): \(problem)")
      let exit = try panicClose(
        symbol: symbol, linkID: OrderLinkID.sibling(of: orderLinkId, role: .panic),
        instrument: instrument, reason: problem)
      return .panicClosed(
        fill, exit: exit ?? LiveFill(orderLinkId: "", qty: 0, price: 0, fee: 0), reason: problem)
    }
    return .protected(fill, stop: stopPrice, take: takePrice)
  }

  /// After a restart, an entry whose order row says `submitting`: the exchange is asked by its
  /// orderLinkId. If it has the order, its fill is awaited and the stop ensured as for a fresh
  /// entry; if not, the order never left, and it is not sent late (the price it was decided on
  /// is gone).
  public func resumeEntry(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, orderLinkId: String,
    instrument: BybitInstrument
  ) throws -> EntryOutcome {
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(opening: side), qty: instrument.format(qty: qty),
      orderLinkId: orderLinkId)
    guard let found = try lookUp(order, attempts: timing.resolveAttempts) else {
      return .unfilled("\(orderLinkId) never reached the exchange; not sent late")
    }
    return try protect(found, symbol: symbol, stop: stop, take: take, instrument: instrument)
  }

  /// Closes the whole position of `symbol` at market (reduce-only). nil when it was already flat
  /// (its stop or take got there first).
  public func exit(symbol: String, orderLinkId: String, instrument: BybitInstrument) throws
    -> LiveFill?
  {
    if let done = try resolvedExit(orderLinkId, symbol: symbol) { return done }
    let position = try api.position(symbol: symbol)
    guard let side = position.side, position.size > 0 else { return nil }
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(closing: side), qty: instrument.format(qty: position.size),
      orderLinkId: orderLinkId, reduceOnly: true)
    guard let placed = try place(order) else {
      throw BybitError.unavailable(
        endpoint: "POST /v5/order/create", reason: "\(orderLinkId) was not placed")
    }
    return try awaitFill(placed)
  }

  /// Adds `qty` to the open position (`ctx:enter{add = true}`): a market order on the
  /// position's side without a stop of its own, then the combined stop (and take) put on the
  /// whole position and verified, as for an entry. Bybit's position stop (tpslMode Full) covers
  /// the position's size, so from the fill on the old stop protects the added quantity until the
  /// new one is confirmed.
  public func add(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, orderLinkId: String,
    instrument: BybitInstrument
  ) throws -> EntryOutcome {
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(opening: side), qty: instrument.format(qty: qty),
      orderLinkId: orderLinkId)
    guard let placed = try place(order) else {
      return .unfilled("\(orderLinkId) was not placed")
    }
    return try protect(placed, symbol: symbol, stop: stop, take: take, instrument: instrument)
  }

  /// Closes `qty` of the position at market (reduce-only, `ctx:exit{fraction = ...}`), rounded
  /// down to the lot step. Bybit shrinks the position's stop and take with the position (tpslMode
  /// Full), so they need no new request. nil when the position is already flat.
  public func reduce(
    symbol: String, qty: Double, orderLinkId: String, instrument: BybitInstrument
  ) throws -> LiveFill? {
    if let done = try resolvedExit(orderLinkId, symbol: symbol) { return done }
    let position = try api.position(symbol: symbol)
    guard let side = position.side, position.size > 0 else { return nil }
    let part = min(instrument.roundQty(qty), position.size)
    guard part > 0 else { return nil }
    let order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(closing: side), qty: instrument.format(qty: part),
      orderLinkId: orderLinkId, reduceOnly: true)
    guard let placed = try place(order) else {
      throw BybitError.unavailable(
        endpoint: "POST /v5/order/create", reason: "\(orderLinkId) was not placed")
    }
    return try awaitFill(placed)
  }

  /// What placing a resting limit entry came to.
  public enum LimitPlacement: Sendable, Equatable {
    /// On the book (New), or already (partly) filled: its state as the exchange reports it.
    case placed(BybitOrder)
    /// Refused: `post_only_would_cross` for a PostOnly Bybit cancelled because it would have
    /// taken liquidity, `exchange_refused` for any other refusal.
    case refused(Refusal)
  }

  /// Places a resting limit entry under its id (`timeInForce` `PostOnly` or `GTC`): write-ahead
  /// and idempotent like a market entry (a duplicate id is looked up, never sent twice). The
  /// stop is not attached: it goes on the position with the fill, as for market entries.
  public func placeLimit(
    symbol: String, side: Side, qty: Double, price: Double, postOnly: Bool, orderLinkId: String,
    instrument: BybitInstrument
  ) throws -> LimitPlacement {
    var order = BybitTradingAPI.MarketOrder(
      symbol: symbol, side: BybitSide(opening: side), qty: instrument.format(qty: qty),
      orderLinkId: orderLinkId)
    order.price = instrument.format(price: price)
    order.timeInForce = postOnly ? "PostOnly" : "GTC"
    guard var placed = try place(order) else {
      let why = inbox.order(linkID: orderLinkId)?.rejectReason ?? "not placed"
      return .refused(Refusal("exchange_refused", "\(orderLinkId): \(why)"))
    }
    // Bybit accepts a PostOnly that would cross, then cancels it: its state says so.
    if postOnly, let o = try api.order(linkID: orderLinkId, symbol: symbol) {
      inbox.apply(o)
      placed = inbox.order(linkID: orderLinkId) ?? o
    }
    if placed.postOnlyWouldCross {
      return .refused(
        Refusal(
          "post_only_would_cross",
          "\(orderLinkId): a post-only \(side == .long ? "buy" : "sell") at \(instrument.format(price: price)) would have taken liquidity (EC_PostOnlyWillTakeLiquidity)"
        ))
    }
    return .placed(placed)
  }

  /// Cancels a resting order by its id and returns its final state: `Cancelled`, or
  /// `PartiallyFilledCanceled` with the part that filled (which then needs its stop), or
  /// `Filled` when the fill won the race. nil when the exchange never had it.
  public func cancelLimit(symbol: String, orderLinkId: String) throws -> BybitOrder? {
    _ = try api.cancelOrder(symbol: symbol, orderLinkId: orderLinkId)
    let deadline = Date().addingTimeInterval(timing.fillTimeout)
    while true {
      if let o = inbox.order(linkID: orderLinkId), o.isFinal { return o }
      if let o = try api.order(linkID: orderLinkId, symbol: symbol) {
        inbox.apply(o)
        if o.isFinal { return inbox.order(linkID: orderLinkId) ?? o }
      } else if inbox.order(linkID: orderLinkId) == nil {
        return nil
      }
      guard Date() < deadline else {
        throw BybitError.unknownOutcome(
          endpoint: "POST /v5/order/cancel",
          reason: "\(orderLinkId) is not final \(timing.fillTimeout) s after its cancel")
      }
      Thread.sleep(forTimeInterval: timing.pollInterval)
    }
  }

  /// Moves the stop (a trailing stop's step). A refusal keeps the previous stop, which still
  /// protects the position, and is recorded.
  @discardableResult
  public func moveStop(symbol: String, to stop: Double, instrument: BybitInstrument) -> Bool {
    do {
      try api.setTradingStop(
        symbol: symbol, stopLoss: instrument.format(price: stop), takeProfit: nil)
      return true
    } catch {
      incidents.incident(
        kind: LiveIncident.stopUpdateRejected, symbol: symbol,
        detail:
          "moving the stop to \(instrument.format(price: stop)) failed, the previous stop stays: \(error)"
      )
      return false
    }
  }

  /// Closes at market after a failed stop; records the incident either way.
  func panicClose(symbol: String, linkID: String, instrument: BybitInstrument, reason: String)
    throws -> LiveFill?
  {
    do {
      let exit = try self.exit(symbol: symbol, orderLinkId: linkID, instrument: instrument)
      incidents.incident(
        kind: LiveIncident.panicClose, symbol: symbol,
        detail: "closed at market (\(linkID)) because \(reason)"
          + (exit.map { ": \(instrument.format(qty: $0.qty)) at \($0.price)" } ?? ": already flat"))
      return exit
    } catch {
      incidents.incident(
        kind: LiveIncident.panicCloseFailed, symbol: symbol,
        detail: "the position has no stop and closing it failed: \(error)")
      throw error
    }
  }

  // MARK: - Orders

  /// Sends the order once; an unknown outcome is resolved by its orderLinkId. Returns the
  /// exchange's order, or nil when it certainly does not exist.
  func place(_ order: BybitTradingAPI.MarketOrder) throws -> BybitOrder? {
    var sends = 0
    while true {
      sends += 1
      do {
        try api.createMarketOrder(order)
        return inbox.order(linkID: order.orderLinkId) ?? acknowledged(order)
      } catch BybitError.rejected(_, BybitError.Code.duplicateOrderLinkID, _) {
        // Sent before (a retry after a crash or a lost answer): the first order stands.
        if let o = try lookUp(order, attempts: timing.resolveAttempts) { return o }
        throw BybitError.unknownOutcome(
          endpoint: "POST /v5/order/create",
          reason: "\(order.orderLinkId) is a duplicate, yet the exchange lists no such order")
      } catch BybitError.rejected(_, let code, let message) {
        inbox.apply(rejected(order, because: "retCode \(code): \(message)"))
        return nil
      } catch BybitError.unavailable {
        return nil
      } catch BybitError.unknownOutcome(let endpoint, let reason) {
        if let o = try lookUp(order, attempts: timing.resolveAttempts) { return o }
        // Several queries found nothing: it never arrived. Sending again is safe because the
        // exchange refuses a second order with this id; after that, stop guessing.
        guard sends < 2 else {
          incidents.incident(
            kind: LiveIncident.orderOutcomeUnknown, symbol: order.symbol,
            detail: "\(order.orderLinkId): \(reason); not found by orderLinkId")
          throw BybitError.unknownOutcome(endpoint: endpoint, reason: reason)
        }
      }
    }
  }

  /// The order by its id, from the stream if it has it, else from REST, a few times.
  func lookUp(_ order: BybitTradingAPI.MarketOrder, attempts: Int) throws -> BybitOrder? {
    for attempt in 0..<max(1, attempts) {
      if let o = inbox.order(linkID: order.orderLinkId) { return o }
      if let o = try api.order(linkID: order.orderLinkId, symbol: order.symbol) {
        inbox.apply(o)
        return inbox.order(linkID: order.orderLinkId) ?? o
      }
      if attempt + 1 < attempts { Thread.sleep(forTimeInterval: timing.pollInterval) }
    }
    return nil
  }

  /// An accepted order the exchange does not list yet: wait for it as a New order.
  private func acknowledged(_ order: BybitTradingAPI.MarketOrder) -> BybitOrder {
    BybitOrder(
      orderId: "", orderLinkId: order.orderLinkId, symbol: order.symbol, side: order.side,
      qty: Double(order.qty) ?? 0, cumExecQty: 0, avgPrice: nil, cumExecFee: 0, status: "New",
      reduceOnly: order.reduceOnly, stopOrderType: "", updatedTime: 0)
  }

  private func rejected(_ order: BybitTradingAPI.MarketOrder, because reason: String) -> BybitOrder
  {
    var o = acknowledged(order)
    o.status = "Rejected"
    o.updatedTime = Int64.max
    o.rejectReason = reason
    return o
  }

  /// An exit already filled under this id (a restart after the exit was sent).
  private func resolvedExit(_ linkID: String, symbol: String) throws -> LiveFill? {
    guard let o = try inbox.order(linkID: linkID) ?? api.order(linkID: linkID, symbol: symbol),
      o.isFinal, o.cumExecQty > 0
    else { return nil }
    return LiveFill(
      orderLinkId: linkID, qty: o.cumExecQty, price: o.avgPrice ?? 0, fee: o.cumExecFee)
  }

  /// Waits for the order's final state, from the stream or by polling; nil if nothing filled.
  func awaitFill(_ placed: BybitOrder) throws -> LiveFill? {
    let linkID = placed.orderLinkId
    let deadline = Date().addingTimeInterval(timing.fillTimeout)
    var current = placed
    var lastPoll = Date.distantPast
    while !current.isFinal, Date() < deadline {
      let streamed = inbox.wait(timeout: timing.pollInterval) { $0.orders[linkID]?.isFinal == true }
      if streamed, let o = inbox.order(linkID: linkID) {
        current = o
        break
      }
      // REST is the fallback while the stream is down, and a slower safety net while it is up
      // (a fill message can be lost with the socket).
      let every = inbox.streamUp ? timing.pollInterval * 4 : timing.pollInterval
      if Date().timeIntervalSince(lastPoll) >= every {
        lastPoll = Date()
        if let o = try api.order(linkID: linkID, symbol: placed.symbol) { inbox.apply(o) }
      }
      current = inbox.order(linkID: linkID) ?? current
    }
    guard current.cumExecQty > 0 else { return nil }
    return LiveFill(
      orderLinkId: linkID, qty: current.cumExecQty, price: current.avgPrice ?? 0,
      fee: current.cumExecFee)
  }

  // MARK: - Stops

  /// Puts the stop (and take) on the position and checks that the exchange shows it. nil on
  /// success, else what went wrong.
  func ensureStop(symbol: String, stop: Double, take: Double?, instrument: BybitInstrument)
    -> String?
  {
    let deadline = Date().addingTimeInterval(timing.stopVerifyTimeout)
    do {
      var position = try api.position(symbol: symbol)
      if !position.isOpen { return nil }  // already closed (stop or take hit): nothing to protect
      if let sl = position.stopLoss, instrument.samePrice(sl, stop) { return nil }
      try api.setTradingStop(
        symbol: symbol, stopLoss: instrument.format(price: stop),
        takeProfit: take.map { instrument.format(price: $0) })
      while true {
        position = try api.position(symbol: symbol)
        if !position.isOpen { return nil }
        if let sl = position.stopLoss, instrument.samePrice(sl, stop) { return nil }
        guard Date() < deadline else { break }
        Thread.sleep(forTimeInterval: min(timing.pollInterval, 0.25))
      }
      return
        "the stop \(instrument.format(price: stop)) is not on the position after \(timing.stopVerifyTimeout) s"
    } catch {
      return "setting the stop \(instrument.format(price: stop)) failed: \(error)"
    }
  }
}
