import Foundation
import GRDB

/// Where a live stream is in each table the runner appends to: the last decision `seq`, fill
/// id, and rowids of equity snapshots, incidents and governor events. It travels as the SSE
/// event id ("12-40-310-2-0"), so a browser that reconnects (`Last-Event-ID`) resumes exactly.
public struct LiveCursor: Sendable, Equatable {
  public var decision: Int64 = 0
  public var fill: Int64 = 0
  public var equity: Int64 = 0
  public var incident: Int64 = 0
  public var governor: Int64 = 0

  public init() {}

  public var text: String { "\(decision)-\(fill)-\(equity)-\(incident)-\(governor)" }

  /// Parses `text`; nil for anything else (the stream then starts from the present).
  public init?(text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false).map { Int64($0) }
    guard parts.count == 5, parts.allSatisfy({ $0 != nil && $0! >= 0 }) else { return nil }
    decision = parts[0]!
    fill = parts[1]!
    equity = parts[2]!
    incident = parts[3]!
    governor = parts[4]!
  }
}

/// What the runner wrote after a cursor.
struct LiveChanges {
  var decisions: [DecisionRow] = []
  var fills: [FillRow] = []
  var equityRows = 0
  var incidents: [EventRow] = []
  var governorEvents: [EventRow] = []
  var cursor: LiveCursor

  var isEmpty: Bool {
    decisions.isEmpty && fills.isEmpty && equityRows == 0 && incidents.isEmpty
      && governorEvents.isEmpty
  }
}

extension DashboardStore {
  /// The cursor at the end of every table, for a page rendered now.
  public func cursor(run: Int64) throws -> LiveCursor {
    try read { db in
      var c = LiveCursor()
      func max(_ sql: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: sql, arguments: [run]) ?? 0
      }
      c.decision = try max("SELECT MAX(seq) FROM decisions WHERE run_id = ?")
      c.fill = try max(
        "SELECT MAX(f.id) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.run_id = ?")
      c.equity = try max("SELECT MAX(rowid) FROM equity_snapshots WHERE run_id = ?")
      c.incident = try max("SELECT MAX(rowid) FROM incidents WHERE run_id = ?")
      c.governor = try max("SELECT MAX(rowid) FROM governor_events WHERE run_id = ?")
      return c
    }
  }

  /// Rows appended after `cursor` (at most `limit` of each kind per call; the next call
  /// continues), and the advanced cursor.
  func changes(run: Int64, after cursor: LiveCursor, limit: Int = 200) throws -> LiveChanges {
    try read { db in
      var out = LiveChanges(cursor: cursor)
      out.decisions = try Row.fetchAll(
        db,
        sql: """
          SELECT seq, candle_time, kind, symbol, detail_json FROM decisions
          WHERE run_id = ? AND seq > ? ORDER BY seq LIMIT ?
          """, arguments: [run, cursor.decision, limit]
      ).map(Self.decision)
      out.fills = try fills(db, run: run, after: cursor.fill, limit: limit)
      let equity = try Row.fetchOne(
        db,
        sql: """
          SELECT COUNT(*) AS n, MAX(rowid) AS last FROM
            (SELECT rowid FROM equity_snapshots WHERE run_id = ? AND rowid > ? ORDER BY rowid LIMIT ?)
          """, arguments: [run, cursor.equity, limit * 10])
      out.equityRows = equity?["n"] ?? 0
      out.incidents = try events(
        db, table: "incidents", run: run, after: cursor.incident, limit: limit)
      out.governorEvents = try events(
        db, table: "governor_events", run: run, after: cursor.governor, limit: limit)
      out.cursor.decision = out.decisions.last?.seq ?? cursor.decision
      out.cursor.fill = out.fills.last?.id ?? cursor.fill
      out.cursor.equity = (equity?["last"] as Int64?) ?? cursor.equity
      out.cursor.incident = out.incidents.last?.rowid ?? cursor.incident
      out.cursor.governor = out.governorEvents.last?.rowid ?? cursor.governor
      return out
    }
  }

  /// The run's equity curve alone (for a live chart update).
  func equitySeries(run: Int64) throws -> [(time: Int64, value: Double)] {
    try read { db in try equitySeries(db, run: run) }
  }
}
