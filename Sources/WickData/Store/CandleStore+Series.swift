import GRDB
import WickCore

extension CandleStore {
  /// The `series.id` of `series`, creating the row when `create` is set (nil when it does not
  /// exist and `create` is off). Candles are keyed by this id (see migration "candles.v2-series").
  static func seriesID(_ series: SeriesKey, create: Bool, db: Database) throws -> Int64? {
    let arguments: StatementArguments = [
      series.exchange, series.symbol, series.timeframe.milliseconds,
    ]
    if create {
      try db.execute(
        sql: "INSERT OR IGNORE INTO series (exchange, symbol, timeframe_ms) VALUES (?, ?, ?)",
        arguments: arguments)
    }
    return try Int64.fetchOne(
      db, sql: "SELECT id FROM series WHERE exchange = ? AND symbol = ? AND timeframe_ms = ?",
      arguments: arguments)
  }

  /// SQL for "the id of the series bound at ?1, ?2, ?3" inside a candle query.
  static let seriesIDSubquery =
    "(SELECT id FROM series WHERE exchange = ?1 AND symbol = ?2 AND timeframe_ms = ?3)"
}
