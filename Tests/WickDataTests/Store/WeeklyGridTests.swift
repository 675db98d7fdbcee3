import Foundation
import GRDB
import Testing
import WickCore
import WickData

/// A cache written by an older Wick may hold `1w` candles on the epoch's Thursday grid. Reading
/// such a series is refused with the fix, `wick data ls` names it, and rewriting the series with
/// `replace` removes the old candles.
@Suite struct WeeklyGridTests {
  let dir: TemporaryDirectory
  init() throws { dir = try TemporaryDirectory() }

  static let monday: Int64 = 1_704_067_200_000  // 2024-01-01T00:00:00Z
  static let day = Timeframe(milliseconds: 86_400_000)
  let daily = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: day)
  let weekly = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .week)

  /// Four weeks of daily candles, and three weekly candles opening on Thursdays written the way
  /// the old resampler did (raw rows: today's writers refuse them).
  func makeCache() throws -> CandleStore {
    let path = dir.path("cache.sqlite")
    let store = try CandleStore(path: path)
    try store.write(
      testCandles(count: 28, start: Self.monday, timeframe: Self.day), series: daily,
      replace: false)
    let thursday = Self.monday + 3 * Self.day.milliseconds
    try store.write(
      [Candle(time: Self.monday, open: 1, high: 2, low: 0.5, close: 1.5, volume: 1)],
      series: weekly, replace: false)
    let queue = try DatabaseQueue(path: path)
    try queue.write { db in
      let id = try Int64.fetchOne(
        db, sql: "SELECT id FROM series WHERE timeframe_ms = ?",
        arguments: [Timeframe.week.milliseconds])!
      for week in 0..<3 {
        try db.execute(
          sql: "INSERT INTO candles VALUES (?, ?, 100, 110, 90, 105, 10)",
          arguments: [id, thursday + Int64(week) * Timeframe.week.milliseconds])
      }
    }
    return store
  }

  @Test func readingAnOldThursdaySeriesIsRefusedWithTheFix() throws {
    let store = try makeCache()
    let error = #expect(throws: WickError.self) { _ = try store.cursor(series: weekly) }
    let message = "\(error!)"
    #expect(message.contains("2024-01-04T00:00:00Z"))
    #expect(message.contains("open on Mondays at 00:00 UTC"))
    #expect(message.contains("--to-timeframe 1w --replace"))
    // The daily series beside it still reads.
    #expect(try store.cursor(series: daily).next()?.time == Self.monday)
  }

  @Test func theListingNamesTheOffGridSeries() throws {
    let store = try makeCache()
    let summaries = try store.seriesList()
    #expect(summaries.first { $0.series == weekly }?.firstOffGrid == Self.monday + 259_200_000)
    #expect(summaries.first { $0.series == daily }?.firstOffGrid == nil)
  }

  @Test func rewritingWithReplaceRemovesTheOldCandles() throws {
    let store = try makeCache()
    let (bars, _) = try Resampler.resample(
      store.cursor(series: daily), from: Self.day, to: .week)
    try store.write(bars, series: weekly, replace: true)
    #expect(try store.firstOffGridTime(series: weekly) == nil)
    let cursor = try store.cursor(series: weekly)
    var times: [Int64] = []
    while let c = try cursor.next() { times.append(c.time) }
    #expect(times == (0..<4).map { Self.monday + Int64($0) * Timeframe.week.milliseconds })
  }

  @Test func writingWithoutReplaceKeepsEverything() throws {
    let store = try makeCache()
    try store.write(
      [
        Candle(
          time: Self.monday + 4 * Timeframe.week.milliseconds, open: 1, high: 2, low: 0.5,
          close: 1.5, volume: 1)
      ], series: weekly, replace: false)
    #expect(try store.firstOffGridTime(series: weekly) == Self.monday + 259_200_000)
  }
}
