import GRDB
import WickCore

extension CandleStore {
  /// The open time of the newest stored candle of `series`, if any.
  public func lastTime(series: SeriesKey) throws -> Int64? {
    try boundaryTime(series: series, aggregate: "MAX")
  }

  /// The open time of the oldest stored candle of `series`, if any.
  public func firstTime(series: SeriesKey) throws -> Int64? {
    try boundaryTime(series: series, aggregate: "MIN")
  }

  /// How many candles of `series` have `from <= time < to` (nil bounds are open).
  ///
  ///     let n = try store.count(series: key, from: UTCTime.parse("2024-02-01"), to: nil)
  public func count(series: SeriesKey, from: Int64? = nil, to: Int64? = nil) throws -> Int {
    try read { db in
      try Int.fetchOne(
        db,
        sql: """
          SELECT COUNT(*) FROM candles
          WHERE series_id = \(Self.seriesIDSubquery) AND time >= ?4 AND time < ?5
          """,
        arguments: [
          series.exchange, series.symbol, series.timeframe.milliseconds, from ?? Int64.min,
          to ?? Int64.max,
        ]) ?? 0
    }
  }

  /// A prefetching cursor over the candles of `series` with `from <= time < to`, in time order.
  /// This is the backtest's hot path: see `SQLiteCandleCursor`.
  ///
  ///     let cursor = try store.cursor(series: key, from: UTCTime.parse("2024-01-01"))
  ///     while let c = try cursor.next() { engine.handle(c) }
  public func cursor(series: SeriesKey, from: Int64? = nil, to: Int64? = nil) throws -> CandleCursor
  {
    try checkGrid(series: series)
    return try uncheckedCursor(series: series, from: from, to: to)
  }

  /// `cursor` without the grid check: for listing a cache as it is.
  func uncheckedCursor(series: SeriesKey, from: Int64? = nil, to: Int64? = nil) throws
    -> CandleCursor
  {
    try SQLiteCandleCursor(path: path, series: series, from: from ?? Int64.min, to: to ?? Int64.max)
  }

  /// MIN/MAX over the primary key: SQLite answers these with one index seek.
  private func boundaryTime(series: SeriesKey, aggregate: String) throws -> Int64? {
    try read { db in
      try Int64.fetchOne(
        db,
        sql:
          "SELECT \(aggregate)(time) FROM candles WHERE series_id = \(Self.seriesIDSubquery)",
        arguments: [series.exchange, series.symbol, series.timeframe.milliseconds])
    }
  }

  /// Runs a read on the store's connection, mapping database errors to `WickError.data`.
  func read<T>(_ body: (Database) throws -> T) throws -> T {
    do {
      return try database.read(body)
    } catch let error as WickError {
      throw error
    } catch {
      throw WickError.data("reading candle cache '\(path)': \(Self.describe(error))")
    }
  }
}
