import Foundation
import WickCore
import WickData
import WickSim

/// The live venue's resting limit and post-only entries (`ctx:enter{limit = ...}`), over a
/// gateway that conforms to `LiveRestingGateway`:
///
/// - `send()` places each under the client id the journal wrote ahead; a post-only order the
///   exchange refuses because it would cross becomes the refusal `post_only_would_cross`.
/// - Between candles (the heartbeat) the stream's updates, with REST as the fallback, are read:
///   any new fill, partial too, gets the stop on the position at once, verified (else the
///   position is closed at market); an order that ended is booked at the next candle.
/// - At each candle, `expire = n` cancels an order that has rested n candles of its symbol; a
///   fill that beats the cancel is booked instead, once. `ctx:cancel` cancels on the exchange
///   the same way. A partly filled order is booked when it ends (filled, cancelled, expired),
///   its filled part protected from the first fill.
/// - Re-handling recorded candles (a resume, `wick replay`): fills come from the ledger at the
///   candle they were booked at; then what still rests is looked up by its id: working, it is
///   tracked again; filled while the runner was down, it is protected and booked once; never
///   placed, it is sent only while its candle is current.
struct RestingEntries {
  /// Per symbol: the resting entry sent (or, re-handling, recorded as sent).
  var orders: [LiveRestingOrder?] = []
  /// Orders that ended between candles, with how: booked at the next `execute`.
  var ended: [(order: LiveRestingOrder, outcome: EntryOutcome)] = []
  /// Placements the exchange refused: reported at the next `execute`.
  var refused: [(symbol: Int, refusal: Refusal)] = []
  var lastPoll = Date.distantPast
  var count = 0

  mutating func reset(symbols n: Int) {
    orders = Array(repeating: nil, count: n)
    ended.removeAll()
    refused.removeAll()
    count = 0
  }

  mutating func set(_ s: Int, _ order: LiveRestingOrder?) {
    count += (order == nil ? 0 : 1) - (orders[s] == nil ? 0 : 1)
    orders[s] = order
  }
}

extension GatewayVenue {
  /// `.limitOrders` when the adapter can rest orders.
  public var restingCapabilities: VenueCapabilities {
    gateway is LiveRestingGateway ? .limitOrders : []
  }

  /// Polling REST for resting orders: often while the stream is down, else as a slow safety net.
  private var restingPollInterval: TimeInterval {
    gateway.inbox.streamUp ? max(10, executor.timing.pollInterval) : executor.timing.pollInterval
  }

  // MARK: - Kernel calls

  /// The resting entry of `symbol` as `ctx:orders` lists it: recorded this candle or resting.
  public func restingOrder(symbol s: Int) -> RestingOrder? {
    let entry: EntryOrder
    var left: Int?
    if recordedEntries.indices.contains(s), let recorded = recordedEntries[s],
      recorded.intent.limit != nil
    {
      entry = recorded
      left = recorded.intent.expire
    } else if let r = resting.orders.indices.contains(s) ? resting.orders[s] : nil {
      entry = r.entry
      left = r.candlesLeft
    } else {
      return nil
    }
    return RestingOrder(
      symbol: s, side: entry.intent.side, qty: entry.qty, price: entry.intent.limit ?? 0,
      postOnly: entry.intent.postOnly, candlesLeft: left, placedAt: entry.decidedAt,
      add: entry.intent.add)
  }

  /// An entry resting or ended and not yet booked.
  func hasRestingEntry(symbol s: Int) -> Bool {
    resting.orders[s] != nil || resting.ended.contains { $0.order.entry.intent.symbol == s }
      || resting.refused.contains { $0.symbol == s }
  }

  /// Resting entries count toward position limits as if filled (adds excepted, as in the
  /// simulation).
  var restingPending: Int {
    guard resting.count > 0 || !resting.ended.isEmpty else { return 0 }
    return resting.orders.reduce(0) { $0 + ($1 == nil || $1!.entry.intent.add ? 0 : 1) }
      + resting.ended.count
  }

  /// Symbols whose exchange position may hold a resting order's fill the book does not have
  /// yet: reconciliation leaves them alone until the fill is booked. A resting entry on a flat
  /// symbol may fill at any moment (between this check and the position's read), so its symbol
  /// waits too; one that adds to an open position is reconciled once it has filled nothing.
  var restingBusy: Set<String> {
    var busy = Set(resting.ended.map(\.order.symbol))
    for case let r? in resting.orders where r.protectedQty > 0 || !r.entry.intent.add {
      busy.insert(r.symbol)
    }
    return busy
  }

  // MARK: - Sending

  /// Places a limit entry the journal has committed (`send()`).
  func sendResting(_ entry: EntryOrder, id: String) {
    let s = entry.intent.symbol
    let name = book.symbols[s]
    let order = LiveRestingOrder(entry: entry, clientOrderID: id, symbol: name)
    do {
      switch try executor.placeResting(order, instrument: try instrument(name)) {
      case .resting(let placed):
        resting.set(s, order)
        gateway.inbox.apply(placed)
        checkResting(poll: false)
      case .refused(let refusal):
        resting.refused.append((s, refusal))
      }
    } catch {
      // The outcome stayed unknown after every lookup: stop trading the symbol and keep
      // tracking the id; reconciliation finds whatever the exchange holds.
      resting.set(s, order)
      halted[name] = "\(id): \(error)"
      incidents.incident(
        kind: "entry_failed", symbol: name, detail: "\(id): \(error); trading halted")
    }
  }

  /// Re-handling a recorded candle: the entry rests as it did; the ledger knows how it ended.
  func replayResting(_ entry: EntryOrder, id: String, history: LiveHistory) {
    let s = entry.intent.symbol
    if let why = history.refusal(id) {
      let code =
        why.contains("would have taken liquidity") ? "post_only_would_cross" : "exchange_refused"
      resting.refused.append((s, Refusal(code, why)))
      return
    }
    resting.set(s, LiveRestingOrder(entry: entry, clientOrderID: id, symbol: book.symbols[s]))
  }

  // MARK: - Tracking

  /// Reads the resting orders' states (the stream's; REST when `poll` or when due) and acts on
  /// them: a new fill is protected at once, an order that ended waits for the next candle.
  func checkResting(poll force: Bool) {
    guard history == nil, resting.count > 0 else { return }
    let poll = force || Date().timeIntervalSince(resting.lastPoll) >= restingPollInterval
    if poll { resting.lastPoll = Date() }
    for s in resting.orders.indices {
      guard var order = resting.orders[s] else { continue }
      do {
        guard let state = try executor.restingState(order, poll: poll) else { continue }
        let rules = try instrument(order.symbol)
        if let panic = try executor.protectRestingFill(&order, filled: state, instrument: rules) {
          let final = executor.gateway.inbox.order(order.clientOrderID) ?? state
          end(s, order, executor.restingOutcome(order, final: final, panic: panic))
          continue
        }
        resting.orders[s] = order
        if state.isFinal { end(s, order, executor.restingOutcome(order, final: state, panic: nil)) }
      } catch {
        incidents.incident(
          kind: "resting_order_check_failed", symbol: order.symbol,
          detail: "\(order.clientOrderID): \(error); checked again shortly")
      }
    }
  }

  private func end(_ s: Int, _ order: LiveRestingOrder, _ outcome: EntryOutcome) {
    resting.set(s, nil)
    resting.ended.append((order, outcome))
  }

  /// At candle `time`: books what ended, then counts the candle against each resting entry's
  /// `expire` (for the symbols in `slice`), cancelling those whose time is up.
  func executeResting(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    for (s, refusal) in resting.refused {
      book.listener?.venueRefused(refusal, symbol: s, time: time)
    }
    resting.refused.removeAll()
    if let history {
      for s in resting.orders.indices {
        guard let order = resting.orders[s], let fill = history.fill(order.clientOrderID),
          history.fillTime(order.clientOrderID) == time
        else { continue }
        let rules = instruments[order.symbol]
        resting.set(s, nil)
        resting.ended.append(
          (
            order,
            .protected(
              fill, stop: order.entry.intent.stop.map { rules?.roundPrice($0) ?? $0 },
              take: order.entry.intent.take.map { rules?.roundPrice($0) ?? $0 })
          ))
      }
    } else {
      checkResting(poll: true)
    }
    bookEnded(time: time)
    guard resting.count > 0 else { return }
    for c in slice {
      let s = c.symbol
      guard var order = resting.orders[s], let left = order.candlesLeft else { continue }
      if left > 1 {
        order.candlesLeft = left - 1
        resting.orders[s] = order
        continue
      }
      if history != nil {
        resting.set(s, nil)
        expired(s, time: time)
      } else {
        finish(s, order, status: "expired", time: time)
      }
    }
    bookEnded(time: time)
  }

  private func bookEnded(time: Int64) {
    let ended = resting.ended
    resting.ended.removeAll()
    for (order, outcome) in ended { apply(order.entry, outcome, time: time) }
  }

  private func expired(_ s: Int, time: Int64) {
    book.countLimitOrder(expired: 1)
    book.listener?.limitOrderEnded(symbol: s, status: "expired", time: time)
  }

  /// Cancels a resting entry on the exchange (`expire`, `ctx:cancel`). True when it ended with
  /// nothing filled; a fill that won the race is protected and booked at the next candle.
  @discardableResult
  private func finish(_ s: Int, _ order: LiveRestingOrder, status: String, time: Int64) -> Bool {
    var order = order
    do {
      let final = try executor.cancelResting(order)
      guard let final, final.filledQty > 0 else {
        resting.set(s, nil)
        if status == "expired" { expired(s, time: time) }
        return true
      }
      let rules = try instrument(order.symbol)
      let panic = try executor.protectRestingFill(&order, filled: final, instrument: rules)
      end(s, order, executor.restingOutcome(order, final: final, panic: panic))
      return false
    } catch {
      // Still working, or the exchange cannot be asked: keep tracking it; the next check books
      // whatever it comes to.
      incidents.incident(
        kind: "cancel_failed", symbol: order.symbol,
        detail: "\(order.clientOrderID): \(error); the order is tracked until it ends")
      return false
    }
  }

  /// `ctx:cancel` (or `ctx:exit` with no position) on a resting entry. Re-handling a recorded
  /// candle, the ledger says whether the cancel won: the order never filled.
  func cancelResting(symbol s: Int) -> Bool {
    guard let order = resting.orders[s] else { return false }
    if let history {
      guard history.fill(order.clientOrderID) == nil else { return false }
      resting.set(s, nil)
      return true
    }
    return finish(s, order, status: "cancelled", time: decisionTime)
  }

  /// Reconciliation's part: the run's own working orders on the exchange are matched to the
  /// entries tracked here. One Wick lost track of (no entry rests under its id) is cancelled,
  /// never adopted, with an incident; orders of other prefixes are the reconciler's (they halt
  /// the symbol).
  func reconcileResting(symbols: [String]) {
    guard let gateway = gateway as? LiveRestingGateway else { return }
    let tracked = Set(resting.orders.compactMap { $0?.clientOrderID })
    for name in symbols {
      do {
        for o in try gateway.openOrders(symbol: name, prefix: OrderLinkID.runPrefix(run))
        where !tracked.contains(o.clientOrderID) {
          let done = (try? gateway.cancelOrder(clientOrderID: o.clientOrderID, symbol: name))
          incidents.incident(
            kind: "orphan_order", symbol: name,
            detail:
              "\(o.clientOrderID) works on the exchange but no entry of this run rests under it; "
              + (done == true ? "cancelled, not adopted" : "its cancel failed; not adopted"))
        }
      } catch {
        incidents.incident(
          kind: "reconcile_failed", symbol: name, detail: "listing open orders: \(error)")
      }
    }
  }

  /// A clean end (`--stop-after`, SIGTERM) withdraws a resting entry from the exchange: a fill
  /// while no runner watches would have no stop. Returns the order's state for its ledger row
  /// (`cancelled`; `filled` when something filled, which is under its stop now and booked by
  /// the next start; `not_sent`), or nil when no entry rests under `clientOrderID`.
  public func withdrawResting(clientOrderID: String) -> LiveOrderState? {
    guard history == nil,
      let s = resting.orders.firstIndex(where: { $0?.clientOrderID == clientOrderID }),
      var order = resting.orders[s]
    else { return nil }
    do {
      guard let final = try executor.cancelResting(order) else { return .notSent }
      if final.filledQty > 0 {
        _ = try executor.protectRestingFill(
          &order, filled: final, instrument: try instrument(order.symbol))
      }
      return final.state
    } catch {
      incidents.incident(
        kind: "cancel_failed", symbol: order.symbol,
        detail: "\(clientOrderID): \(error); the order may still rest on the exchange")
      return nil
    }
  }

  // MARK: - Resuming

  /// After re-handling the recorded candles: each entry still resting is looked up by its id.
  /// Found, it is tracked again (a fill while the runner was down is protected now and booked
  /// at the next candle); not found, it never left and is placed only while its candle is
  /// current.
  func resumeResting(lateWindow: Int64) {
    for s in resting.orders.indices {
      guard let order = resting.orders[s] else { continue }
      do {
        if let found = try executor.lookUp(
          order.clientOrderID, symbol: order.symbol, attempts: executor.timing.resolveAttempts)
        {
          gateway.inbox.apply(found)
          continue
        }
        resting.set(s, nil)
        if lateWindow > 0, gateway.serverNow() < order.entry.decidedAt &+ lateWindow {
          sendResting(order.entry, id: order.clientOrderID)
        } else {
          resting.refused.append(
            (
              s,
              Refusal(
                "exchange_refused",
                "\(order.clientOrderID) never reached the exchange; not sent late")
            ))
        }
      } catch {
        halted[order.symbol] = "\(order.clientOrderID): \(error)"
        incidents.incident(
          kind: "resume_failed", symbol: order.symbol,
          detail: "\(order.clientOrderID): \(error); trading halted")
      }
    }
    checkResting(poll: true)
  }
}
