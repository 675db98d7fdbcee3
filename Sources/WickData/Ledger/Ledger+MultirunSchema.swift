import GRDB

/// One owner per symbol across runs and processes (DESIGN.md "Risk"): the governor's "one
/// account per symbol" is this table's primary key, so two runners — in one process or in two —
/// cannot both hold a symbol. `scope` separates venues that do not share exposure (paper, Bybit
/// testnet, Bybit mainnet, …).
enum MultirunSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v4-multirun") { db in
      try db.execute(
        sql: """
          CREATE TABLE symbol_owners (
            scope TEXT NOT NULL,
            symbol TEXT NOT NULL,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account TEXT NOT NULL,
            claimed_at INTEGER NOT NULL,
            PRIMARY KEY (scope, symbol)
          );
          CREATE INDEX symbol_owners_run ON symbol_owners(run_id);
          """)
    }
  }
}
