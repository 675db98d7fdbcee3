import Foundation
import Testing
import WickCore

@testable import WickData

@Suite struct CandleStoreTests {
  let dir: TemporaryDirectory
  let store: CandleStore
  let key = SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute)

  init() throws {
    dir = try TemporaryDirectory()
    store = try CandleStore(path: dir.path("nested/dir/wick.sqlite"))
  }

  @Test func roundTripAcrossChunkBoundaries() throws {
    let candles = testCandles(count: 50_000)
    try store.write(candles, series: key, replace: false)
    #expect(try drain(store.cursor(series: key)) == candles)
    #expect(try store.count(series: key) == 50_000)
    #expect(try store.firstTime(series: key) == candles.first?.time)
    #expect(try store.lastTime(series: key) == candles.last?.time)
  }

  /// Batches and single candles can be mixed across the reader's chunk boundaries; the merged
  /// source's batch path and its per-candle path deliver the same stream.
  @Test func batchesCoverEveryCandleOnce() throws {
    let candles = testCandles(count: 40_000)
    try store.write(candles, series: key, replace: false)
    let cursor = try #require(try store.cursor(series: key) as? BatchCandleCursor)
    var seen: [Candle] = []
    var useBatch = false
    while true {
      if useBatch {
        let batch = try cursor.nextBatch()
        if batch.isEmpty { break }
        seen += batch
      } else {
        guard let c = try cursor.next() else { break }
        seen.append(c)
      }
      useBatch.toggle()
    }
    #expect(seen == candles)
    #expect(try cursor.nextBatch().isEmpty && cursor.next() == nil)

    let merged = MergedCandleSource(symbols: ["BTCUSDT"], cursors: [try store.cursor(series: key)])
    var streamed: [Candle] = []
    while let sc = try merged.next() {
      #expect(sc.symbol == 0)
      streamed.append(sc.candle)
    }
    #expect(streamed == candles)
  }

  @Test func boundsAreFromInclusiveToExclusive() throws {
    let candles = testCandles(count: 100)
    try store.write(candles, series: key, replace: false)
    let from = candles[10].time
    let to = candles[20].time
    #expect(try drain(store.cursor(series: key, from: from, to: to)) == Array(candles[10..<20]))
    #expect(try store.count(series: key, from: from, to: to) == 10)
    #expect(try drain(store.cursor(series: key, from: candles[99].time + 1)).isEmpty)
  }

  /// Without `to` the reader's query has no upper bound on time (a cheaper range end); with one
  /// past the last candle it has: both read the same candles.
  @Test func anOpenEndReadsWhatAnEndPastTheLastCandleReads() throws {
    let candles = testCandles(count: 3_000)
    try store.write(candles, series: key, replace: false)
    let past = candles[2_999].time + 60_000
    #expect(try drain(store.cursor(series: key)) == candles)
    #expect(try drain(store.cursor(series: key, to: past)) == candles)
    #expect(try drain(store.cursor(series: key, from: candles[5].time)) == Array(candles[5...]))
    #expect(
      try drain(store.cursor(series: key, to: candles[2_998].time)) == Array(candles[..<2_998]))
  }

  @Test func seriesAreKeptApart() throws {
    let other = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    try store.write(testCandles(count: 10), series: key, replace: false)
    try store.write(testCandles(count: 3, base: 500), series: other, replace: false)
    #expect(try drain(store.cursor(series: other)) == testCandles(count: 3, base: 500))
    #expect(try store.count(series: key) == 10)
  }

  @Test func duplicateWithoutReplaceChangesNothing() throws {
    let candles = testCandles(count: 10)
    try store.write(candles, series: key, replace: false)
    // The batch starts with new candles and collides at its last one: the whole batch must roll back.
    let more = testCandles(count: 20, start: candles[0].time - 10 * 60_000, base: 300)
    #expect(
      throws: WickError.data(
        "local:BTCUSDT:1m already has a candle at 2024-01-01T00:00:00Z; use --replace to overwrite; nothing written"
      )
    ) {
      try store.write(more, series: key, replace: false)
    }
    #expect(try drain(store.cursor(series: key)) == candles)
  }

  @Test func aCollisionInsideAMultiRowChunkNamesItsCandle() throws {
    // Long batches are written `rowsPerInsert` rows a statement: a stored candle in the middle
    // of a chunk must still be named exactly, and nothing of the batch written.
    let chunk = CandleStore.rowsPerInsert
    let stored = testCandles(count: 1, start: testCandles(count: 500)[2 * chunk + 37].time)
    try store.write(stored, series: key, replace: false)
    let batch = testCandles(count: 500, base: 300)
    #expect(
      throws: WickError.data(
        "local:BTCUSDT:1m already has a candle at \(UTCTime.iso(stored[0].time)); use --replace to overwrite; nothing written"
      )
    ) {
      try store.write(batch, series: key, replace: false)
    }
    #expect(try drain(store.cursor(series: key)) == stored)
    // With --replace the same batch goes in whole, across chunks and the single-row rest.
    try store.write(batch, series: key, replace: true)
    #expect(try drain(store.cursor(series: key)) == batch)
  }

  @Test func replaceOverwrites() throws {
    try store.write(testCandles(count: 10), series: key, replace: false)
    let replacement = testCandles(count: 5, start: testCandles(count: 10)[8].time, base: 700)
    try store.write(replacement, series: key, replace: true)
    #expect(try drain(store.cursor(series: key)) == Array(testCandles(count: 8)) + replacement)
  }

  @Test func invalidCandlesAndDisorderAreRefused() throws {
    var candles = testCandles(count: 5)
    candles[3].high = candles[3].low - 1
    #expect(throws: WickError.self) { try store.write(candles, series: key, replace: false) }
    var unordered = testCandles(count: 5)
    unordered.swapAt(1, 2)
    #expect(throws: WickError.self) { try store.write(unordered, series: key, replace: false) }
    #expect(try store.count(series: key) == 0)
  }

  @Test func stoppingEarlyReleasesTheReader() throws {
    try store.write(testCandles(count: 100_000), series: key, replace: false)
    for _ in 0..<20 {
      let cursor = try store.cursor(series: key)
      _ = try cursor.next()
    }
    // The readers were joined, so a writer is not blocked and the file is still readable.
    try store.write(testCandles(count: 1, start: 1_800_000_000_000), series: key, replace: false)
    #expect(try store.count(series: key) == 100_001)
  }

  @Test func anOpenCursorNeitherBlocksWritersNorSeesTheirRows() throws {
    let candles = testCandles(count: 100_000)
    try store.write(candles, series: key, replace: false)
    let cursor = try store.cursor(series: key)
    let first = try cursor.next()
    // The reader thread now holds a read snapshot (its ring is full); WAL lets the writer commit.
    let later = testCandles(count: 10, start: candles[99_999].time + 60_000)
    try store.write(later, series: key, replace: false)
    var rest = try drain(cursor)
    if let first { rest.insert(first, at: 0) }
    #expect(rest == candles)
    #expect(try store.count(series: key) == 100_010)
  }

  @Test func resolveSeries() throws {
    #expect(throws: WickError.self) {
      try store.resolveSeries(symbol: "BTCUSDT", timeframe: .oneMinute, exchange: nil)
    }
    try store.write(testCandles(count: 3), series: key, replace: false)
    #expect(try store.resolveSeries(symbol: "BTCUSDT", timeframe: .oneMinute, exchange: nil) == key)
    let bybit = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    try store.write(testCandles(count: 3), series: bybit, replace: false)
    do {
      _ = try store.resolveSeries(symbol: "BTCUSDT", timeframe: .oneMinute, exchange: nil)
      Issue.record("expected an ambiguity error")
    } catch let error as WickError {
      #expect(error.description.contains("(bybit, local)"))
      #expect(error.description.contains("--exchange"))
    }
    #expect(
      try store.resolveSeries(symbol: "BTCUSDT", timeframe: .oneMinute, exchange: "bybit") == bybit)
    do {
      _ = try store.resolveSeries(
        symbol: "BTCUSDT", timeframe: Timeframe(milliseconds: 300_000), exchange: nil)
      Issue.record("expected a missing-series error")
    } catch let error as WickError {
      #expect(error.description.hasPrefix("no candles for BTCUSDT 5m in "))
      #expect(error.description.contains("wick data synth"))
    }
  }

  @Test func gapsAreFoundExactly() throws {
    var candles = testCandles(count: 1_000)
    // Plant a 1-candle gap at index 100 and a 5-candle gap at 500..<505.
    candles.removeSubrange(500..<505)
    candles.remove(at: 100)
    try store.write(candles, series: key, replace: false)
    let t = { (i: Int) in 1_704_067_200_000 + Int64(i) * 60_000 }
    #expect(
      try store.gaps(series: key) == [
        CandleGap(from: t(100), to: t(101), missingCandles: 1),
        CandleGap(from: t(500), to: t(505), missingCandles: 5),
      ])
    let summary = try #require(try store.seriesList().first)
    #expect(summary.count == 994)
    #expect(summary.gapCount == 2)
    #expect(summary.missingCandles == 6)
    #expect(summary.first == t(0))
    #expect(summary.last == t(999))
  }

  @Test func seriesListIsOrdered() throws {
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    let keys = [
      SeriesKey(exchange: "bybit", symbol: "ETHUSDT", timeframe: .oneMinute),
      SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: fiveMinutes),
      SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute),
      SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute),
    ]
    for k in keys {
      try store.write(testCandles(count: 4, timeframe: k.timeframe), series: k, replace: false)
    }
    let list = try store.seriesList()
    #expect(list.map(\.series) == [keys[2], keys[0], keys[3], keys[1]])
    #expect(list.allSatisfy { $0.count == 4 && $0.gapCount == 0 && $0.missingCandles == 0 })
  }

  @Test func fundingUpserts() throws {
    let t0: Int64 = 1_704_067_200_000
    let eight: Int64 = 8 * 3_600_000
    try store.writeFunding(
      [FundingRate(time: t0, rate: 0.0001), FundingRate(time: t0 + eight, rate: -0.0002)],
      exchange: "bybit", symbol: "BTCUSDT")
    try store.writeFunding(
      [FundingRate(time: t0 + eight, rate: 0.0003)], exchange: "bybit", symbol: "BTCUSDT")
    #expect(try store.lastFundingTime(exchange: "bybit", symbol: "BTCUSDT") == t0 + eight)
    #expect(try store.lastFundingTime(exchange: "bybit", symbol: "ETHUSDT") == nil)
    #expect(
      try store.fundingRates(exchange: "bybit", symbol: "BTCUSDT")
        == [FundingRate(time: t0, rate: 0.0001), FundingRate(time: t0 + eight, rate: 0.0003)])
    #expect(try store.fundingRates(exchange: "bybit", symbol: "BTCUSDT", from: t0 + 1).count == 1)
    #expect(throws: WickError.self) {
      try store.writeFunding(
        [FundingRate(time: t0, rate: .nan)], exchange: "bybit", symbol: "BTCUSDT")
    }
  }

  @Test func unopenablePathNamesThePath() throws {
    let blocker = dir.path("file")
    FileManager.default.createFile(atPath: blocker, contents: Data("x".utf8))
    do {
      _ = try CandleStore(path: blocker + "/wick.sqlite")
      Issue.record("expected an error")
    } catch let error as WickError {
      #expect(error.description.contains(blocker))
    }
  }

  @Test func migrateAddsTables() throws {
    try store.migrate { m in
      m.registerMigration("test.v1") { db in try db.execute(sql: "CREATE TABLE extra (x INTEGER)") }
    }
    // Running the same registration again is a no-op, not an error.
    try store.migrate { m in
      m.registerMigration("test.v1") { db in try db.execute(sql: "CREATE TABLE extra (x INTEGER)") }
    }
    #expect(try store.database.read { try $0.tableExists("extra") })
  }
}
