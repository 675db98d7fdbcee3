import Foundation
import GRDB
import WickCore

/// `wick optimize` results in the ledger's `sweeps` and `sweep_results` tables (migration
/// ledger.v2), which the dashboard lists.
///
///     let id = try ledger.saveSweep(sweep, results: rows)
extension Ledger {
  public struct SweepRecord: Sendable, Equatable {
    public var strategy: String
    /// The symbols, comma-separated.
    public var symbol: String
    public var timeframe: String
    public var objective: String
    public var specJSON: String
    public var outDir: String?
    public var winnerJSON: String?
    public var summaryJSON: String?

    public init(
      strategy: String, symbol: String, timeframe: String, objective: String, specJSON: String,
      outDir: String?, winnerJSON: String?, summaryJSON: String?
    ) {
      self.strategy = strategy
      self.symbol = symbol
      self.timeframe = timeframe
      self.objective = objective
      self.specJSON = specJSON
      self.outDir = outDir
      self.winnerJSON = winnerJSON
      self.summaryJSON = summaryJSON
    }
  }

  /// One parameter set on one window.
  public struct SweepResultRecord: Sendable, Equatable {
    public var rowIndex: Int
    public var windowIndex: Int
    public var paramsJSON: String
    public var trades: Int
    public var objectiveValue: Double?
    public var metricsJSON: String

    public init(
      rowIndex: Int, windowIndex: Int, paramsJSON: String, trades: Int, objectiveValue: Double?,
      metricsJSON: String
    ) {
      self.rowIndex = rowIndex
      self.windowIndex = windowIndex
      self.paramsJSON = paramsJSON
      self.trades = trades
      self.objectiveValue = objectiveValue
      self.metricsJSON = metricsJSON
    }
  }

  /// Saves a sweep and its rows in one transaction and returns its id. The same sweep saved
  /// again (same output directory and spec: a resumed or repeated run) replaces its rows rather
  /// than adding a second sweep.
  @discardableResult
  public func saveSweep(_ sweep: SweepRecord, results: [SweepResultRecord]) throws -> Int64 {
    do {
      return try database.write { db in
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        let id: Int64
        if let existing = try Int64.fetchOne(
          db, sql: "SELECT id FROM sweeps WHERE out_dir IS ? AND spec_json = ?",
          arguments: [sweep.outDir, sweep.specJSON])
        {
          id = existing
          try db.execute(
            sql: "UPDATE sweeps SET winner_json = ?, summary_json = ?, created_at = ? WHERE id = ?",
            arguments: [sweep.winnerJSON, sweep.summaryJSON, now, id])
          try db.execute(sql: "DELETE FROM sweep_results WHERE sweep_id = ?", arguments: [id])
        } else {
          try db.execute(
            sql: """
              INSERT INTO sweeps (strategy, symbol, timeframe, objective, spec_json, out_dir, winner_json,
                                  summary_json, created_at)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
              """,
            arguments: [
              sweep.strategy, sweep.symbol, sweep.timeframe, sweep.objective, sweep.specJSON,
              sweep.outDir, sweep.winnerJSON, sweep.summaryJSON, now,
            ])
          id = db.lastInsertedRowID
        }
        let insert = try db.makeStatement(
          sql: """
            INSERT INTO sweep_results (sweep_id, row_index, window_index, params_json, trades,
                                       objective_value, metrics_json)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """)
        for r in results {
          try insert.execute(arguments: [
            id, r.rowIndex, r.windowIndex, r.paramsJSON, r.trades, r.objectiveValue, r.metricsJSON,
          ])
        }
        return id
      }
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data("cannot save the sweep into the ledger: \(CandleStore.describe(error))")
    }
  }

  /// The rows of a sweep in sweep order (window, then row).
  public func sweepResults(sweep id: Int64) throws -> [SweepResultRecord] {
    try database.read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT row_index, window_index, params_json, trades, objective_value, metrics_json
          FROM sweep_results WHERE sweep_id = ? ORDER BY window_index, row_index
          """, arguments: [id]
      ).map {
        SweepResultRecord(
          rowIndex: $0[0], windowIndex: $0[1], paramsJSON: $0[2], trades: $0[3],
          objectiveValue: $0[4], metricsJSON: $0[5])
      }
    }
  }
}
