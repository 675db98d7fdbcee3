import ArgumentParser
import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickCLI

/// `wick data fetch` as a user runs it, against a loopback exchange that answers as the
/// exchange documents (Bybit: the newest rows of the range, newest first, at most 200 a page
/// here although 1000 are asked) and whose clock is hours behind this machine's.
@Suite(.serialized) struct DataFetchCommandTests {
  let tf = Timeframe(milliseconds: 300_000)

  /// The regression: 720 candles from A to B; the exchange's clock is 2.5 minutes into
  /// the candle that opens at B, three hours behind ours.
  @Test(arguments: ["bybit", "binance"])
  func fetchesAllClosedCandlesAndNeverTheFormingOne(exchange: String) throws {
    let local = Int64(Date().timeIntervalSince1970 * 1000)
    let b = tf.floor(local - 3 * 3_600_000)
    let serverNow = b + 150_000
    let a = b - 720 * tf.milliseconds
    var synth = CandleSynthesizer(seed: 9, timeframe: tf, start: a)
    let candles = (0..<726).map { _ in synth.next() }  // 720 closed, the forming one, 5 to come
    let mock = try MockExchange(candles: candles, timeframe: tf)
    defer { mock.stop() }
    mock.clock = .skewed(by: serverNow - local)
    mock.pageCap = 200
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-fetch-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let series = SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: tf)

    func fetch(db: String, to: Int64?) throws {
      var args = [
        "--exchange", exchange, "--base-url", mock.baseURL, "--symbol", "BTCUSDT",
        "--timeframe", "5m", "--from", UTCTime.iso(a), "--db", db,
      ]
      if let to { args += ["--to", UTCTime.iso(to)] }
      try DataFetch.parse(args).run()
    }
    func stored(_ db: String) throws -> [Candle] {
      let cursor = try CandleStore(path: db).cursor(series: series)
      var out: [Candle] = []
      while let c = try cursor.next() { out.append(c) }
      return out
    }

    // --from A --to B: all 720.
    let exact = dir.appendingPathComponent("exact.sqlite").path
    try fetch(db: exact, to: b)
    #expect(try stored(exact) == Array(candles.prefix(720)))

    // --to later than the exchange's clock (an hour past ours): the same 720, not the forming
    // candle at B, and no page asked past the exchange's now.
    let late = dir.appendingPathComponent("late.sqlite").path
    try fetch(db: late, to: local + 3_600_000)
    #expect(try stored(late) == Array(candles.prefix(720)))
    // Without --to: the same again; a re-run stores nothing twice and asks for no candles.
    let open = dir.appendingPathComponent("open.sqlite").path
    try fetch(db: open, to: nil)
    let klineRequests = mock.klineRequests
    try fetch(db: open, to: nil)
    #expect(try stored(open) == Array(candles.prefix(720)))
    #expect(mock.klineRequests.count == klineRequests.count)
    for request in klineRequests {
      #expect(request.end.map { $0 < tf.floor(request.serverTime) } == true, "\(request.target)")
    }
  }

  /// `--timeframe 1w` stores the exchange's weeks, which open on Mondays at 00:00 UTC.
  @Test(arguments: ["bybit", "binance"])
  func weeklyCandlesAreTheExchangesMondayWeeks(exchange: String) throws {
    let firstMonday = try #require(UTCTime.parse("2023-01-02T00:00:00Z"))
    let week: Int64 = 7 * 86_400_000
    let candles = (0..<60).map { i in
      let open = 20_000 + Double(i) * 10
      return Candle(
        time: firstMonday + Int64(i) * week, open: open, high: open + 500, low: open - 500,
        close: open + 5, volume: 1_000 + Double(i))
    }
    // The exchange's clock is in the middle of the 60th week: 59 have closed.
    let mock = try MockExchange(
      candles: candles, timeframe: .week, serverTime: candles[59].time + 3 * 86_400_000)
    defer { mock.stop() }
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-fetch-weeks-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("wick.sqlite").path
    try DataFetch.parse([
      "--exchange", exchange, "--base-url", mock.baseURL, "--symbol", "BTCUSDT",
      "--timeframe", "1w", "--from", "2023-01-01", "--db", db,
    ]).run()
    let cursor = try CandleStore(path: db).cursor(
      series: SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: .week))
    var stored: [Candle] = []
    while let c = try cursor.next() { stored.append(c) }
    #expect(stored == Array(candles.prefix(59)))
    #expect(stored.allSatisfy { ($0.time / 86_400_000 + 3) % 7 == 0 })  // Mondays (the epoch was a Thursday)
    let interval = exchange == "bybit" ? "interval=W&" : "interval=1w&"
    #expect(mock.klineRequests.allSatisfy { $0.target.contains(interval) })
  }
}
