import Foundation
import WickCore
import WickRisk

/// What one reconciliation found and did.
public struct LiveReconcileReport: Sendable, Equatable {
  /// Symbols whose exchange state contradicts the ledger: trading stops until a human looks.
  public var halts: [String: String] = [:]
  /// Symbols whose stop was missing (or not the ledger's) and was put back.
  public var restoredStops: [String] = []
  /// Symbols the ledger holds open but the exchange shows flat, with the exchange's last fill.
  public var closedOnExchange: [String: LiveFill?] = [:]
  /// Symbols closed at market because their stop could not be restored.
  public var panicClosed: [String] = []

  public init() {}

  public var isClean: Bool {
    halts.isEmpty && restoredStops.isEmpty && closedOnExchange.isEmpty && panicClosed.isEmpty
  }
}

/// The reconciliation rules, written once for every `LiveGateway`: the ledger's positions are
/// compared with the exchange's (at start and every 30 s). A missing stop is put back (or the
/// position closed at market when it cannot be); a position or order Wick does not know, or a
/// size or side that differs, halts the symbol with an incident. Nothing found on the exchange
/// is ever adopted into the ledger.
public final class LiveReconciler: @unchecked Sendable {
  public let executor: LiveExecutor
  public var run: Int64

  public init(executor: LiveExecutor, run: Int64) {
    self.executor = executor
    self.run = run
  }

  public func reconcile(
    local: [LocalPosition], symbols: [String], instruments: [String: InstrumentSpec]
  ) throws -> LiveReconcileReport {
    let gateway = executor.gateway
    let incidents = executor.incidents
    var report = LiveReconcileReport()
    let mine = Dictionary(local.map { ($0.symbol, $0) }, uniquingKeysWith: { a, _ in a })
    for symbol in symbols {
      guard let instrument = instruments[symbol] else { continue }
      let remote = try gateway.position(symbol: symbol)
      switch (mine[symbol], remote.isOpen) {
      case (nil, false):
        // Flat on both sides: Wick's conditional orders left behind protect nothing.
        try gateway.clearStops(symbol: symbol, prefix: OrderLinkID.runPrefix(run))
      case (nil, true):
        let why =
          "the exchange holds \(remote.side == .long ? "long" : "short") \(instrument.format(qty: remote.size)) \(symbol) that Wick did not open; not adopted, trading halted"
        report.halts[symbol] = why
        incidents.incident(kind: LiveIncident.unknownPosition, symbol: symbol, detail: why)
      case (let h?, false):
        let last = try? gateway.lastFill(symbol: symbol)
        report.closedOnExchange.updateValue(last, forKey: symbol)
        try? gateway.clearStops(symbol: symbol, prefix: OrderLinkID.runPrefix(run))
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
        guard let stop = h.stop.map(instrument.roundPrice) else { break }
        if let sl = remote.stop, instrument.samePrice(sl, stop) { break }
        if let problem = executor.ensureStop(
          symbol: symbol, stop: stop, take: h.take, clientID: h.entryLinkID, instrument: instrument)
        {
          incidents.incident(
            kind: LiveIncident.stopNotPlaced, symbol: symbol, detail: "reconciliation: \(problem)")
          _ = try executor.panicClose(
            symbol: symbol, clientOrderID: OrderLinkID.sibling(of: h.entryLinkID, role: .panic),
            instrument: instrument, reason: problem)
          report.panicClosed.append(symbol)
        } else {
          report.restoredStops.append(symbol)
          incidents.incident(
            kind: LiveIncident.stopRestored, symbol: symbol,
            detail:
              "the stop was \(remote.stop.map { instrument.format(price: $0) } ?? "missing"); set to \(instrument.format(price: stop))"
          )
        }
      }
      // Market orders never rest and Wick's stops carry its run's prefix: anything else is
      // someone else's, or one Wick lost track of.
      for o in try gateway.foreignOrders(symbol: symbol, prefix: OrderLinkID.runPrefix(run)) {
        let why = "open order \(o) is not Wick's; trading halted"
        report.halts[symbol] = report.halts[symbol] ?? why
        incidents.incident(kind: LiveIncident.unknownOrder, symbol: symbol, detail: why)
      }
    }
    return report
  }
}
