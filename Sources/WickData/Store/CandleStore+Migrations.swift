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
    migrator.registerMigration("candles.v2-series") { db in
      // Two text columns in every candle's key made each row ~25 bytes longer and every key
      // comparison a string comparison. A `series` table names each (exchange, symbol, timeframe)
      // once; candles are keyed by (series_id, time): smaller rows, integer comparisons, faster
      // range reads and inserts. Existing caches are converted in place (in key order, so the
      // copy appends to the new b-tree). `series_id` has no REFERENCES clause on purpose: GRDB
      // turns foreign keys on, and a parent check would cost every inserted candle a seek; the
      // store creates the series row before it writes a series' candles.
      try db.execute(
        sql: """
          CREATE TABLE series (
            id INTEGER PRIMARY KEY,
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            timeframe_ms INTEGER NOT NULL,
            UNIQUE (exchange, symbol, timeframe_ms)
          );
          INSERT INTO series (exchange, symbol, timeframe_ms)
            SELECT DISTINCT exchange, symbol, timeframe_ms FROM candles
            ORDER BY exchange, symbol, timeframe_ms;
          CREATE TABLE candles_by_series (
            series_id INTEGER NOT NULL,
            time INTEGER NOT NULL,
            open REAL NOT NULL,
            high REAL NOT NULL,
            low REAL NOT NULL,
            close REAL NOT NULL,
            volume REAL NOT NULL,
            PRIMARY KEY (series_id, time)
          ) WITHOUT ROWID;
          INSERT INTO candles_by_series (series_id, time, open, high, low, close, volume)
            SELECT s.id, c.time, c.open, c.high, c.low, c.close, c.volume
            FROM candles c JOIN series s
              ON s.exchange = c.exchange AND s.symbol = c.symbol AND s.timeframe_ms = c.timeframe_ms
            ORDER BY s.id, c.time;
          DROP TABLE candles;
          ALTER TABLE candles_by_series RENAME TO candles;
          """)
    }
    migrator.registerMigration("candles.v3-market-stats") { db in
      // Open interest and the long/short ratio (`MarketMetric`), keyed by the `series` row of
      // the grid they were fetched on (its timeframe is the exchange's sampling interval), so a
      // series reads as one range scan. Liquidations have no grid of their own: recorded per
      // minute (only minutes that had one), with the spans a recorder was connected for, so a
      // minute nobody listened to reads as unknown rather than as zero.
      try db.execute(
        sql: """
          CREATE TABLE market_stats (
            series_id INTEGER NOT NULL,
            metric INTEGER NOT NULL,
            time INTEGER NOT NULL,
            value REAL NOT NULL,
            PRIMARY KEY (series_id, metric, time)
          ) WITHOUT ROWID;
          CREATE TABLE liquidations (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            time INTEGER NOT NULL,
            count INTEGER NOT NULL,
            long_notional REAL NOT NULL,
            short_notional REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, time)
          ) WITHOUT ROWID;
          CREATE TABLE liquidation_coverage (
            exchange TEXT NOT NULL,
            symbol TEXT NOT NULL,
            from_time INTEGER NOT NULL,
            to_time INTEGER NOT NULL,
            PRIMARY KEY (exchange, symbol, from_time)
          ) WITHOUT ROWID;
          """)
    }
  }
}
