import GRDB
import WickCore

extension CandleStore {
  /// Every series stored, ordered by exchange, symbol and timeframe.
  ///
  /// A loose index scan: one primary-key seek per series rather than a scan of every candle, so
  /// listing stays instant on a cache of hundreds of millions of rows.
  public func seriesKeys() throws -> [SeriesKey] {
    try read { db in
      var keys: [SeriesKey] = []
      var row = try Row.fetchOne(
        db,
        sql:
          "SELECT exchange, symbol, timeframe_ms FROM candles ORDER BY exchange, symbol, timeframe_ms LIMIT 1"
      )
      while let r = row {
        let ms: Int64 = r[2]
        keys.append(SeriesKey(exchange: r[0], symbol: r[1], timeframe: Timeframe(milliseconds: ms)))
        row = try Row.fetchOne(
          db,
          sql: """
            SELECT exchange, symbol, timeframe_ms FROM candles
            WHERE (exchange, symbol, timeframe_ms, time) > (?, ?, ?, ?)
            ORDER BY exchange, symbol, timeframe_ms LIMIT 1
            """,
          // Seeking past the series' greatest possible key jumps straight to the next series;
          // a 3-column comparison would step through every candle of the current one.
          arguments: [r[0] as String, r[1] as String, ms, Int64.max])
      }
      return keys
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
          SELECT exchange, symbol, timeframe_ms, MIN(time), MAX(time), COUNT(*) FROM candles
          GROUP BY exchange, symbol, timeframe_ms ORDER BY exchange, symbol, timeframe_ms
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
        let cursor = try cursor(series: key)
        while let c = try cursor.next() { scanner.observe(c.time) }
      }
      return SeriesSummary(
        series: key, first: first, last: last, count: count,
        gapCount: scanner.gapCount, missingCandles: scanner.missingCandles)
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
