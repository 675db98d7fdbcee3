import GRDB

/// The runner's addition to the ledger: the text of every script version a run traded with, so
/// `wick replay` and a restarted runner re-run exactly the code that decided, even after the file
/// was edited (hot reload). Keyed by the hash recorded in `script_versions.script_hash`.
enum RunnerSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v3-run") { db in
      try db.execute(
        sql: """
          CREATE TABLE script_sources (
            script_hash TEXT PRIMARY KEY,
            path TEXT NOT NULL,
            text TEXT NOT NULL
          );
          """)
    }
  }
}
