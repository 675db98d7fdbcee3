import Foundation
import NIOHTTP1
import Testing

@testable import WickServer

/// The run page's server-sent events, read in process: rows the runner writes while the stream
/// is open arrive as events, and a reconnect resumes after the last event id.
@Suite struct LiveStreamTests {
  func dashboard(_ f: LedgerFixture) -> Dashboard {
    var settings = DashboardSettings(token: nil)
    settings.pollInterval = .milliseconds(50)
    // Long enough that the writes land while the stream is open even on a loaded machine (the
    // whole suite runs in parallel on two cores).
    settings.streamLifetime = .milliseconds(4000)
    return Dashboard(store: f.store, settings: settings)
  }

  /// Events of a stream as (event, id, data).
  static func events(_ body: String) -> [(event: String, id: String, data: String)] {
    body.components(separatedBy: "\n\n").compactMap { block in
      var event = ""
      var id = ""
      var data = ""
      for line in block.split(separator: "\n") {
        if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
        if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
        if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
      }
      return event.isEmpty ? nil : (event, id, data)
    }
  }

  @Test func rowsTheRunnerWritesArriveAsEvents() async throws {
    let f = try LedgerFixture()
    let start = try f.store.cursor(run: f.paperRun)
    let run = f.paperRun
    try await dashboard(f).onLoopback { client in
      // The "runner" writes while the stream is open, from a thread of its own: a Task waits
      // for the cooperative pool (two threads on two cores), which the rest of the suite can keep
      // busy past the stream's lifetime. The stream polls once more after its deadline, so a
      // write made 0.25 s in always arrives.
      let database = f.database
      let now = f.now
      let writer = ThreadOutcome()
      Thread {
        Thread.sleep(forTimeInterval: 0.25)
        writer.finish {
          try database.write { db in
            try db.execute(
              sql: """
                INSERT INTO decisions (run_id, seq, candle_time, kind, symbol, detail_json)
                VALUES (?, 3, ?, 'intent', 'BTCUSDT', '{"side":"short","why":"fresh-signal-42"}')
                """, arguments: [run, now])
            try db.execute(
              sql:
                "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, 9950)",
              arguments: [run, now])
            try db.execute(
              sql:
                "INSERT INTO incidents (run_id, time, kind, account, detail) VALUES (?, ?, 'order_rejected', 'main', 'exchange said no-777')",
              arguments: [run, now])
            try db.execute(
              sql:
                "INSERT INTO fills (order_id, time, price, qty, fee) VALUES ((SELECT MAX(id) FROM orders WHERE run_id = ?), ?, 50123.5, 0.25, 6.27)",
              arguments: [run, now])
            try db.execute(
              sql:
                "UPDATE positions SET active = 0, closed_at = ?, exit_price = 50123.5 WHERE run_id = ?",
              arguments: [now, run])
            try db.execute(sql: "UPDATE runs SET status = 'halted' WHERE id = ?", arguments: [run])
          }
        }
      }.start()
      let stream = try await client.execute(uri: "/runs/\(run)/events?after=\(start.text)")
      #expect(stream.status == .ok)
      #expect(stream.headers.first(name: "Content-Type") == "text/event-stream")
      let body = stream.text
      try await writer.wait()
      let events = Self.events(body)
      let names = Set(events.map(\.event))
      for name in ["state", "decision", "equity", "incident", "fill"] {
        #expect(names.contains(name), "no \(name) event in \(body.prefix(400))")
      }
      // #require, not `!`: a missing event fails this test instead of crashing the whole suite.
      #expect(
        try #require(events.first { $0.event == "decision" }).data.contains("fresh-signal-42"))
      #expect(
        try #require(events.first { $0.event == "incident" }).data.contains("exchange said no-777"))
      #expect(try #require(events.first { $0.event == "fill" }).data.contains("50123.5"))
      // The old decisions (seq 1, 2) were before the cursor: not sent again.
      #expect(!body.contains("cooling down after a loss"))
      // A state event shows the halt and no open positions.
      let states = events.filter { $0.event == "state" }.map(\.data)
      // The state at connect and after the halt — one state when a loaded machine started the
      // stream only after the thread's writes (its first state then shows the halt already).
      #expect(
        (1...2).contains(states.count), "the state at connect and after the halt: \(states.count)")
      #expect(states.last?.contains("s-halted") == true)
      #expect(states.last?.contains("No open positions.") == true)

      // A reconnect with the last event id starts after everything above.
      let lastID = try #require(events.last { $0.event != "state" }).id
      let again = try await client.execute(
        uri: "/runs/\(run)/events", headers: ["Last-Event-ID": lastID]
      ).text
      let resumed = Self.events(again).map(\.event)
      #expect(resumed == ["state"], "\(resumed)")
    }
  }

  @Test func cursorsRoundTripAndRejectGarbage() {
    var c = LiveCursor()
    c.decision = 12
    c.fill = 40
    c.equity = 310
    c.incident = 2
    #expect(LiveCursor(text: c.text) == c)
    #expect(LiveCursor(text: "1-2-3") == nil)
    #expect(LiveCursor(text: "a-b-c-d-e") == nil)
    #expect(LiveCursor(text: "1--2-3-4") == nil)
  }
}

/// What a plain thread's work came to, awaited without holding a pool thread.
final class ThreadOutcome: @unchecked Sendable {
  private let lock = NSLock()
  private var result: Result<Void, Error>?

  func finish(_ work: () throws -> Void) {
    let r = Result { try work() }
    lock.withLock { result = r }
  }

  func wait() async throws {
    while true {
      if let r = lock.withLock({ result }) { return try r.get() }
      try await Task.sleep(for: .milliseconds(10))
    }
  }
}
