import GRDB
import WickCore

/// Keeps a paper or live run's open interest, long/short ratios and liquidations (`CandleExtras`)
/// current from the cache: the first `refresh` reads what the run's candles can reach (two days
/// back is enough for the coarsest interval, 1d, to reach every candle's close), each later one
/// appends only the rows the cache gained since, in one read: per series, the samples and
/// minutes newer than those held and the covered spans reaching past the newest one held.
/// A series that appears later (a first `wick data fetch --open-interest` while the run goes) is
/// picked up by the refresh after it. The values a candle reads are those a fresh load of the
/// same cache gives (what a backtest or `wick replay` reads).
public final class MarketStatsFollower {
  /// How far back a candle's values can reach.
  public static let reach: Int64 = 2 * 86_400_000

  public let keys: [SeriesKey]
  public let extras: CandleExtras
  private let store: CandleStore
  /// The series id each symbol's metric is read from, once one is stored (by `MarketMetric`).
  private var metricSeries: [[Int64?]]

  /// `keys`: the run's symbols at its timeframe; `extras` is filled in place.
  public init(store: CandleStore, keys: [SeriesKey], extras: CandleExtras) {
    self.store = store
    self.keys = keys
    self.extras = extras
    metricSeries = keys.map { _ in MarketMetric.allCases.map { _ in nil } }
  }

  /// Reads what the cache gained, for candles up to the one opening at `time`.
  public func refresh(through time: Int64) throws {
    let keepFrom = time - Self.reach
    try store.read { db in
      for (s, key) in keys.enumerated() {
        for (m, metric) in MarketMetric.allCases.enumerated() {
          try follow(metric, index: m, symbol: s, key: key, keepFrom: keepFrom, db: db)
        }
        try followLiquidations(symbol: s, key: key, keepFrom: keepFrom, db: db)
      }
    }
  }

  private func follow(
    _ metric: MarketMetric, index m: Int, symbol s: Int, key: SeriesKey, keepFrom: Int64,
    db: Database
  ) throws {
    let isOI = metric == .openInterest
    guard let id = metricSeries[s][m] else {
      // Not stored yet: is it now?
      guard let interval = try CandleStore.metricInterval(metric, for: key, db: db),
        let id = try CandleStore.seriesID(
          SeriesKey(exchange: key.exchange, symbol: key.symbol, timeframe: interval),
          create: false, db: db)
      else { return }
      metricSeries[s][m] = id
      let samples = try Row.fetchAll(
        db.cachedStatement(
          sql:
            "SELECT time, value FROM market_stats WHERE series_id = ? AND metric = ? AND time >= ? ORDER BY time"
        ), arguments: [id, metric.rawValue, keepFrom - interval.milliseconds]
      ).map { MetricSample(time: $0[0], value: $0[1]) }
      let sampled = CandleExtras.Sampled(samples, interval: interval.milliseconds)
      extras.update(symbol: s) {
        if isOI { $0.openInterest = sampled } else { $0.longShortRatio = sampled }
      }
      return
    }
    let statement = try db.cachedStatement(
      sql:
        "SELECT time, value FROM market_stats WHERE series_id = ? AND metric = ? AND time > ? ORDER BY time"
    )
    var after = Int64.min
    extras.update(symbol: s) { after = (isOI ? $0.openInterest : $0.longShortRatio)?.last ?? .min }
    statement.setUncheckedArguments([id, metric.rawValue, after])
    let rows = try Row.fetchCursor(statement)
    while let row = try rows.next() {
      let (t, v): (Int64, Double) = (row[0], row[1])
      extras.update(symbol: s) {
        if isOI {
          $0.openInterest?.append(time: t, value: v, keepFrom: keepFrom)
        } else {
          $0.longShortRatio?.append(time: t, value: v, keepFrom: keepFrom)
        }
      }
    }
  }

  private func followLiquidations(symbol s: Int, key: SeriesKey, keepFrom: Int64, db: Database)
    throws
  {
    var held: (minute: Int64?, covered: Int64?)?
    extras.update(symbol: s) {
      held = $0.liquidations.map { ($0.lastMinute, $0.coveredUntil) }
    }
    let spans = try db.cachedStatement(
      sql: """
        SELECT from_time, to_time FROM liquidation_coverage
        WHERE exchange = ? AND symbol = ? AND to_time > ? ORDER BY from_time
        """)
    spans.setUncheckedArguments([key.exchange, key.symbol, held?.covered ?? .min])
    let buckets = try db.cachedStatement(
      sql: """
        SELECT time, count, long_notional, short_notional FROM liquidations
        WHERE exchange = ? AND symbol = ? AND time >= ? ORDER BY time
        """)
    guard let held else {
      // Not recorded yet: is it now?
      let coverage = try Row.fetchAll(spans).map { (r: Row) in (r[0] as Int64)..<(r[1] as Int64) }
      guard !coverage.isEmpty else { return }
      buckets.setUncheckedArguments([key.exchange, key.symbol, keepFrom])
      let recorded = CandleExtras.Recorded(
        buckets: try Row.fetchAll(buckets).map(Self.bucket), coverage: coverage)
      extras.update(symbol: s) { $0.liquidations = recorded }
      return
    }
    let rows = try Row.fetchCursor(spans)
    while let row = try rows.next() {
      let r = (row[0] as Int64)..<(row[1] as Int64)
      extras.update(symbol: s) { $0.liquidations?.cover(r) }
    }
    buckets.setUncheckedArguments([
      key.exchange, key.symbol, held.minute.map { $0 + 1 } ?? keepFrom,
    ])
    let minutes = try Row.fetchCursor(buckets)
    while let row = try minutes.next() {
      let b = Self.bucket(row)
      extras.update(symbol: s) { $0.liquidations?.append(b) }
    }
    extras.update(symbol: s) { $0.liquidations?.trim(before: keepFrom) }
  }

  private static func bucket(_ row: Row) -> LiquidationBucket {
    LiquidationBucket(time: row[0], count: row[1], longNotional: row[2], shortNotional: row[3])
  }
}

extension CandleStore {
  /// The interval a run at `key.timeframe` reads `metric` at: its own when stored there, else
  /// the finest below it, else the finest stored (one rule for backtests and runners).
  static func metricInterval(_ metric: MarketMetric, for key: SeriesKey, db: Database) throws
    -> Timeframe?
  {
    let intervals = try Int64.fetchAll(
      db.cachedStatement(
        sql: """
          SELECT s.timeframe_ms FROM series s
          WHERE s.exchange = ? AND s.symbol = ?
            AND EXISTS (SELECT 1 FROM market_stats m WHERE m.series_id = s.id AND m.metric = ?)
          ORDER BY s.timeframe_ms
          """), arguments: [key.exchange, key.symbol, metric.rawValue]
    ).map { Timeframe(milliseconds: $0) }
    return intervals.first(where: { $0 == key.timeframe })
      ?? intervals.last(where: { $0.milliseconds < key.timeframe.milliseconds })
      ?? intervals.first
  }
}
