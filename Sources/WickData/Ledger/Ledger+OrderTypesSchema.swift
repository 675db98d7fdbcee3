import GRDB

/// `ledger.v6-order-types`: the orders table takes resting entries (`limit`, `post_only`) beside
/// market, stop and take orders. SQLite cannot change a CHECK constraint in place, so the table is
/// rebuilt with the same columns and rows (ids kept: fills and parent links still point at them).
enum OrderTypesSchema {
  static func register(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("ledger.v6-order-types") { db in
      try db.execute(
        sql: """
          CREATE TABLE orders_v6 (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
            account_id INTEGER NOT NULL REFERENCES accounts(id),
            client_order_id TEXT NOT NULL,
            symbol TEXT NOT NULL, side TEXT NOT NULL CHECK (side IN ('buy', 'sell')),
            type TEXT NOT NULL CHECK (type IN ('market', 'stop', 'take', 'limit', 'post_only')),
            qty REAL NOT NULL, price REAL, status TEXT NOT NULL,
            parent_order_id INTEGER REFERENCES orders(id),
            created_at INTEGER NOT NULL,
            UNIQUE (run_id, client_order_id)
          );
          INSERT INTO orders_v6 SELECT id, run_id, account_id, client_order_id, symbol, side, type,
            qty, price, status, parent_order_id, created_at FROM orders;
          DROP TABLE orders;
          ALTER TABLE orders_v6 RENAME TO orders;
          """)
    }
  }
}
