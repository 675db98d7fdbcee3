import GRDB

/// `ledger.v4-livebook`: whole-run `daily_pnl` rows get a key that conflicts, and script
/// versions record their plugins.
///
/// ledger.v1 keyed `daily_pnl` by UNIQUE (run_id, account, day), but a whole-run row has account
/// NULL, and SQLite never finds two NULLs equal: every closed trade inserted one more whole-run
/// row for its day instead of adding to the day's row. The migration merges the rows of each
/// (run, account, day) into one — pnl and trades summed, which is what the upsert would have
/// kept — and rebuilds the table keyed on (run_id, IFNULL(account, ''), day), the key
/// `RunLedger.commit` upserts on. Account names are never empty, so '' stands only for NULL.
///
/// `script_versions.plugins_json` maps each plugin a version required to its text's hash in
/// `script_sources`, so a replay or a resume runs the plugins that decided, not today's files.
enum LivebookSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v4-livebook") { db in
      try db.execute(
        sql: """
          CREATE TABLE daily_pnl_keyed (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account TEXT, day TEXT NOT NULL, pnl REAL NOT NULL, trades INTEGER NOT NULL
          );
          INSERT INTO daily_pnl_keyed (run_id, account, day, pnl, trades)
            SELECT run_id, MAX(account), day, SUM(pnl), SUM(trades) FROM daily_pnl
            GROUP BY run_id, IFNULL(account, ''), day
            ORDER BY MIN(rowid);
          DROP TABLE daily_pnl;
          ALTER TABLE daily_pnl_keyed RENAME TO daily_pnl;
          CREATE UNIQUE INDEX daily_pnl_key ON daily_pnl(run_id, IFNULL(account, ''), day);

          -- Each script version's plugins: {"module": "text hash"}, texts in script_sources
          -- (NULL: recorded before plugins were, read from disk as then).
          ALTER TABLE script_versions ADD COLUMN plugins_json TEXT;
          """)
    }
  }
}
