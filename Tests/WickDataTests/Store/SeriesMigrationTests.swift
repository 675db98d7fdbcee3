import Foundation
import GRDB
import Testing
import WickCore
import WickData

/// Migration "candles.v2-series": a cache written with the first schema (text columns in every
/// candle's key) opens with everything preserved and reads back identically.
@Suite struct SeriesMigrationTests {
  let dir: TemporaryDirectory
  init() throws { dir = try TemporaryDirectory() }

  /// A cache exactly as schema candles.v1 left it, built with raw SQL.
  func makeVersionOneCache(at path: String, series: [(SeriesKey, [Candle])], funding: [FundingRate])
    throws
  {
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      try db.execute(
        sql: """
          CREATE TABLE grdb_migrations (identifier TEXT NOT NULL PRIMARY KEY);
          INSERT INTO grdb_migrations VALUES ('candles.v1');
          CREATE TABLE candles (
            exchange TEXT NOT NULL, symbol TEXT NOT NULL, timeframe_ms INTEGER NOT NULL,
            time INTEGER NOT NULL, open REAL NOT NULL, high REAL NOT NULL, low REAL NOT NULL,
            close REAL NOT NULL, volume REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, timeframe_ms, time)
          ) WITHOUT ROWID;
          CREATE TABLE funding_rates (
            exchange TEXT NOT NULL, symbol TEXT NOT NULL, time INTEGER NOT NULL, rate REAL NOT NULL,
            PRIMARY KEY (exchange, symbol, time)
          ) WITHOUT ROWID;
          """)
      for (key, candles) in series {
        for c in candles {
          try db.execute(
            sql: "INSERT INTO candles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            arguments: [
              key.exchange, key.symbol, key.timeframe.milliseconds, c.time, c.open, c.high, c.low,
              c.close, c.volume,
            ])
        }
      }
      for f in funding {
        try db.execute(
          sql: "INSERT INTO funding_rates VALUES ('bybit', 'BTCUSDT', ?, ?)",
          arguments: [f.time, f.rate])
      }
    }
  }

  @Test func anOldCacheIsConvertedWithEveryCandleAndFundingRate() throws {
    let path = dir.path("old.sqlite")
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    var gappy = testCandles(count: 3_000, base: 200)
    gappy.removeSubrange(1_000..<1_010)
    let series: [(SeriesKey, [Candle])] = [
      (
        SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute),
        testCandles(count: 5_000)
      ),
      (SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute), gappy),
      (
        SeriesKey(exchange: "bybit", symbol: "ETHUSDT", timeframe: fiveMinutes),
        testCandles(count: 700, timeframe: fiveMinutes, base: 50)
      ),
    ]
    let funding = (0..<90).map {
      FundingRate(time: 1_704_067_200_000 + Int64($0) * 28_800_000, rate: Double($0 - 45) * 1e-5)
    }
    try makeVersionOneCache(at: path, series: series, funding: funding)

    let store = try CandleStore(path: path)
    #expect(try store.seriesKeys() == series.map(\.0).sorted { "\($0)" < "\($1)" })
    for (key, candles) in series {
      #expect(try drain(store.cursor(series: key)) == candles, "\(key)")
      #expect(try store.count(series: key) == candles.count)
      #expect(try store.firstTime(series: key) == candles.first?.time)
      #expect(try store.lastTime(series: key) == candles.last?.time)
      let from = candles[100].time
      let to = candles[200].time
      #expect(try drain(store.cursor(series: key, from: from, to: to)) == Array(candles[100..<200]))
    }
    let local = try #require(try store.seriesList().first { $0.exchange == "local" })
    #expect(local.gapCount == 1 && local.missingCandles == 10)
    #expect(try store.fundingRates(exchange: "bybit", symbol: "BTCUSDT") == funding)

    // The candle key is now (series_id, time): no text in any candle row.
    let columns = try store.database.read { db in
      try String.fetchAll(db, sql: "SELECT name FROM pragma_table_info('candles')")
    }
    #expect(columns == ["series_id", "time", "open", "high", "low", "close", "volume"])

    // Writes after the conversion go to the existing series and to new ones alike.
    let (btc, btcCandles) = series[0]
    let more = testCandles(count: 10, start: btcCandles.last!.time + 60_000, base: 900)
    try store.write(more, series: btc, replace: false)
    #expect(try drain(store.cursor(series: btc)) == btcCandles + more)
    let fresh = SeriesKey(exchange: "binance", symbol: "SOLUSDT", timeframe: .oneMinute)
    try store.write(testCandles(count: 5), series: fresh, replace: false)
    #expect(try store.seriesKeys().first == fresh)
    #expect(try drain(store.cursor(series: btc)).count == 5_010)
  }

  @Test func reopeningAConvertedCacheChangesNothing() throws {
    let path = dir.path("again.sqlite")
    let key = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    try makeVersionOneCache(at: path, series: [(key, testCandles(count: 100))], funding: [])
    _ = try CandleStore(path: path)
    let store = try CandleStore(path: path)
    #expect(try drain(store.cursor(series: key)) == testCandles(count: 100))
    #expect(try store.seriesKeys() == [key])
  }
}
