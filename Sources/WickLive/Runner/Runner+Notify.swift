import Foundation
import WickCore
import WickData

extension Runner {
  /// Hands the notification routes to the journal and queues the start (or resume) notice.
  func bindNotifications() throws {
    guard let routes = notifications else { return }
    let label = RunLedger.notifyLabel(
      run: runID, strategy: strategy.current.name, mode: spec.mode.rawValue)
    journal.notifications = routes
    journal.notifyLabel = label
    journal.onNotify = onNotify
    let what = resumed ? "resumed" : "started"
    let n = RunNotification(
      event: "start",
      text:
        "\(label) \(what): \(spec.symbols.joined(separator: ", ")) \(spec.timeframe), equity \(String(format: "%.2f", kernel.equity()))",
      fieldsJSON: DecisionJSON.object([
        ("resumed", .bool(resumed)), ("strategy", .string(strategy.current.name)),
        ("mode", .string(spec.mode.rawValue)), ("exchange", .string(spec.exchange)),
        ("symbols", .raw("[" + spec.symbols.map(DecisionJSON.quote).joined(separator: ",") + "]")),
        ("timeframe", .string(spec.timeframe.description)),
      ]))
    try ledger.enqueue(routes.entries(n, run: runID))
    onNotify?()
  }

  /// A halt that is not an incident (a `stop` command): positions stay under their stops.
  func notifyHalt(_ outcome: String, source: String) throws {
    journal.notify(
      RunNotification(
        event: "halt", text: "\(journal.notifyLabel) HALT: \(outcome) (\(source))",
        fieldsJSON: DecisionJSON.object([
          ("kind", .string("stop")), ("severity", .string("warning")),
          ("detail", .string(outcome)), ("source", .string(source)),
        ]),
        fallback: "incident"))
    try journal.flushIncidents()
  }

  /// Moves the process's request latencies into the ledger, where `wick serve` reads them, and
  /// records a `latency_breach` incident when the run's exchange answered slower than the limit.
  func flushRequestLatency() {
    try? ledger.addRequestLatency(RequestLatency.shared.drain())
    guard let watch = latencyWatch, journal != nil else { return }
    let now = Int64(Date().timeIntervalSince1970 * 1000)
    guard
      let detail = latencyWatch?.breach(RequestLatency.shared.takePeak(host: watch.host), now: now)
    else { return }
    journal.incident(time: now, kind: "latency_breach", detail: detail)
    output("warning: \(detail)")
    try? journal.flushIncidents()
  }
}
