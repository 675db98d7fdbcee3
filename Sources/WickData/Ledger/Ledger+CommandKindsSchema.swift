import GRDB

/// `ledger.v7-command-kinds`: `run_commands` takes `reset_account` (clear a killed account's
/// kill) beside the stop, pause, resume and set_param commands. SQLite cannot change a CHECK
/// constraint in place, so the table is rebuilt with the same columns and rows (ids kept: a
/// waiting `wick stop` polls its command by id).
enum CommandKindsSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v7-command-kinds") { db in
      try db.execute(
        sql: """
          CREATE TABLE run_commands_v7 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE, -- NULL: every running run
            kind TEXT NOT NULL CHECK (kind IN ('emergency_stop', 'stop', 'pause', 'resume', 'set_param',
                                               'reset_account')),
            payload_json TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'rejected')),
            outcome TEXT,
            handled_at INTEGER
          );
          INSERT INTO run_commands_v7 SELECT id, run_id, kind, payload_json, source, created_at,
            status, outcome, handled_at FROM run_commands;
          DROP TABLE run_commands;
          ALTER TABLE run_commands_v7 RENAME TO run_commands;
          CREATE INDEX run_commands_pending ON run_commands(status, run_id);
          """)
    }
  }
}
