import GRDB
import WickCore

extension CandleStore {
  /// Every series stored (with at least one candle), ordered by exchange, symbol and timeframe.
  ///
  /// One probe of the candle key per row of the small `series` table, so listing stays instant
  /// on a cache of hundreds of millions of rows.
  public func seriesKeys() throws -> [SeriesKey] {
    try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT exchange, symbol, timeframe_ms FROM series s
          WHERE EXISTS (SELECT 1 FROM candles WHERE series_id = s.id)
          ORDER BY exchange, symbol, timeframe_ms
          """
      ).map { SeriesKey(exchange: $0[0], symbol: $0[1], timeframe: Timeframe(milliseconds: $0[2])) }
    }
  }

  /// The series for `symbol`/`timeframe`; when `exchange` is nil, the only exchange that has it.
  ///
  ///     let key = try store.resolveSeries(symbol: "BTCUSDT", timeframe: .oneMinute, exchange: nil)
  ///
  /// - Throws: `WickError.data` when no exchange has the series (saying how to get data) or when
  ///   several do (listing them and asking for `--exchange`).
  public func resolveSeries(symbol: String, timeframe: Timeframe, exchange: String?) throws
    -> SeriesKey
  {
    let all = try seriesKeys()
    let matching = all.filter {
      $0.symbol == symbol && $0.timeframe == timeframe
        && (exchange == nil || $0.exchange == exchange)
    }
    if matching.count == 1 { return matching[0] }
    if matching.isEmpty {
      let on = exchange.map { " on \($0)" } ?? ""
      let others = all.filter { $0.symbol == symbol }.map { "\($0.exchange) \($0.timeframe)" }
      let hint =
        others.isEmpty ? "" : " (\(symbol) is stored as: \(others.joined(separator: ", ")))"
      throw WickError.data(
        "no candles for \(symbol) \(timeframe)\(on) in \(path)\(hint); run `wick data synth` or `wick data import` first"
      )
    }
    let names = matching.map(\.exchange).joined(separator: ", ")
    throw WickError.data(
      "\(symbol) \(timeframe) is stored for several exchanges in \(path) (\(names)); choose one with --exchange"
    )
  }

  /// A summary of every stored series: bounds, count and gaps.
  ///
  /// One grouped pass gives bounds and counts; only a series whose count falls short of its
  /// span is streamed again to count its gaps, so a complete cache lists at SQLite's scan speed.
  public func seriesList() throws -> [SeriesSummary] {
    let rows = try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT s.exchange, s.symbol, s.timeframe_ms, MIN(c.time), MAX(c.time), COUNT(*)
          FROM series s JOIN candles c ON c.series_id = s.id
          GROUP BY s.id ORDER BY s.exchange, s.symbol, s.timeframe_ms
          """)
    }
    return try rows.map { row in
      let key = SeriesKey(
        exchange: row[0], symbol: row[1], timeframe: Timeframe(milliseconds: row[2]))
      let first: Int64 = row[3]
      let last: Int64 = row[4]
      let count: Int = row[5]
      var scanner = GapScanner(timeframe: key.timeframe, recordGaps: false)
      if Int64(count) != (last - first) / key.timeframe.milliseconds + 1 {
        let cursor = try uncheckedCursor(series: key)
        while let c = try cursor.next() { scanner.observe(c.time) }
      }
      return SeriesSummary(
        series: key, first: first, last: last, count: count,
        gapCount: scanner.gapCount, missingCandles: scanner.missingCandles,
        firstOffGrid: try firstOffGridTime(series: key))
    }
  }

  /// The runs of missing candles in `series`, oldest first.
  ///
  ///     for gap in try store.gaps(series: key) { try feed.fetch(key, from: gap.from, to: gap.to) }
  public func gaps(series: SeriesKey) throws -> [CandleGap] {
    var scanner = GapScanner(timeframe: series.timeframe)
    let cursor = try cursor(series: series)
    while let c = try cursor.next() { scanner.observe(c.time) }
    return scanner.gaps
  }
}
