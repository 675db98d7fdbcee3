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

  /// Rows per multi-row INSERT. Stepping one statement per chunk instead of one per candle
  /// roughly halves the cost of a bulk write: the statement's program and bookkeeping run once
  /// per chunk, not per row (the b-tree work is the same).
  static let rowsPerInsert = 50

  /// Prepared INSERTs bound and stepped through the C API (GRDB's argument arrays would
  /// allocate per row; bulk loads must run at hundreds of thousands of rows per second): a
  /// multi-row one for whole chunks, a single-row one for the rest. A chunk that hits a stored
  /// candle is undone by SQLite as a whole and written again row by row, so the error names the
  /// very candle.
  private static func insert(_ candles: [Candle], series: SeriesKey, replace: Bool, db: Database)
    throws
  {
    let verb = replace ? "INSERT OR REPLACE" : "INSERT"
    if replace { try removeOffGridCandles(series: series, db: db) }
    let id = try seriesID(series, create: true, db: db)!
    let columns = "INTO candles (series_id, time, open, high, low, close, volume) VALUES"
    let single = try db.makeStatement(sql: "\(verb) \(columns) (\(id), ?, ?, ?, ?, ?, ?)")
    let chunks = candles.count / rowsPerInsert
    if chunks > 0 {
      let rows = repeatElement("(\(id), ?, ?, ?, ?, ?, ?)", count: rowsPerInsert)
      let many = try db.makeStatement(
        sql: "\(verb) \(columns) \(rows.joined(separator: ", "))")
      let raw = many.sqliteStatement
      for k in 0..<chunks {
        let chunk = candles[(k * rowsPerInsert)..<((k + 1) * rowsPerInsert)]
        for (row, c) in chunk.enumerated() { bind(c, to: raw, at: Int32(row * 6)) }
        let rc = sqlite3_step(raw)
        sqlite3_reset(raw)
        if rc != SQLITE_DONE {
          // A constraint failure undoes only this statement: find the candle row by row. Other
          // errors (I/O, a full disk) may have rolled the whole transaction back, and rows
          // written now would each commit on their own: report the chunk instead.
          if rc & 0xff == SQLITE_CONSTRAINT && sqlite3_get_autocommit(db.sqliteConnection) == 0 {
            try insertRows(chunk, statement: single, series: series, db: db)
          }
          throw failure(rc, at: chunk.first!, series: series, db: db)
        }
      }
      sqlite3_clear_bindings(raw)
    }
    try insertRows(
      candles[(chunks * rowsPerInsert)...], statement: single, series: series, db: db)
  }

  /// Binds one candle's six values from parameter `offset + 1` on.
  @inline(__always)
  private static func bind(_ c: Candle, to raw: OpaquePointer, at offset: Int32) {
    sqlite3_bind_int64(raw, offset + 1, c.time)
    sqlite3_bind_double(raw, offset + 2, c.open)
    sqlite3_bind_double(raw, offset + 3, c.high)
    sqlite3_bind_double(raw, offset + 4, c.low)
    sqlite3_bind_double(raw, offset + 5, c.close)
    sqlite3_bind_double(raw, offset + 6, c.volume)
  }

  private static func insertRows(
    _ candles: ArraySlice<Candle>, statement: Statement, series: SeriesKey, db: Database
  ) throws {
    let raw = statement.sqliteStatement
    sqlite3_reset(raw)
    for c in candles {
      bind(c, to: raw, at: 0)
      let rc = sqlite3_step(raw)
      sqlite3_reset(raw)
      guard rc == SQLITE_DONE else { throw failure(rc, at: c, series: series, db: db) }
    }
    sqlite3_clear_bindings(raw)
  }

  private static func failure(_ rc: Int32, at c: Candle, series: SeriesKey, db: Database)
    -> WickError
  {
    if rc & 0xff == SQLITE_CONSTRAINT {
      return WickError.data(
        "\(series) already has a candle at \(UTCTime.iso(c.time)); use --replace to overwrite; nothing written"
      )
    }
    return WickError.data(
      "writing \(series) at \(UTCTime.iso(c.time)): \(SQLiteText.message(db.sqliteConnection))")
  }
}
