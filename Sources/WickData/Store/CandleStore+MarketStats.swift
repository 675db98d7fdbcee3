import GRDB
import WickCore

/// Open interest and long/short ratios (`MarketMetric`), per series: `series.timeframe` is the
/// exchange's sampling interval, and every sample's time lies on that grid.
extension CandleStore {
  /// Upserts `samples` of `metric` in one transaction. A value that is not a finite number, or
  /// a time off the series' grid, is an error naming it, and nothing is written.
  ///
  ///     try store.writeMetric(.openInterest, samples, series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: tf))
  public func writeMetric(_ metric: MarketMetric, _ samples: [MetricSample], series: SeriesKey)
    throws
  {
    for s in samples {
      guard s.value.isFinite else {
        throw WickError.data(
          "\(series) \(metric) at \(UTCTime.iso(s.time)) is not a finite number; nothing written")
      }
      guard series.timeframe.isAligned(s.time) else {
        throw WickError.data(
          "\(series) \(metric) at \(UTCTime.iso(s.time)) is not on the \(series.timeframe) grid; nothing written"
        )
      }
    }
    guard !samples.isEmpty else { return }
    do {
      try database.write { db in
        let id = try Self.seriesID(series, create: true, db: db)!
        let statement = try db.makeStatement(
          sql:
            "INSERT OR REPLACE INTO market_stats (series_id, metric, time, value) VALUES (?, ?, ?, ?)"
        )
        for s in samples {
          try statement.execute(arguments: [id, metric.rawValue, s.time, s.value])
        }
      }
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data("writing \(series) \(metric) to '\(path)': \(Self.describe(error))")
    }
  }

  /// The oldest and newest stored sample times of `metric` in `series`.
  public func metricBounds(_ metric: MarketMetric, series: SeriesKey) throws -> (
    first: Int64, last: Int64
  )? {
    try read { db in
      guard let id = try Self.seriesID(series, create: false, db: db),
        let row = try Row.fetchOne(
          db,
          sql:
            "SELECT MIN(time), MAX(time) FROM market_stats WHERE series_id = ? AND metric = ?",
          arguments: [id, metric.rawValue]),
        let first: Int64 = row[0], let last: Int64 = row[1]
      else { return nil }
      return (first, last)
    }
  }

  /// Samples of `metric` in `series` with `from <= time < to` (nil bounds are open), in time order.
  public func metricSamples(
    _ metric: MarketMetric, series: SeriesKey, from: Int64? = nil, to: Int64? = nil
  ) throws -> [MetricSample] {
    try read { db in
      guard let id = try Self.seriesID(series, create: false, db: db) else { return [] }
      return try Row.fetchAll(
        db,
        sql: """
          SELECT time, value FROM market_stats
          WHERE series_id = ? AND metric = ? AND time >= ? AND time < ? ORDER BY time
          """,
        arguments: [id, metric.rawValue, from ?? Int64.min, to ?? Int64.max]
      ).map { MetricSample(time: $0[0], value: $0[1]) }
    }
  }

  /// The sampling intervals `metric` is stored at for `exchange`/`symbol`, finest first.
  public func metricIntervals(_ metric: MarketMetric, exchange: String, symbol: String) throws
    -> [Timeframe]
  {
    try read { db in
      try Int64.fetchAll(
        db,
        sql: """
          SELECT s.timeframe_ms FROM series s
          WHERE s.exchange = ? AND s.symbol = ?
            AND EXISTS (SELECT 1 FROM market_stats m WHERE m.series_id = s.id AND m.metric = ?)
          ORDER BY s.timeframe_ms
          """,
        arguments: [exchange, symbol, metric.rawValue]
      ).map { Timeframe(milliseconds: $0) }
    }
  }
}
