import Foundation
import WickCore
import WickLive

/// What one reconciliation found and did.
public struct ReconcileReport: Sendable, Equatable {
  /// Symbols whose exchange state contradicts the ledger: trading stops until a human looks.
  public var halts: [String: String] = [:]
  /// Symbols whose stop was missing (or not the ledger's) and was put back.
  public var restoredStops: [String] = []
  /// Symbols the ledger holds open but the exchange shows flat (stop, take or liquidation while
  /// Wick was away), with the last fill on the exchange when it lists one.
  public var closedOnExchange: [String: BybitExecution?] = [:]
  /// Symbols closed at market because their stop could not be restored.
  public var panicClosed: [String] = []

  public var isClean: Bool {
    halts.isEmpty && restoredStops.isEmpty && closedOnExchange.isEmpty && panicClosed.isEmpty
  }
}

/// Compares the ledger with the exchange (at start and every 30 s): positions, their stops and
/// resting orders. A missing stop is put back; a position or order Wick does not know, or a
/// size or side that differs, halts the symbol with an incident. Nothing found on the exchange
/// is ever adopted into the ledger.
public final class BybitReconciler: @unchecked Sendable {
  public let executor: BybitExecutor
  public var run: Int64

  public init(executor: BybitExecutor, run: Int64) {
    self.executor = executor
    self.run = run
  }

  public func reconcile(
    local: [LocalPosition], symbols: [String], instruments: [String: BybitInstrument]
  ) throws -> ReconcileReport {
    let api = executor.api
    let incidents = executor.incidents
    var report = ReconcileReport()
    let mine = Dictionary(local.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
    for symbol in symbols {
      guard let instrument = instruments[symbol] else { continue }
      let remote = try api.position(symbol: symbol)
      executor.inbox.apply(remote)
      let held = mine[symbol]
      switch (held, remote.isOpen) {
      case (nil, false):
        break
      case (nil, true):
        let why =
          "the exchange holds \(remote.side == .long ? "long" : "short") \(instrument.format(qty: remote.size)) \(symbol) that Wick did not open; not adopted, trading halted"
        report.halts[symbol] = why
        incidents.incident(kind: LiveIncident.unknownPosition, symbol: symbol, detail: why)
      case (let h?, false):
        let last = try? api.executions(symbol: symbol).filter(\.isTrade).max { $0.time < $1.time }
        report.closedOnExchange.updateValue(last, forKey: symbol)
        incidents.incident(
          kind: LiveIncident.closedOnExchange, symbol: symbol,
          detail:
            "the ledger holds \(h.side.rawValue) \(instrument.format(qty: h.qty)) but the exchange is flat"
            + (last.map { " (last fill \(instrument.format(qty: $0.qty)) at \($0.price))" } ?? ""))
      case (let h?, true):
        if remote.side != h.side || !instrument.sameQty(remote.size, h.qty) {
          let why =
            "the ledger holds \(h.side.rawValue) \(instrument.format(qty: h.qty)), the exchange \(remote.side?.rawValue ?? "?") \(instrument.format(qty: remote.size)); trading halted"
          report.halts[symbol] = why
          incidents.incident(kind: LiveIncident.sizeMismatch, symbol: symbol, detail: why)
          continue
        }
        guard let stop = h.stop.map(instrument.roundPrice) else { continue }
        if let sl = remote.stopLoss, instrument.samePrice(sl, stop) { continue }
        if let problem = executor.ensureStop(
          symbol: symbol, stop: stop, take: h.take, instrument: instrument)
        {
          incidents.incident(
            kind: LiveIncident.stopNotPlaced, symbol: symbol, detail: "reconciliation: \(problem)")
          _ = try executor.panicClose(
            symbol: symbol, linkID: OrderLinkID.sibling(of: h.entryLinkID, role: .panic),
            instrument: instrument, reason: problem)
          report.panicClosed.append(symbol)
        } else {
          report.restoredStops.append(symbol)
          incidents.incident(
            kind: LiveIncident.stopRestored, symbol: symbol,
            detail:
              "the stop was \(remote.stopLoss.map { instrument.format(price: $0) } ?? "missing"); set to \(instrument.format(price: stop))"
          )
        }
      }
      // Market orders never rest: an open order is someone else's, or one Wick lost track of.
      for o in try api.openOrders(symbol: symbol)
      where !o.orderLinkId.hasPrefix(OrderLinkID.runPrefix(run)) {
        let why =
          "open order \(o.orderLinkId.isEmpty ? o.orderId : o.orderLinkId) (\(o.side.rawValue) \(instrument.format(qty: o.qty)), \(o.status)) is not Wick's; trading halted"
        report.halts[symbol] = report.halts[symbol] ?? why
        incidents.incident(kind: LiveIncident.unknownOrder, symbol: symbol, detail: why)
      }
    }
    return report
  }
}
