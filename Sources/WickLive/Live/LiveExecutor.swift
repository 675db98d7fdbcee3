import Foundation
import WickCore
import WickRisk

/// Places entries and exits on any `LiveGateway` the way seed 001 asks: an idempotent market
/// order (its id written ahead by the runner), its fill awaited from the stream or REST, then
/// the stop put on and verified on the exchange; a stop that does not appear in time closes
/// the position at market (reduce-only) and records an incident. An unknown outcome is resolved
/// by looking the order up under its client id, never by sending a second one.
///
/// Blocking: call it from the runner's thread.
public final class LiveExecutor: @unchecked Sendable {
  public let gateway: LiveGateway
  public let incidents: LiveIncidentSink
  public var timing: ExecutionTiming

  public init(
    gateway: LiveGateway, incidents: LiveIncidentSink, timing: ExecutionTiming = ExecutionTiming()
  ) {
    self.gateway = gateway
    self.incidents = incidents
    self.timing = timing
  }

  var inbox: LiveOrderInbox { gateway.inbox }

  /// Opens `qty` (already sized) and protects it. `clientOrderID` was written ahead. An add to
  /// an open position (`ctx:enter{add = true}`) goes the same way: the fill joins the position,
  /// whose stop already covers it, and `stop`/`take` (the combined ones) replace the old.
  public func enter(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, clientOrderID: String,
    instrument: InstrumentSpec
  ) throws -> EntryOutcome {
    let order = Order(
      symbol: symbol, buy: side == .long, qty: instrument.format(qty: qty), id: clientOrderID,
      reduceOnly: false)
    guard let placed = try place(order) else { return .unfilled(refusal(clientOrderID)) }
    return try protect(placed, stop: stop, take: take, instrument: instrument)
  }

  /// After a restart, an entry whose order row says `submitting`: asked for by its id. Found:
  /// its fill awaited and the stop ensured; not found: it never left, and is not sent here.
  public func resumeEntry(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, clientOrderID: String,
    instrument: InstrumentSpec
  ) throws -> EntryOutcome {
    guard let found = try lookUp(clientOrderID, symbol: symbol, attempts: timing.resolveAttempts)
    else { return .unfilled("\(clientOrderID) never reached the exchange; not sent late") }
    return try protect(found, stop: stop, take: take, instrument: instrument)
  }

  /// Closes the whole position of `symbol` at market (reduce-only). nil when it was already flat.
  public func exit(symbol: String, clientOrderID: String, instrument: InstrumentSpec) throws
    -> LiveFill?
  {
    try reduce(symbol: symbol, qty: nil, clientOrderID: clientOrderID, instrument: instrument)
  }

  /// Moves the stop (a trailing step). A refusal keeps the previous stop and is recorded.
  @discardableResult
  public func moveStop(
    symbol: String, to stop: Double, clientID: String, instrument: InstrumentSpec
  )
    -> Bool
  {
    do {
      let position = try gateway.position(symbol: symbol)
      guard position.isOpen else { return false }
      try gateway.setStop(
        symbol: symbol, position: position, stop: instrument.format(price: stop),
        take: position.take.map { instrument.format(price: $0) }, clientID: clientID)
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

  // MARK: - Protection

  func protect(
    _ placed: GatewayOrder, stop: Double?, take: Double?, instrument: InstrumentSpec
  ) throws -> EntryOutcome {
    let id = placed.clientOrderID
    guard let fill = try awaitFill(placed) else {
      let o = inbox.order(id)
      return .unfilled(
        "\(id) ended \(o?.state.rawValue ?? "unknown") with nothing filled"
          + (o?.reason.map { ": \($0)" } ?? ""))
    }
    guard let stop else { return .protected(fill, stop: nil, take: take) }
    let stopPrice = instrument.roundPrice(stop)
    let takePrice = take.map(instrument.roundPrice)
    if let problem = ensureStop(
      symbol: placed.symbol, stop: stopPrice, take: takePrice, clientID: id, instrument: instrument)
    {
      incidents.incident(
        kind: LiveIncident.stopNotPlaced, symbol: placed.symbol, detail: "\(id): \(problem)")
      let exit = try panicClose(
        symbol: placed.symbol, clientOrderID: OrderLinkID.sibling(of: id, role: .panic),
        instrument: instrument, reason: problem)
      return .panicClosed(
        fill, exit: exit ?? LiveFill(orderLinkId: "", qty: 0, price: 0, fee: 0), reason: problem)
    }
    return .protected(fill, stop: stopPrice, take: takePrice)
  }

  /// Puts the stop (and take) on and checks that the exchange shows it. nil on success, else
  /// what went wrong (the caller closes at market).
  public func ensureStop(
    symbol: String, stop: Double, take: Double?, clientID: String, instrument: InstrumentSpec
  ) -> String? {
    let deadline = Date().addingTimeInterval(timing.stopVerifyTimeout)
    do {
      var position = try gateway.position(symbol: symbol)
      if !position.isOpen { return nil }  // already closed (stop or take hit): nothing to protect
      if let sl = position.stop, instrument.samePrice(sl, stop) { return nil }
      try gateway.setStop(
        symbol: symbol, position: position, stop: instrument.format(price: stop),
        take: take.map { instrument.format(price: $0) }, clientID: clientID)
      while true {
        position = try gateway.position(symbol: symbol)
        if !position.isOpen { return nil }
        if let sl = position.stop, instrument.samePrice(sl, stop) { return nil }
        guard Date() < deadline else { break }
        Thread.sleep(forTimeInterval: min(timing.pollInterval, 0.25))
      }
      return
        "the stop \(instrument.format(price: stop)) is not on the exchange after \(timing.stopVerifyTimeout) s"
    } catch {
      return "setting the stop \(instrument.format(price: stop)) failed: \(error)"
    }
  }

  /// Closes at market after a failed stop; records the incident either way.
  public func panicClose(
    symbol: String, clientOrderID: String, instrument: InstrumentSpec, reason: String
  ) throws -> LiveFill? {
    do {
      let exit = try self.exit(symbol: symbol, clientOrderID: clientOrderID, instrument: instrument)
      incidents.incident(
        kind: LiveIncident.panicClose, symbol: symbol,
        detail: "closed at market (\(clientOrderID)) because \(reason)"
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

  struct Order {
    var symbol: String
    var buy: Bool
    var qty: String
    var id: String
    var reduceOnly: Bool
  }

  func refusal(_ id: String) -> String {
    inbox.order(id)?.reason.map { "\(id) was refused: \($0)" } ?? "\(id) was not placed"
  }

  /// Sends the order once; an unknown outcome is resolved by its id. Returns the exchange's
  /// order, or nil when it certainly does not exist. `send` places it (a market order unless
  /// given: a resting limit order goes through the same rules).
  func place(_ order: Order, send: (() throws -> GatewayOrder)? = nil) throws -> GatewayOrder? {
    var sends = 0
    while true {
      sends += 1
      do {
        let o =
          try send?()
          ?? gateway.placeMarket(
            symbol: order.symbol, buy: order.buy, qty: order.qty, clientOrderID: order.id,
            reduceOnly: order.reduceOnly)
        inbox.apply(o)
        return inbox.order(order.id) ?? o
      } catch LiveOrderError.duplicate(let why) {
        // Sent before (a retry after a crash or a lost answer): the first order stands.
        if let o = try lookUp(order.id, symbol: order.symbol, attempts: timing.resolveAttempts) {
          return o
        }
        throw LiveOrderError.unknownOutcome(
          "\(order.id) is a duplicate (\(why)), yet the exchange lists no such order")
      } catch LiveOrderError.rejected(let why) {
        inbox.apply(
          GatewayOrder(
            clientOrderID: order.id, symbol: order.symbol, state: .rejected, filledQty: 0,
            avgPrice: 0, fee: 0, updated: .max, reason: why))
        return nil
      } catch LiveOrderError.unavailable(let why) {
        inbox.apply(
          GatewayOrder(
            clientOrderID: order.id, symbol: order.symbol, state: .notSent, filledQty: 0,
            avgPrice: 0, fee: 0, updated: 0, reason: why))
        return nil
      } catch LiveOrderError.unknownOutcome(let why) {
        if let o = try lookUp(order.id, symbol: order.symbol, attempts: timing.resolveAttempts) {
          return o
        }
        // Not found after several queries: it never arrived. Sending again is safe because the
        // exchange refuses a second order with this id; after that, stop guessing.
        guard sends < 2 else {
          incidents.incident(
            kind: LiveIncident.orderOutcomeUnknown, symbol: order.symbol,
            detail: "\(order.id): \(why); not found by its client order id")
          throw LiveOrderError.unknownOutcome(why)
        }
      }
    }
  }

  /// The order by its id, from the stream if it has it, else from REST, a few times.
  func lookUp(_ id: String, symbol: String, attempts: Int) throws -> GatewayOrder? {
    for attempt in 0..<max(1, attempts) {
      if let o = inbox.order(id), o.state != .notSent { return o }
      if let o = try gateway.order(clientOrderID: id, symbol: symbol) {
        inbox.apply(o)
        return inbox.order(id) ?? o
      }
      if attempt + 1 < attempts { Thread.sleep(forTimeInterval: timing.pollInterval) }
    }
    return nil
  }

  /// Waits for the order's final state, from the stream or by polling; nil if nothing filled.
  func awaitFill(_ placed: GatewayOrder) throws -> LiveFill? {
    let id = placed.clientOrderID
    let deadline = Date().addingTimeInterval(timing.fillTimeout)
    var current = inbox.order(id) ?? placed
    var lastPoll = Date.distantPast
    while !current.isFinal, Date() < deadline {
      if inbox.waitFinal(id, timeout: timing.pollInterval), let o = inbox.order(id) {
        current = o
        break
      }
      // REST is the fallback while the stream is down, and a slower safety net while it is up.
      let every = inbox.streamUp ? timing.pollInterval * 4 : timing.pollInterval
      if Date().timeIntervalSince(lastPoll) >= every {
        lastPoll = Date()
        if let o = try gateway.order(clientOrderID: id, symbol: placed.symbol) { inbox.apply(o) }
      }
      current = inbox.order(id) ?? current
    }
    return current.fill
  }
}
