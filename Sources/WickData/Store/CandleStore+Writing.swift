import GRDB
import GRDBSQLite
import WickCore

extension CandleStore {
  /// Writes `candles` of one series in one transaction (the `CandleSink` entry point).
  ///
  ///     try store.write(fetched, series: key, replace: false)
  ///
  /// Every candle is validated first (`Candle.invalidReason`, strictly increasing times). Without
  /// `replace`, a time already stored is an error naming that time and nothing is written; with
  /// `replace`, stored candles at the same times are overwritten (and a weekly series' candles
  /// from the old Thursday grid are removed: see `CandleStore+Grid`).
  public func write(_ candles: [Candle], series: SeriesKey, replace: Bool) throws {
    try Self.validate(candles, series: series)
    guard !candles.isEmpty else { return }
    try database.write { db in
      try Self.insert(candles, series: series, replace: replace, db: db)
    }
  }

  /// Writes a long series produced in pieces (e.g. the synthesizer) in ONE transaction: `produce`
  /// is called with a `write` closure that can be invoked repeatedly with consecutive batches.
  /// An error anywhere rolls everything back.
  ///
  ///     try store.writeBatches(series: key, replace: false) { write in
  ///       for _ in 0..<10 { try write(nextHundredThousand()) }
  ///     }
  public func writeBatches(
    series: SeriesKey, replace: Bool, _ produce: (_ write: ([Candle]) throws -> Void) throws -> Void
  ) throws {
    try database.write { db in
      var lastTime: Int64?
      try produce { batch in
        try Self.validate(batch, series: series, after: lastTime)
        guard let last = batch.last else { return }
        try Self.insert(batch, series: series, replace: replace, db: db)
        lastTime = last.time
      }
    }
  }

  /// Checks every candle and the strict time order; `after` is the time of a previous batch.
  static func validate(_ candles: [Candle], series: SeriesKey, after: Int64? = nil) throws {
    var previous = after
    for c in candles {
      if let reason = c.invalidReason {
        throw WickError.data(
          "\(series) candle at \(UTCTime.iso(c.time)): \(reason); nothing written")
      }
      if let p = previous, c.time <= p {
        throw WickError.data(
          "\(series) candle times must strictly increase: \(UTCTime.iso(c.time)) follows \(UTCTime.iso(p)); nothing written"
        )
      }
      previous = c.time
    }
  }

  /// One prepared INSERT bound and stepped per candle through the C API: GRDB's argument arrays
  /// would allocate per row, and bulk loads must run at hundreds of thousands of rows per second.
  private static func insert(_ candles: [Candle], series: SeriesKey, replace: Bool, db: Database)
    throws
  {
    let verb = replace ? "INSERT OR REPLACE" : "INSERT"
    if replace { try removeOffGridCandles(series: series, db: db) }
    let id = try seriesID(series, create: true, db: db)!
    let statement = try db.makeStatement(
      sql: """
        \(verb) INTO candles (series_id, time, open, high, low, close, volume)
        VALUES (?, ?, ?, ?, ?, ?, ?)
        """)
    let raw = statement.sqliteStatement
    sqlite3_reset(raw)
    // Bindings survive sqlite3_reset, so the series id is bound once per batch.
    sqlite3_bind_int64(raw, 1, id)
    for c in candles {
      sqlite3_bind_int64(raw, 2, c.time)
      sqlite3_bind_double(raw, 3, c.open)
      sqlite3_bind_double(raw, 4, c.high)
      sqlite3_bind_double(raw, 5, c.low)
      sqlite3_bind_double(raw, 6, c.close)
      sqlite3_bind_double(raw, 7, c.volume)
      let rc = sqlite3_step(raw)
      sqlite3_reset(raw)
      guard rc == SQLITE_DONE else {
        if rc & 0xff == SQLITE_CONSTRAINT {
          throw WickError.data(
            "\(series) already has a candle at \(UTCTime.iso(c.time)); use --replace to overwrite; nothing written"
          )
        }
        throw WickError.data(
          "writing \(series) at \(UTCTime.iso(c.time)): \(SQLiteText.message(db.sqliteConnection))")
      }
    }
    sqlite3_clear_bindings(raw)
  }
}
