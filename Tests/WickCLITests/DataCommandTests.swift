import ArgumentParser
import Foundation
import Testing
import WickCore
import WickData

@testable import WickCLI

/// `wick data import` as a user runs it: a bad row fails the command and writes nothing.
@Suite struct DataCommandTests {
  @Test func aBadRowFailsTheImportAndWritesNothing() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-data-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("w.sqlite").path
    let good = dir.appendingPathComponent("good.csv").path
    let bad = dir.appendingPathComponent("bad.csv").path
    try
      "time,open,high,low,close,volume\n2024-01-01T00:00:00Z,1,2,0.5,1.5,3\n2024-01-01T00:01:00Z,1.5,2,1,1.8,4\n"
      .write(toFile: good, atomically: true, encoding: .utf8)
    try
      "time,open,high,low,close,volume\n1704067320000,1,2,0.5,1.5,3\n1704067380000,1,0.9,0.5,1.5,3\n"
      .write(toFile: bad, atomically: true, encoding: .utf8)
    try DataImport.parse([good, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db]).run()
    #expect(throws: ExitCode.self) {
      try DataImport.parse([bad, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db]).run()
    }
    let store = try CandleStore(path: db)
    #expect(try store.count(series: SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)) == 2)
    // The same file again without --replace is refused too; with it, it is accepted.
    #expect(throws: ExitCode.self) {
      try DataImport.parse([good, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db]).run()
    }
    try DataImport.parse([
      good, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db, "--replace",
    ]).run()
    #expect(try store.count(series: SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)) == 2)
  }

  /// A bad row after the first written batch still leaves the cache as it was (the stream is one
  /// transaction), and a failed import into a cache that did not exist leaves no file behind.
  @Test func aLateBadRowRollsBackEveryBatch() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-data-cli-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("w.sqlite").path
    let csv = dir.appendingPathComponent("big.csv").path
    var text = "time,open,high,low,close,volume\n"
    for i in 0..<70_000 {
      text += "\(1_704_067_200 + 60 * i),1,\(i == 69_999 ? "0.9" : "2"),0.5,1.5,3\n"
    }
    try text.write(toFile: csv, atomically: true, encoding: .utf8)
    let args = [csv, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db]
    #expect(throws: ExitCode.self) { try DataImport.parse(args).run() }
    #expect(!FileManager.default.fileExists(atPath: db))
    // Into an existing cache: its series keeps exactly what it had.
    let other = SeriesKey(symbol: "ETHUSDT", timeframe: .oneMinute)
    try CandleStore(path: db).write(
      [Candle(time: 1_704_067_200_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3)],
      series: other, replace: false)
    #expect(throws: ExitCode.self) { try DataImport.parse(args).run() }
    let store = try CandleStore(path: db)
    #expect(try store.count(series: SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)) == 0)
    #expect(try store.count(series: other) == 1)
  }
}
