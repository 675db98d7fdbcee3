import WickCore
import WickData

extension Runner {
  /// The decision kind recording that a clean end booked the last send (`bookLastSend`).
  static let settleNote = "settle"

  /// Ends a session cleanly: books what the last candle's send produced, then leaves no order
  /// `submitting`. Returns what was resolved, one line per order.
  func endCleanly() throws -> [String] {
    try bookLastSend()
    return try settleInFlight()
  }

  /// A decision made at candle `t` is sent at `t`'s close, and the next candle's `execute` books
  /// its outcome at that candle's open `t + timeframe`. A clean end has no next candle, so it
  /// books the outcome now, at the same time `t + timeframe`: a `settle` note (recorded after
  /// candle `t`, `{"at": t + timeframe}`), then the venue's bookings — fills, refusals, stops
  /// placed (`Venue.settleSent`) — and the state after them, in one transaction. The run's last
  /// candle stays `t`. A resume or `wick replay` re-handles candle `t`, meets the note among the
  /// notes recorded after it and settles again at the same point, comparing with the record
  /// instead of writing (`applySettle`); the resumed run's handling of `t + timeframe` then
  /// finds those orders booked and books them no second time.
  func bookLastSend() throws {
    guard let t = lastHandled, venue.hasUnbookedSends else { return }
    let at = t + spec.timeframe.milliseconds
    journal.note(time: t, kind: Self.settleNote, detail: DecisionJSON.object([("at", .int(at))]))
    venue.settleSent(time: at)
    try journal.commitSettled(time: at, lastCandle: t)
    try releaseClaims()  // a symbol the booking left flat is free for other runs
  }

  /// Re-applies a recorded `settle` note (after re-handling candle `t`): the venue books the last
  /// send again at the recorded time, compared with the record (the journal verifies up to it).
  func applySettle(_ n: RunLedger.Decision, after t: Int64) throws {
    guard
      let at = RecordedVenue.number("at", in: n.detailJSON).flatMap({ Int64(exactly: $0) }), at > t
    else {
      throw WickError.data("run \(runID): the settle note after \(UTCTime.iso(t)) has no time")
    }
    journal.note(time: t, kind: Self.settleNote, detail: n.detailJSON)
    let verifyUntil = journal.verifyUntil
    journal.verifyUntil = max(verifyUntil, at)
    defer { journal.verifyUntil = verifyUntil }
    venue.settleSent(time: at)
    try journal.commitSettled(time: at, lastCandle: t)
  }

  /// Ends a session cleanly (`--stop-after`, SIGTERM): no order is left `submitting`, which
  /// means "in flight at a crash". Returns what was resolved, one line per order.
  ///
  /// Runs after `bookLastSend`, so what is left is what it could not book:
  /// - Paper: a resting limit entry stays `pending` (a resumed run goes on checking it).
  /// - Live: an order whose outcome stayed unknown at its send (a timeout, an error). Its outcome
  ///   is asked of the exchange by its client order id and written as the exchange reports it
  ///   (`filled`, `cancelled`, `rejected`), or `not_sent` when the exchange has no such order; a
  ///   filled one reaches the book at the resumed run's first candle, as after a crash (it is
  ///   never sent twice: the resume finds it by its id). A resting limit entry is cancelled
  ///   first (a fill with no runner watching would have no stop). An order the exchange cannot
  ///   be asked about stays `submitting`, resolved by the next start.
  @discardableResult
  func settleInFlight() throws -> [String] {
    var lines: [String] = []
    for (id, symbol) in try ledger.inFlightOrders(run: runID) {
      let status: String
      if let live = venue as? LiveVenue {
        do {
          // Still working on the exchange (`submitting`): the next start resolves it.
          var state = try live.orderState(clientOrderID: id, symbol: symbol)
          // A resting limit entry is withdrawn: nothing would protect a fill while stopped.
          if state == .submitting, let gateway = live as? GatewayVenue,
            let withdrawn = gateway.withdrawResting(clientOrderID: id)
          {
            state = withdrawn
          }
          status = state.rawValue
        } catch {
          lines.append("\(id): unresolved (\(error)); the next start asks again")
          continue
        }
      } else {
        status = "pending"
      }
      guard status != "submitting" else { continue }
      try ledger.resolveInFlight(run: runID, clientOrderID: id, status: status)
      lines.append("\(id): \(status)")
    }
    return lines
  }
}
