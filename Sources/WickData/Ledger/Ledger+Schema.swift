import GRDB

/// The trading ledger's tables, in the same SQLite file as the candle cache. Backtests (`--save`)
/// and the paper/live runners write the same schema, so reports and the dashboard read one shape.
enum LedgerSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v1") { db in
      try db.execute(
        sql: """
          CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            kind TEXT NOT NULL CHECK (kind IN ('backtest', 'paper', 'live')),
            strategy TEXT NOT NULL, params_json TEXT NOT NULL, symbols TEXT NOT NULL, timeframe TEXT NOT NULL,
            first_time INTEGER, last_time INTEGER, initial_equity REAL NOT NULL, final_equity REAL,
            metrics_json TEXT, error TEXT, created_at INTEGER NOT NULL
          );
          CREATE TABLE accounts (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            name TEXT NOT NULL, strategy TEXT NOT NULL, symbol TEXT NOT NULL, allocation REAL NOT NULL,
            killed INTEGER NOT NULL DEFAULT 0, kill_reason TEXT,
            UNIQUE (run_id, name)
          );
          CREATE TABLE orders (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            client_order_id TEXT NOT NULL,
            symbol TEXT NOT NULL, side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
            type TEXT NOT NULL CHECK (type IN ('market', 'stop', 'take')),
            qty REAL NOT NULL, price REAL, status TEXT NOT NULL,
            parent_order_id INTEGER REFERENCES orders(id),
            created_at INTEGER NOT NULL,
            UNIQUE (run_id, client_order_id)
          );
          CREATE TABLE fills (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            order_id INTEGER NOT NULL REFERENCES orders(id) ON DELETE CASCADE,
            time INTEGER NOT NULL, price REAL NOT NULL, qty REAL NOT NULL, fee REAL NOT NULL
          );
          CREATE TABLE positions (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            symbol TEXT NOT NULL, side TEXT NOT NULL, qty REAL NOT NULL, entry REAL NOT NULL,
            stop REAL, take REAL, opened_at INTEGER NOT NULL, closed_at INTEGER, exit_price REAL, pnl REAL,
            exit_reason TEXT, active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1))
          );
          -- One active owner per symbol: enforced by the database, not only by the governor.
          CREATE UNIQUE INDEX positions_one_active_owner ON positions(run_id, symbol) WHERE active = 1;
          CREATE TABLE equity_snapshots (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account TEXT, time INTEGER NOT NULL, equity REAL NOT NULL
          );
          CREATE INDEX equity_snapshots_run ON equity_snapshots(run_id, account, time);
          CREATE TABLE daily_pnl (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account TEXT, day TEXT NOT NULL, pnl REAL NOT NULL, trades INTEGER NOT NULL,
            UNIQUE (run_id, account, day)
          );
          CREATE TABLE incidents (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            time INTEGER NOT NULL, kind TEXT NOT NULL, account TEXT, detail TEXT NOT NULL
          );
          CREATE TABLE governor_events (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            time INTEGER NOT NULL, kind TEXT NOT NULL, account TEXT, detail TEXT NOT NULL
          );
          CREATE TABLE trade_stats (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account TEXT NOT NULL, trades INTEGER NOT NULL, wins INTEGER NOT NULL, losses INTEGER NOT NULL,
            gross_profit REAL NOT NULL, gross_loss REAL NOT NULL, fees REAL NOT NULL, max_loss_streak INTEGER NOT NULL,
            UNIQUE (run_id, account)
          );
          """)
    }

    // Runners (paper/live), their control channel, their decisions and script versions, and the
    // optimizer's sweeps. The runner, `wick serve` and `wick optimize` share these shapes.
    migrator.registerMigration("ledger.v2") { db in
      try db.execute(
        sql: """
          -- running | paused | halted | stopped | finished | failed; backtests are 'finished' or 'failed'.
          ALTER TABLE runs ADD COLUMN status TEXT NOT NULL DEFAULT 'finished';
          ALTER TABLE runs ADD COLUMN exchange TEXT;
          ALTER TABLE runs ADD COLUMN script_path TEXT;
          -- The runner's arguments as JSON: a restart with the same arguments resumes this run.
          ALTER TABLE runs ADD COLUMN args_json TEXT;
          -- Kernel state committed before anything is sent: last candle handled, ctx.state, accounts.
          ALTER TABLE runs ADD COLUMN state_json TEXT;
          ALTER TABLE runs ADD COLUMN heartbeat_at INTEGER;
          CREATE INDEX runs_status ON runs(status);

          -- Commands to a running runner from another process (wick stop, the dashboard). The runner
          -- polls pending rows, acts, and writes status 'done' or 'rejected' with an outcome.
          CREATE TABLE run_commands (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE, -- NULL: every running run
            kind TEXT NOT NULL CHECK (kind IN ('emergency_stop', 'stop', 'pause', 'resume', 'set_param')),
            payload_json TEXT NOT NULL DEFAULT '{}',
            source TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'rejected')),
            outcome TEXT,
            handled_at INTEGER
          );
          CREATE INDEX run_commands_pending ON run_commands(status, run_id);

          -- Every decision of a run, in order: what `wick replay` compares and the dashboard shows
          -- as signals. kind: intent | refusal | fill | exit | reload | log.
          CREATE TABLE decisions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            seq INTEGER NOT NULL,
            candle_time INTEGER NOT NULL,
            kind TEXT NOT NULL,
            symbol TEXT,
            detail_json TEXT NOT NULL,
            PRIMARY KEY (run_id, seq)
          );

          -- The script versions and params a run traded with, in order (hot reload swaps).
          CREATE TABLE script_versions (
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            time INTEGER NOT NULL,
            script_hash TEXT NOT NULL,
            params_json TEXT NOT NULL,
            source TEXT NOT NULL
          );
          CREATE INDEX script_versions_run ON script_versions(run_id, time);

          -- wick optimize: one row per sweep, one per parameter set and window.
          CREATE TABLE sweeps (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            strategy TEXT NOT NULL, symbol TEXT NOT NULL, timeframe TEXT NOT NULL,
            objective TEXT NOT NULL, spec_json TEXT NOT NULL, out_dir TEXT,
            winner_json TEXT, summary_json TEXT, created_at INTEGER NOT NULL
          );
          CREATE TABLE sweep_results (
            sweep_id INTEGER NOT NULL REFERENCES sweeps(id) ON DELETE CASCADE,
            row_index INTEGER NOT NULL,
            window_index INTEGER NOT NULL DEFAULT 0,
            params_json TEXT NOT NULL,
            trades INTEGER NOT NULL,
            objective_value REAL,
            metrics_json TEXT NOT NULL,
            PRIMARY KEY (sweep_id, row_index, window_index)
          );
          """)
    }
  }
}
