import GRDB

/// `ledger.v5-instruments`: the exchange's trading rules a run sized with (lot step, minimum
/// quantity and notional, tick size), one row per symbol. A live run reads them from the exchange
/// at start; `wick replay` has no exchange to ask, so it reads them here. Runs recorded before this
/// migration have no rows.
enum InstrumentsSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v5-instruments") { db in
      try db.execute(
        sql: """
          CREATE TABLE run_instruments (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            symbol TEXT NOT NULL,
            lot_step REAL NOT NULL,
            min_qty REAL NOT NULL,
            min_notional REAL NOT NULL,
            tick_size REAL NOT NULL,
            PRIMARY KEY (run_id, symbol)
          );
          """)
    }
  }
}
