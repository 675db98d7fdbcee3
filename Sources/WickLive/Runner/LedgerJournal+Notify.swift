import WickCore
import WickData

/// The journal's notifications: incidents, halts and fills become outbox rows in the same commit
/// as the rows they report, so a resume (which only verifies recorded candles) never repeats one
/// and a crash never loses one.
extension LedgerJournal {
  /// Incident kinds that stop a run or an account: sent as `halt` (or as `incident` to a sink
  /// that takes incidents but not halts).
  static let haltKinds: Set<String> = [
    "emergency_stop", RiskEvent.Kind.emergency.rawValue, RiskEvent.Kind.kill.rawValue,
    "strategy_error",
  ]
  /// Incidents that need a person now: a position may be unprotected or unknown.
  static let criticalKinds: Set<String> = [
    "stop_not_placed", "panic_close", "panic_close_failed", "unknown_position",
    "foreign_position", "pair_broken", "pair_leg_failed", "order_outcome_unknown",
    "flatten_failed", "resume_divergence", "resume_failed", "equity_drift",
  ]

  static func severity(_ kind: String) -> String {
    haltKinds.contains(kind) || criticalKinds.contains(kind) ? "critical" : "warning"
  }

  /// Queues a notification with the next commit (or flush).
  public func notify(_ n: RunNotification) {
    guard let routes = notifications else { return }
    queuedNotifications += routes.entries(n, run: run)
  }

  func notifyIncidents(_ events: [RunLedger.Event]) {
    guard notifications != nil else { return }
    for e in events {
      let severity = Self.severity(e.kind)
      let halt = Self.haltKinds.contains(e.kind)
      notify(
        RunNotification(
          event: halt ? "halt" : "incident",
          text:
            "\(notifyLabel) \(halt ? "HALT" : "incident") \(e.kind) [\(severity)]\(e.account.map { " \($0)" } ?? ""): \(e.detail)",
          fieldsJSON: DecisionJSON.object([
            ("kind", .string(e.kind)), ("severity", .string(severity)),
            ("account", e.account.map { .string($0) }), ("detail", .string(e.detail)),
            ("candle_time", .string(UTCTime.iso(e.time))),
          ]),
          fallback: halt ? "incident" : nil))
    }
  }

  func notifyEntry(_ p: Position, symbol: String, time: Int64) {
    guard notifications != nil else { return }
    notify(
      RunNotification(
        event: "fill",
        text:
          "\(notifyLabel) \(symbol) \(p.side.rawValue) entry: \(formatNumber(p.qty)) @ \(formatNumber(p.entry))\(p.stop.map { ", stop \(formatNumber($0))" } ?? "")\(p.take.map { ", take \(formatNumber($0))" } ?? "")",
        fieldsJSON: DecisionJSON.object([
          ("leg", .string("entry")), ("symbol", .string(symbol)),
          ("side", .string(p.side.rawValue)),
          ("qty", .number(p.qty)), ("price", .number(p.entry)), ("fee", .number(p.entryFees)),
          ("stop", p.stop.map { .number($0) }), ("take", p.take.map { .number($0) }),
          ("candle_time", .string(UTCTime.iso(time))),
        ])))
  }

  func notifyExit(_ t: Trade, symbol: String, time: Int64) {
    guard notifications != nil else { return }
    let pnl = (t.pnl >= 0 ? "+" : "") + formatNumber((t.pnl * 100).rounded() / 100)
    notify(
      RunNotification(
        event: "fill",
        text:
          "\(notifyLabel) \(symbol) \(t.side.rawValue) exit (\(t.exitReason.rawValue)): \(formatNumber(t.qty)) @ \(formatNumber(t.exitPrice)), PnL \(pnl)",
        fieldsJSON: DecisionJSON.object([
          ("leg", .string("exit")), ("symbol", .string(symbol)), ("side", .string(t.side.rawValue)),
          ("qty", .number(t.qty)), ("price", .number(t.exitPrice)), ("pnl", .number(t.pnl)),
          ("fees", .number(t.fees)), ("reason", .string(t.exitReason.rawValue)),
          ("entry_price", .number(t.entryPrice)), ("candle_time", .string(UTCTime.iso(time))),
        ])))
  }

  /// Moves the queued notifications into the batch about to be written; true when there were any.
  func takeNotifications(into batch: inout RunLedger.Commit) -> Bool {
    guard !queuedNotifications.isEmpty else { return false }
    batch.notifications += queuedNotifications
    queuedNotifications = []
    return true
  }
}
