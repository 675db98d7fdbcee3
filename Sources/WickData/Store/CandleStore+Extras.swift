import GRDB
import WickCore

/// What `wick data ls` shows for a series beyond OHLCV: its kind, range, size and holes.
public struct ExtraSeriesSummary: Hashable, Sendable {
  /// "open_interest", "long_short_ratio" or "liquidations".
  public var kind: String
  public var exchange: String
  public var symbol: String
  /// The sampling interval (1m for liquidations, which are kept per minute).
  public var interval: Timeframe
  public var first: Int64
  /// The last sample's time; for liquidations, the end of the last recorded minute.
  public var last: Int64
  /// Samples stored; for liquidations, minutes recorded.
  public var count: Int
  public var gapCount: Int
  /// Samples (or minutes) missing inside the range.
  public var missing: Int
}

extension CandleStore {
  /// The run's open interest, long/short ratio and liquidations for each `(exchange, symbol)`
  /// over `[from, to)`, or nil when none of the symbols has any. A metric stored at several
  /// intervals is read at the run's timeframe when stored there, else at the finest interval
  /// below it, else the finest.
  public func candleExtras(
    series: [SeriesKey], from: Int64? = nil, to: Int64? = nil
  ) throws -> CandleExtras? {
    var symbols: [CandleExtras.Symbol] = []
    for key in series {
      var s = CandleExtras.Symbol()
      for metric in MarketMetric.allCases {
        guard let interval = try read({ try Self.metricInterval(metric, for: key, db: $0) })
        else { continue }
        let samples = try metricSamples(
          metric,
          series: SeriesKey(exchange: key.exchange, symbol: key.symbol, timeframe: interval),
          from: from.map { $0 - interval.milliseconds },
          to: to.map { $0 + key.timeframe.milliseconds + 1 })
        guard !samples.isEmpty else { continue }
        let sampled = CandleExtras.Sampled(samples, interval: interval.milliseconds)
        if metric == .openInterest { s.openInterest = sampled } else { s.longShortRatio = sampled }
      }
      let coverage = try liquidationCoverage(exchange: key.exchange, symbol: key.symbol)
      if !coverage.isEmpty {
        s.liquidations = CandleExtras.Recorded(
          buckets: try liquidationBuckets(
            exchange: key.exchange, symbol: key.symbol, from: from,
            to: to.map { $0 + key.timeframe.milliseconds }),
          coverage: coverage)
      }
      symbols.append(s)
    }
    let extras = CandleExtras(symbols: symbols)
    return extras.isEmpty ? nil : extras
  }

  /// Every stored open-interest, long/short and liquidation series with its coverage and gaps.
  public func extraSeriesList() throws -> [ExtraSeriesSummary] {
    let rows = try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT s.exchange, s.symbol, s.timeframe_ms, m.metric, MIN(m.time), MAX(m.time), COUNT(*)
          FROM market_stats m JOIN series s ON s.id = m.series_id
          GROUP BY m.series_id, m.metric ORDER BY s.exchange, s.symbol, m.metric, s.timeframe_ms
          """)
    }
    var out: [ExtraSeriesSummary] = try rows.compactMap { row in
      guard let metric = MarketMetric(rawValue: row[3]) else { return nil }
      let key = SeriesKey(
        exchange: row[0], symbol: row[1], timeframe: Timeframe(milliseconds: row[2]))
      let first: Int64 = row[4]
      let last: Int64 = row[5]
      let count: Int = row[6]
      var scanner = GapScanner(timeframe: key.timeframe, recordGaps: false)
      if Int64(count) != (last - first) / key.timeframe.milliseconds + 1 {
        for s in try metricSamples(metric, series: key) { scanner.observe(s.time) }
      }
      return ExtraSeriesSummary(
        kind: metric.description, exchange: key.exchange, symbol: key.symbol,
        interval: key.timeframe, first: first, last: last, count: count,
        gapCount: scanner.gapCount, missing: scanner.missingCandles)
    }
    for (exchange, symbol) in try liquidationSymbols() {
      let spans = try liquidationCoverage(exchange: exchange, symbol: symbol)
      guard let first = spans.first, let last = spans.last else { continue }
      let covered = spans.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound) } / 60_000
      let span = (last.upperBound - first.lowerBound) / 60_000
      out.append(
        ExtraSeriesSummary(
          kind: "liquidations", exchange: exchange, symbol: symbol, interval: .oneMinute,
          first: first.lowerBound, last: last.upperBound, count: Int(covered),
          gapCount: spans.count - 1, missing: Int(span - covered)))
    }
    return out
  }
}
