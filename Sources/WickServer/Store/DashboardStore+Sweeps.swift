import Foundation
import GRDB

extension DashboardStore {
  public func sweeps(limit: Int = 200) throws -> [SweepSummary] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT s.*, (SELECT COUNT(*) FROM sweep_results r WHERE r.sweep_id = s.id) AS result_count
          FROM sweeps s ORDER BY s.id DESC LIMIT ?
          """, arguments: [limit]
      ).map(Self.sweep)
    }
  }

  public func sweep(_ id: Int64) throws -> (SweepSummary, [SweepResultRow])? {
    try read { db in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT s.*, (SELECT COUNT(*) FROM sweep_results r WHERE r.sweep_id = s.id) AS result_count
            FROM sweeps s WHERE s.id = ?
            """, arguments: [id])
      else { return nil }
      let results = try Row.fetchAll(
        db,
        sql: """
          SELECT row_index, window_index, params_json, trades, objective_value, metrics_json
          FROM sweep_results WHERE sweep_id = ? ORDER BY row_index, window_index
          """, arguments: [id]
      ).map { r -> SweepResultRow in
        var metrics: [String: Double] = [:]
        if case .object(let fields) = JSONValue.parse(r["metrics_json"]) ?? .null {
          for (k, v) in fields { if let n = v.number { metrics[k] = n } }
        }
        return SweepResultRow(
          rowIndex: r["row_index"], windowIndex: r["window_index"], paramsJSON: r["params_json"],
          trades: r["trades"], objectiveValue: r["objective_value"], metrics: metrics)
      }
      return (Self.sweep(row), results)
    }
  }

  private static func sweep(_ r: Row) -> SweepSummary {
    SweepSummary(
      id: r["id"], strategy: r["strategy"], symbol: r["symbol"], timeframe: r["timeframe"],
      objective: r["objective"], createdAt: r["created_at"], winnerJSON: r["winner_json"],
      summaryJSON: r["summary_json"], specJSON: r["spec_json"], resultCount: r["result_count"])
  }
}
