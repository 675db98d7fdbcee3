import GRDB

/// Symbol ownership across runs (`symbol_owners`, ledger.v4-multirun). A run claims a symbol
/// when the governor accepts an entry on it — before the order row is written — and releases it
/// once it holds neither a position nor a pending entry there.
extension RunLedger {
  /// Who holds a symbol another run asked for.
  public struct SymbolOwner: Sendable, Equatable {
    public var run: Int64
    public var account: String
  }

  /// Claims `symbol` in `scope` for `account` of `run`, in one transaction. Returns the owner
  /// when another run holds it. A claim by a run that can no longer trade (halted, failed) and
  /// has no open position there is stale and is taken over.
  public func claimSymbol(scope: String, symbol: String, run: Int64, account: String) throws
    -> SymbolOwner?
  {
    try database.write { db in
      if let row = try Row.fetchOne(
        db,
        sql: """
          SELECT o.run_id, o.account, r.status,
                 (SELECT COUNT(*) FROM positions p WHERE p.run_id = o.run_id AND p.symbol = o.symbol
                    AND p.active = 1) AS open
          FROM symbol_owners o LEFT JOIN runs r ON r.id = o.run_id
          WHERE o.scope = ? AND o.symbol = ?
          """, arguments: [scope, symbol])
      {
        let owner: Int64 = row["run_id"]
        let status: String? = row["status"]
        let open: Int = row["open"]
        let live = ["running", "paused", "stopped"].contains(status ?? "") || open > 0
        if owner != run && live {
          return SymbolOwner(run: owner, account: row["account"])
        }
      }
      try db.execute(
        sql: """
          INSERT INTO symbol_owners (scope, symbol, run_id, account, claimed_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (scope, symbol) DO UPDATE SET run_id = excluded.run_id,
            account = excluded.account, claimed_at = excluded.claimed_at
          """, arguments: [scope, symbol, run, account, Self.wallNow()])
      return nil
    }
  }

  /// Releases every symbol `run` holds except `keeping`.
  public func releaseSymbols(run: Int64, keeping: [String]) throws {
    try database.write { db in
      let placeholders = keeping.map { _ in "?" }.joined(separator: ",")
      try db.execute(
        sql: "DELETE FROM symbol_owners WHERE run_id = ?"
          + (keeping.isEmpty ? "" : " AND symbol NOT IN (\(placeholders))"),
        arguments: StatementArguments([run] as [any DatabaseValueConvertible] + keeping))
    }
  }

  /// The symbols `run` owns, sorted.
  public func ownedSymbols(run: Int64) throws -> [String] {
    try database.read { db in
      try String.fetchAll(
        db, sql: "SELECT symbol FROM symbol_owners WHERE run_id = ? ORDER BY symbol",
        arguments: [run])
    }
  }
}
