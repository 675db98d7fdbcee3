import WickCore
import WickData

extension Runner {
  /// Ends a session cleanly (`--stop-after`, SIGTERM): no order is left `submitting`, which
  /// means "in flight at a crash". Returns what was resolved, one line per order.
  ///
  /// - Paper: an order decided on the last candle waits for the next candle's open. It stays
  ///   `pending`: a resumed run backfills the candles it missed and fills it at the open right
  ///   after its decision, exactly as an uninterrupted run (and `wick replay`) does; a run never
  ///   resumed shows it `pending`, never filled.
  /// - Live: every order was sent before its candle ended. Its outcome is asked of the exchange
  ///   by its client order id and written as the exchange reports it (`filled`, `cancelled`,
  ///   `rejected`), or `not_sent` when the exchange has no such order; a filled one reaches the
  ///   book at the resumed run's first candle, as after a crash. A resting limit entry is
  ///   cancelled first (a fill with no runner watching would have no stop). An order the
  ///   exchange cannot be asked about stays `submitting`, resolved by the next start.
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
