import Foundation
import NIOCore

/// The server-sent events of a run's page. Every `pollInterval` it reads what the runner
/// appended after the cursor and sends it as page fragments:
///
///     event: decision   (new signals/intents/fills/exits; refusals go to their own table)
///     event: fill
///     event: equity     (the redrawn equity and drawdown charts)
///     event: incident / governor
///     event: state      (status, positions, controls, risk, script, commands: those that changed)
///
/// Each event's data is `{"patches":[{"target":"positions","mode":"replace","html":"…"}]}` and
/// its id the cursor after it, so a reconnecting browser resumes where it was. A stream ends
/// after `lifetime`; EventSource reconnects by itself, which also bounds what a forgotten tab
/// holds open. It also ends when the client goes away (its next write fails, or the connection
/// handler cancels it) and when the server stops.
struct LiveStream: Sendable {
  let store: DashboardStore
  let run: Int64
  let pollInterval: Duration
  let lifetime: Duration
  /// The controls as this visitor may use them (they change when the run pauses or halts).
  let controls: @Sendable (RunDetail) -> String

  struct Patch {
    var target: String
    /// replace | prepend
    var mode: String
    var html: String
  }

  func body(from start: LiveCursor) -> Response.Body {
    .stream { writer in
      var cursor = start
      var shown: [String: String] = [:]
      let clock = ContinuousClock()
      let deadline = clock.now.advanced(by: lifetime)
      var quiet = 0
      try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
      while true {
        var sent = false
        let changes = try store.changes(run: run, after: cursor)
        if !changes.isEmpty {
          for (event, patches) in Self.events(changes, store: store, run: run) {
            try await writer.write(
              Self.frame(event: event, id: changes.cursor.text, patches: patches))
          }
          cursor = changes.cursor
          sent = true
        }
        if let detail = try store.run(run, history: false) {
          // Only the fragments that changed since the last state event (all of them first).
          let changed = Self.statePatches(detail, controls: controls).filter {
            shown[$0.target] != $0.html
          }
          if !changed.isEmpty {
            for p in changed { shown[p.target] = p.html }
            try await writer.write(Self.frame(event: "state", id: cursor.text, patches: changed))
            sent = true
          }
        }
        quiet = sent ? 0 : quiet + 1
        // A comment now and then keeps proxies and phones from closing an idle stream.
        if quiet > 0, quiet % 15 == 0 { try await writer.write(ByteBuffer(string: ": idle\n\n")) }
        if clock.now >= deadline { break }
        try await Task.sleep(for: pollInterval)
      }
    }
  }

  static func events(_ c: LiveChanges, store: DashboardStore, run: Int64) -> [(String, [Patch])] {
    var out: [(String, [Patch])] = []
    func add(_ event: String, _ patches: [Patch?]) {
      let present = patches.compactMap { $0 }
      if !present.isEmpty { out.append((event, present)) }
    }
    add(
      "decision",
      [
        prepended("signals", c.decisions.filter { $0.kind != "refusal" }, RunPage.decisionRow),
        prepended("refusals", c.decisions.filter { $0.kind == "refusal" }, RunPage.decisionRow),
      ])
    add("fill", [prepended("fills", c.fills, RunPage.fillRow)])
    if c.equityRows > 0, let series = try? store.equitySeries(run: run) {
      add("equity", [Patch(target: "equity-chart", mode: "replace", html: RunPage.charts(series))])
    }
    add("incident", [prepended("incidents", c.incidents, RunPage.eventRow)])
    add("governor", [prepended("governor", c.governorEvents, RunPage.eventRow)])
    return out
  }

  /// New rows of one table, newest first on the page: prepended in reverse order of arrival.
  static func prepended<Row>(_ target: String, _ rows: [Row], _ html: (Row) -> String) -> Patch? {
    rows.isEmpty
      ? nil : Patch(target: target, mode: "prepend", html: rows.reversed().map(html).joined())
  }

  static func statePatches(_ d: RunDetail, controls: (RunDetail) -> String) -> [Patch] {
    [
      Patch(target: "controls", mode: "replace", html: controls(d)),
      Patch(target: "run-status", mode: "replace", html: RunPage.status(d)),
      Patch(target: "positions", mode: "replace", html: RunPage.positions(d)),
      Patch(target: "risk", mode: "replace", html: RunPage.risk(d)),
      Patch(target: "script", mode: "replace", html: RunPage.script(d)),
      Patch(target: "commands", mode: "replace", html: RunPage.commands(d)),
    ]
  }

  /// One SSE frame; the JSON is on one `data:` line (it has no raw newlines).
  static func frame(event: String, id: String, patches: [Patch]) -> ByteBuffer {
    let json = JSONValue.object([
      (
        "patches",
        .array(
          patches.map {
            .object([
              ("target", .string($0.target)), ("mode", .string($0.mode)),
              ("html", .string($0.html)),
            ])
          })
      )
    ]).json
    return ByteBuffer(string: "event: \(event)\nid: \(id)\ndata: \(json)\n\n")
  }
}
