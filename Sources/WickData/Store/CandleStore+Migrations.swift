import GRDB

extension CandleStore {
  /// The candle cache schema. Append new migrations; never edit a shipped one.
  static func registerCandleMigrations(_ migrator: inout DatabaseMigrator) {
    migrator.registerMigration("candles.v1") { db in
      // WITHOUT ROWID: the primary key *is* the storage order, so a series reads as one
      // contiguous range scan in time order.
      try db.execute(
        sql: """
          CREATE TABLE candles (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            timeframe_ms INTEGER NOT NULL,
            time INTEGER NOT NULL,
            open REAL NOT NULL,
            high REAL NOT NULL,
            low REAL NOT NULL,
            close REAL NOT NULL,
            volume REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, timeframe_ms, time)
          ) WITHOUT ROWID
          """)
      try db.execute(
        sql: """
          CREATE TABLE funding_rates (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            time INTEGER NOT NULL,
            rate REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, time)
          ) WITHOUT ROWID
          """)
    }
  }
}
