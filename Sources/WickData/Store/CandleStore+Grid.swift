import GRDB
import WickCore

/// Weekly series written before weeks opened on Mondays.
///
/// Timeframes that are whole weeks open on Mondays, as on the exchanges (`Timeframe.origin`).
/// Earlier versions counted weeks from the epoch, a Thursday, so a cache may still hold `1w`
/// candles on that grid. They would mix two grids in one series: reading one is refused with the
/// fix, and rewriting the series with `replace` (`wick data resample … --replace`) removes them.
/// Every other timeframe has always used the epoch's grid, so only week-class series are checked
/// (they are short: 52 candles a year).
extension CandleStore {
  /// The open time of the first candle of `series` off its timeframe's grid, if any.
  // Not inlined: Swift 6.3.1's release build crashes (CopyPropagation, "Found ownership error")
  // when this is inlined into `seriesList`'s map closure.
  @inline(never)
  public func firstOffGridTime(series: SeriesKey) throws -> Int64? {
    guard series.timeframe.origin != 0 else { return nil }
    return try read { db in try Self.firstOffGridTime(series: series, db: db) }
  }

  static func firstOffGridTime(series: SeriesKey, db: Database) throws -> Int64? {
    try Int64.fetchOne(
      db,
      sql: """
        SELECT time FROM candles
        WHERE series_id = \(seriesIDSubquery) AND (time - ?4) % ?3 != 0
        ORDER BY time LIMIT 1
        """,
      arguments: [
        series.exchange, series.symbol, series.timeframe.milliseconds, series.timeframe.origin,
      ])
  }

  /// Refuses to read a series holding off-grid candles, naming the first one and the fix.
  func checkGrid(series: SeriesKey) throws {
    guard let time = try firstOffGridTime(series: series) else { return }
    throw WickError.data(
      "\(series) in '\(path)' has candles from an older Wick that opened weeks on Thursdays (the first at \(UTCTime.iso(time))); \(series.timeframe) candles open \(series.timeframe.alignment), as on the exchanges. Rebuild the series with `wick data resample --symbol \(series.symbol) --from-timeframe 1d --to-timeframe \(series.timeframe) --replace`, which removes the old candles"
    )
  }

  /// With `replace`, writing a week-class series first removes its off-grid candles.
  static func removeOffGridCandles(series: SeriesKey, db: Database) throws {
    guard series.timeframe.origin != 0 else { return }
    try db.execute(
      sql: "DELETE FROM candles WHERE series_id = \(seriesIDSubquery) AND (time - ?4) % ?3 != 0",
      arguments: [
        series.exchange, series.symbol, series.timeframe.milliseconds, series.timeframe.origin,
      ])
  }
}
