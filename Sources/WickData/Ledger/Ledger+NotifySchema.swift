import GRDB

/// `ledger.v5-notify`: the notification outbox and the exchange request latency histogram.
///
/// `notify_outbox` holds one row per notification and sink, written in the same transaction as
/// what it reports (a candle's commit, a halt), so a notification exists exactly when its event
/// was recorded. A delivery task sends the rows and marks them; a restart sends what is left.
/// `sink` is a key derived from the sink's kind and target (never a token or a webhook URL).
///
/// `exchange_requests` is cumulative per host: the runner adds its request latencies with its
/// heartbeat, `wick serve` (another process) reads them for `/metrics`.
enum NotifySchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v5-notify") { db in
      try db.execute(
        sql: """
          CREATE TABLE notify_outbox (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER REFERENCES runs(id) ON DELETE CASCADE,
            sink TEXT NOT NULL,
            event TEXT NOT NULL,
            time INTEGER NOT NULL,
            text TEXT NOT NULL,
            fields_json TEXT NOT NULL DEFAULT '{}',
            -- Events that must be sent once whatever happens (a daily summary): sink|run|day.
            dedupe_key TEXT UNIQUE,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'failed')),
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER NOT NULL,
            delivered_at INTEGER,
            last_error TEXT
          );
          CREATE INDEX notify_outbox_due ON notify_outbox(status, next_attempt_at);

          CREATE TABLE exchange_requests (
            host TEXT PRIMARY KEY,
            count INTEGER NOT NULL,
            sum_seconds REAL NOT NULL,
            -- Cumulative counts per upper bound of RequestLatency.bounds, as a JSON array.
            buckets_json TEXT NOT NULL
          );
          """)
    }
  }
}
