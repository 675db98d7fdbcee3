import Foundation
import GRDB
import WickCore

/// What a run tells its owner: an incident, a halt, a fill, a daily summary, a start or resume.
/// The runner makes these; `NotificationRoutes` turns one into an outbox row per sink that wants
/// it, and the rows are written with what they report.
public struct RunNotification: Sendable, Equatable {
  /// incident | halt | fill | daily | start
  public var event: String
  /// Wall-clock time of the event (ms, UTC).
  public var time: Int64
  /// The human sentence.
  public var text: String
  /// The event's own fields, as a JSON object.
  public var fieldsJSON: String
  /// The event a sink gets when it does not take `event` (a halt is an incident too).
  public var fallback: String?
  /// Set for events sent once whatever happens (a daily summary); the sink's key is appended.
  public var dedupeKey: String?

  public init(
    event: String, time: Int64 = RunLedger.wallNow(), text: String, fieldsJSON: String = "{}",
    fallback: String? = nil, dedupeKey: String? = nil
  ) {
    self.event = event
    self.time = time
    self.text = text
    self.fieldsJSON = fieldsJSON
    self.fallback = fallback
    self.dedupeKey = dedupeKey
  }
}

/// Which sink takes which events (from `[notify]`): a notification goes to every sink that
/// takes its event, or else its fallback; each sink gets it at most once.
public struct NotificationRoutes: Sendable, Equatable {
  public struct Route: Sendable, Equatable {
    public var sink: String
    public var events: Set<String>
    public init(sink: String, events: Set<String>) {
      self.sink = sink
      self.events = events
    }
  }
  public var routes: [Route]
  public init(_ routes: [Route]) { self.routes = routes }

  public func entries(_ n: RunNotification, run: Int64?) -> [RunLedger.OutboxEntry] {
    routes.compactMap { r in
      let event: String
      if r.events.contains(n.event) {
        event = n.event
      } else if let f = n.fallback, r.events.contains(f) {
        event = f
      } else {
        return nil
      }
      return RunLedger.OutboxEntry(
        run: run, sink: r.sink, event: event, time: n.time, text: n.text,
        fieldsJSON: n.fieldsJSON, dedupeKey: n.dedupeKey.map { $0 + "|" + r.sink })
    }
  }
}

extension RunLedger {
  /// One notification for one sink, as queued.
  public struct OutboxEntry: Sendable, Equatable {
    public var id: Int64 = 0
    public var run: Int64?
    public var sink: String
    public var event: String
    public var time: Int64
    public var text: String
    public var fieldsJSON: String
    public var dedupeKey: String?
    public var attempts = 0
    public init(
      run: Int64?, sink: String, event: String, time: Int64, text: String, fieldsJSON: String,
      dedupeKey: String? = nil
    ) {
      self.run = run
      self.sink = sink
      self.event = event
      self.time = time
      self.text = text
      self.fieldsJSON = fieldsJSON
      self.dedupeKey = dedupeKey
    }
  }

  static func insertOutbox(_ entries: [OutboxEntry], db: Database) throws {
    for e in entries {
      try db.execute(
        sql: """
          INSERT OR IGNORE INTO notify_outbox (run_id, sink, event, time, text, fields_json, dedupe_key, next_attempt_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [e.run, e.sink, e.event, e.time, e.text, e.fieldsJSON, e.dedupeKey, 0])
    }
  }

  /// Queues notifications outside a candle's commit (a start, a daily summary). Returns how many
  /// rows were added (a dedupe key already queued adds none).
  @discardableResult
  public func enqueue(_ entries: [OutboxEntry]) throws -> Int {
    guard !entries.isEmpty else { return 0 }
    return try write { db in
      let before = db.totalChangesCount
      try Self.insertOutbox(entries, db: db)
      return db.totalChangesCount - before
    }
  }

  /// Pending rows due at `now` for these sinks (and runs, when given), oldest first.
  public func dueOutbox(sinks: [String], runs: [Int64]?, now: Int64, limit: Int = 50) throws
    -> [OutboxEntry]
  {
    guard !sinks.isEmpty else { return [] }
    var sql =
      "SELECT * FROM notify_outbox WHERE status = 'pending' AND next_attempt_at <= ? AND sink IN ("
      + sinks.map { _ in "?" }.joined(separator: ",") + ")"
    var args: [any DatabaseValueConvertible] = [now]
    args += sinks as [any DatabaseValueConvertible]
    if let runs {
      sql +=
        " AND (run_id IS NULL OR run_id IN (" + runs.map { _ in "?" }.joined(separator: ",")
        + "))"
      args += runs as [any DatabaseValueConvertible]
    }
    sql += " ORDER BY id LIMIT \(limit)"
    return try read { db in
      try Row.fetchAll(db, sql: sql, arguments: StatementArguments(args)).map { r in
        var e = OutboxEntry(
          run: r["run_id"], sink: r["sink"], event: r["event"], time: r["time"], text: r["text"],
          fieldsJSON: r["fields_json"], dedupeKey: r["dedupe_key"])
        e.id = r["id"]
        e.attempts = r["attempts"]
        return e
      }
    }
  }

  /// The earliest next attempt among pending rows for these sinks (nil: nothing pending).
  public func nextOutboxAttempt(sinks: [String]) throws -> Int64? {
    guard !sinks.isEmpty else { return nil }
    return try read { db in
      try Int64.fetchOne(
        db,
        sql: "SELECT MIN(next_attempt_at) FROM notify_outbox WHERE status = 'pending' AND sink IN ("
          + sinks.map { _ in "?" }.joined(separator: ",") + ")",
        arguments: StatementArguments(sinks))
    }
  }

  /// Marks a row after an attempt: delivered, to retry at `retryAt`, or failed for good.
  public func markOutbox(
    _ id: Int64, delivered: Bool, retryAt: Int64? = nil, error: String? = nil
  ) throws {
    try write { db in
      let status = delivered ? "delivered" : (retryAt == nil ? "failed" : "pending")
      try db.execute(
        sql: """
          UPDATE notify_outbox SET status = ?, attempts = attempts + 1, next_attempt_at = COALESCE(?, next_attempt_at),
            delivered_at = ?, last_error = ? WHERE id = ?
          """,
        arguments: [status, retryAt, delivered ? Self.wallNow() : nil, error, id])
    }
  }

  /// Fails, with `reason`, the pending rows of `runs` for sinks not among `sinks`: a sink removed
  /// from `[notify]` (or changed: its key hashes the target) would otherwise keep them pending
  /// forever. Returns how many.
  @discardableResult
  public func dropOrphanedOutbox(runs: [Int64], sinks: [String], reason: String) throws -> Int {
    guard !runs.isEmpty else { return 0 }
    var sql =
      "UPDATE notify_outbox SET status = 'failed', last_error = ? WHERE status = 'pending' AND run_id IN ("
      + runs.map { _ in "?" }.joined(separator: ",") + ")"
    var args: [any DatabaseValueConvertible] = [reason]
    args += runs as [any DatabaseValueConvertible]
    if !sinks.isEmpty {
      sql += " AND sink NOT IN (" + sinks.map { _ in "?" }.joined(separator: ",") + ")"
      args += sinks as [any DatabaseValueConvertible]
    }
    return try write { db in
      try db.execute(sql: sql, arguments: StatementArguments(args))
      return db.changesCount
    }
  }

  /// Outbox rows by status, for `wick notify` and tests.
  public func outboxCounts() throws -> [String: Int] {
    try read { db in
      var out: [String: Int] = [:]
      for r in try Row.fetchAll(
        db, sql: "SELECT status, COUNT(*) AS n FROM notify_outbox GROUP BY status")
      {
        out[r["status"]] = r["n"]
      }
      return out
    }
  }

  /// A run's day for the daily summary: equity now and at the day's start, realised PnL and
  /// trades closed that day, open positions.
  public struct DaySummary: Sendable, Equatable {
    public var equity: Double
    public var dayStartEquity: Double
    public var realized: Double
    public var trades: Int
    public var openPositions: Int
  }

  public func daySummary(run: Int64, day: String) throws -> DaySummary? {
    try read { db in
      guard
        let r = try Row.fetchOne(
          db,
          sql: """
            SELECT r.initial_equity, COALESCE(r.final_equity, r.initial_equity) AS equity,
              (SELECT e.equity FROM equity_snapshots e WHERE e.run_id = r.id AND e.account IS NULL
                 AND e.time < :start ORDER BY e.time DESC LIMIT 1) AS day_start,
              (SELECT d.pnl FROM daily_pnl d WHERE d.run_id = r.id AND d.account IS NULL AND d.day = :day) AS realized,
              (SELECT d.trades FROM daily_pnl d WHERE d.run_id = r.id AND d.account IS NULL AND d.day = :day) AS trades,
              (SELECT COUNT(*) FROM positions p WHERE p.run_id = r.id AND p.active = 1) AS open_positions
            FROM runs r WHERE r.id = :run
            """,
          arguments: ["run": run, "day": day, "start": UTCTime.parse(day) ?? 0])
      else { return nil }
      let initial: Double = r["initial_equity"]
      return DaySummary(
        equity: r["equity"], dayStartEquity: r["day_start"] ?? initial,
        realized: r["realized"] ?? 0, trades: r["trades"] ?? 0, openPositions: r["open_positions"])
    }
  }
}

extension RunLedger {
  /// Adds request latencies (from `RequestLatency.drain()`) to the ledger's cumulative histogram.
  public func addRequestLatency(_ tallies: [String: RequestLatency.Tally]) throws {
    guard !tallies.isEmpty else { return }
    try write { db in
      for (host, t) in tallies.sorted(by: { $0.key < $1.key }) {
        var buckets = t.buckets
        var count = t.count
        var sum = t.sum
        if let row = try Row.fetchOne(
          db, sql: "SELECT count, sum_seconds, buckets_json FROM exchange_requests WHERE host = ?",
          arguments: [host])
        {
          let old = Self.counts(row["buckets_json"])
          for i in buckets.indices where i < old.count { buckets[i] += old[i] }
          count += row["count"] as Int
          sum += row["sum_seconds"] as Double
        }
        try db.execute(
          sql: """
            INSERT INTO exchange_requests (host, count, sum_seconds, buckets_json) VALUES (?, ?, ?, ?)
            ON CONFLICT (host) DO UPDATE SET count = excluded.count, sum_seconds = excluded.sum_seconds,
              buckets_json = excluded.buckets_json
            """,
          arguments: [
            host, count, sum, "[" + buckets.map(String.init).joined(separator: ",") + "]",
          ])
      }
    }
  }

  /// `[1,2,3]` → [1, 2, 3] (per-bucket counts as stored).
  public static func counts(_ json: String) -> [Int] {
    json.trimmingCharacters(in: CharacterSet(charactersIn: "[] ")).split(separator: ",").compactMap
    { Int($0.trimmingCharacters(in: .whitespaces)) }
  }
}

extension RunLedger {
  /// How notifications name a run: `run 12 ma_cross (paper)`.
  public static func notifyLabel(run: Int64, strategy: String, mode: String) -> String {
    "run \(run) \(strategy) (\(mode))"
  }
}
