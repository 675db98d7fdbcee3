import Foundation
import GRDB
import GRDBSQLite
import WickCore
import WickData

/// The candle key before and after migration "candles.v2-series", on the same candles: the first
/// schema (exchange and symbol text in every row's key) rebuilt in a scratch file, against the
/// cache as the store writes it now. Both sides run the same C-API loops, so the difference is the
/// schema alone.
enum SchemaBenchmark {
  struct Figures {
    var oldInsert: Double
    var oldScan: Double
    var newScan: Double
  }

  /// `synth` must produce the candles the cache holds (`count` of them); they are generated again
  /// in batches rather than held in memory (the bench measures its own peak RSS).
  static func run(synth: CandleSynthesizer, count: Int, cachePath: String, scratchDir: URL) throws
    -> Figures
  {
    var synth = synth
    let oldPath = scratchDir.appendingPathComponent("v1.sqlite").path
    let old = try DatabaseQueue(path: oldPath)
    try old.write { db in
      try db.execute(sql: "PRAGMA journal_mode = WAL")
      try db.execute(
        sql: """
          CREATE TABLE candles (
            exchange TEXT NOT NULL, symbol TEXT NOT NULL, timeframe_ms INTEGER NOT NULL,
            time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
            close REAL NOT NULL, volume REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, timeframe_ms, time)
          ) WITHOUT ROWID
          """)
    }
    let start = DispatchTime.now().uptimeNanoseconds
    try old.write { db in
      let statement = try db.makeStatement(
        sql: "INSERT INTO candles VALUES ('local', 'BTCUSDT', 60000, ?, ?, ?, ?, ?, ?)")
      let raw = statement.sqliteStatement
      var left = count
      var batch: [Candle] = []
      batch.reserveCapacity(100_000)
      while left > 0 {
        batch.removeAll(keepingCapacity: true)
        for _ in 0..<min(100_000, left) { batch.append(synth.next()) }
        left -= batch.count
        for c in batch {
          sqlite3_bind_int64(raw, 1, c.time)
          sqlite3_bind_double(raw, 2, c.open)
          sqlite3_bind_double(raw, 3, c.high)
          sqlite3_bind_double(raw, 4, c.low)
          sqlite3_bind_double(raw, 5, c.close)
          sqlite3_bind_double(raw, 6, c.volume)
          guard sqlite3_step(raw) == SQLITE_DONE else { throw WickError.data("insert failed") }
          sqlite3_reset(raw)
        }
      }
    }
    let insertSeconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let oldScan = try best {
      try scan(
        oldPath,
        """
        SELECT time, open, high, low, close, volume FROM candles
        WHERE exchange = 'local' AND symbol = 'BTCUSDT' AND timeframe_ms = 60000 ORDER BY time
        """, expect: count)
    }
    let newScan = try best {
      try scan(
        cachePath,
        """
        SELECT time, open, high, low, close, volume FROM candles
        WHERE series_id = (SELECT id FROM series WHERE exchange = 'local' AND symbol = 'BTCUSDT'
          AND timeframe_ms = 60000) ORDER BY time
        """, expect: count)
    }
    return Figures(oldInsert: insertSeconds, oldScan: oldScan, newScan: newScan)
  }

  /// Steps `sql` to the end reading the six candle columns, on a fresh read-only connection.
  private static func scan(_ path: String, _ sql: String, expect: Int) throws {
    var db: OpaquePointer?
    guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK
    else { throw WickError.data("cannot open \(path)") }
    defer { sqlite3_close(db) }
    sqlite3_exec(db, "PRAGMA mmap_size = 0", nil, nil, nil)
    var stmt: OpaquePointer?
    guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
      throw WickError.data("cannot prepare the scan of \(path)")
    }
    defer { sqlite3_finalize(stmt) }
    var rows = 0
    var sum = 0.0
    while sqlite3_step(stmt) == SQLITE_ROW {
      sum +=
        Double(sqlite3_column_int64(stmt, 0)) + sqlite3_column_double(stmt, 1)
        + sqlite3_column_double(stmt, 2) + sqlite3_column_double(stmt, 3)
        + sqlite3_column_double(stmt, 4) + sqlite3_column_double(stmt, 5)
      rows += 1
    }
    guard rows == expect, sum.isFinite else {
      throw WickError.data("scan of \(path) read \(rows) rows, expected \(expect)")
    }
  }
}
