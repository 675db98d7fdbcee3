import Foundation
import Testing
import WickCore
import WickData

@Suite struct CSVImporterTests {
  let importer = CSVImporter(timeframe: .oneMinute)
  static let header = "time,open,high,low,close,volume\n"

  /// A bad file, the line its error must name and a fragment of the reason.
  struct BadCase: Sendable, CustomTestStringConvertible {
    let name: String
    let text: String
    let line: Int
    let reason: String
    var testDescription: String { name }
  }

  static let badCases: [BadCase] = [
    BadCase(
      name: "non-monotonic time",
      text: header + "1704067260000,1,2,0.5,1.5,3\n1704067200000,1,2,0.5,1.5,3\n", line: 3,
      reason: "time 2024-01-01T00:00:00Z is before 2024-01-01T00:01:00Z on line 2"),
    BadCase(
      name: "duplicate time",
      text: header
        + "1704067200000,1,2,0.5,1.5,3\n1704067260000,1,2,0.5,1.5,3\n1704067260,1,2,0.5,1.5,3\n",
      line: 4,
      reason: "duplicate time 2024-01-01T00:01:00Z (also on line 3)"),
    BadCase(
      name: "high below max(open, close)",
      text: header + "1704067200000,1,1.2,0.5,1.5,3\n", line: 2,
      reason: "high 1.2 is below max(open, close) 1.5"),
    BadCase(
      name: "low above min(open, close)",
      text: header + "1704067200000,1,2,1.1,1.5,3\n", line: 2,
      reason: "low 1.1 is above min(open, close) 1.0"),
    BadCase(
      name: "NaN", text: header + "1704067200000,1,2,0.5,1.5,3\n1704067260000,nan,2,0.5,1.5,3\n",
      line: 3,
      reason: "open 'nan' is not a finite number"),
    BadCase(
      name: "text instead of a number", text: header + "1704067200000,1,2,0.5,abc,3\n", line: 2,
      reason: "close 'abc' is not a number"),
    BadCase(
      name: "missing field", text: header + "1704067200000,1,2,0.5,1.5\n", line: 2,
      reason: "expected 6 fields (time,open,high,low,close,volume), found 5"),
    BadCase(
      name: "misaligned time", text: header + "1704067230000,1,2,0.5,1.5,3\n", line: 2,
      reason: "time 2024-01-01T00:00:30Z is not aligned to 1m candles"),
    BadCase(
      name: "bad header", text: "date,open,high,low,close,volume\n1704067200000,1,2,0.5,1.5,3\n",
      line: 1,
      reason: "lacks column 'time'"),
    BadCase(name: "empty file", text: "", line: 1, reason: "empty file"),
    BadCase(
      name: "header only", text: header + "\n", line: 1, reason: "no candle rows after the header"),
    BadCase(
      name: "negative volume", text: header + "1704067200000,1,2,0.5,1.5,-3\n", line: 2,
      reason: "volume must not be negative"),
    BadCase(
      name: "unparseable time", text: header + "yesterday,1,2,0.5,1.5,3\n", line: 2,
      reason: "time 'yesterday' is not epoch seconds, epoch milliseconds or ISO-8601 UTC"),
  ]

  @Test(arguments: badCases) func badInputNamesFileLineAndReason(_ bad: BadCase) throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("bad.csv")
    try Data(bad.text.utf8).write(to: URL(fileURLWithPath: file))
    let store = try CandleStore(path: dir.path("wick.sqlite"))
    let key = SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)
    do {
      try store.write(importer.candles(fromFile: file), series: key, replace: false)
      Issue.record("expected an error for \(bad.name)")
    } catch let WickError.invalidFile(path, line, reason) {
      #expect(path == file)
      #expect(line == bad.line)
      #expect(reason.contains(bad.reason), "reason was: \(reason)")
    }
    #expect(try store.count(series: key) == 0)
  }

  /// Weekly candles open on Mondays: a file of Thursday weeks (counted from the epoch) is refused
  /// at its first line, saying when weeks open; the exchanges' Monday weeks import.
  @Test func weeklyCandlesMustOpenOnMondays() throws {
    let weekly = CSVImporter(timeframe: .week)
    let thursdays =
      Self.header + "2024-01-04T00:00:00Z,1,2,0.5,1.5,3\n2024-01-11T00:00:00Z,1,2,0.5,1.5,3\n"
    #expect(
      throws: WickError.invalidFile(
        path: "weeks.csv", line: 2,
        reason:
          "time 2024-01-04T00:00:00Z is not aligned to 1w candles, which open on Mondays at 00:00 UTC"
      )
    ) { try weekly.candles(from: Array(thursdays.utf8), file: "weeks.csv") }
    let mondays = Self.header + "1704067200000,1,2,0.5,1.5,3\n1704672000000,1,2,0.5,1.5,3\n"
    #expect(
      try weekly.candles(from: Array(mondays.utf8), file: "weeks.csv").map { UTCTime.iso($0.time) }
        == ["2024-01-01T00:00:00Z", "2024-01-08T00:00:00Z"])
  }

  @Test func secondsMillisecondsAndISOParseAlike() throws {
    let expected = [
      Candle(
        time: 1_704_067_200_000, open: 42_000, high: 42_100.5, low: 41_900.25, close: 42_050,
        volume: 12.5),
      Candle(
        time: 1_704_067_260_000, open: 42_050, high: 42_060, low: 42_000, close: 42_010, volume: 0),
    ]
    let variants = [
      "1704067200,42000,42100.5,41900.25,42050,12.5\n1704067260,42050,42060,42000,42010,0\n",
      "1704067200000,42000,42100.5,41900.25,42050,12.5\n1704067260000,42050,42060,42000,42010,0\n",
      "2024-01-01T00:00:00Z,42000,42100.5,41900.25,42050,12.5\n2024-01-01 00:01:00,42050,42060,42000,42010,0\n",
      "1704067200000000,42000,42100.5,41900.25,42050,12.5\n1704067260000000,42050,42060,42000,42010,0\n",
    ]
    for body in variants {
      #expect(
        try importer.candles(from: Array((Self.header + body).utf8), file: "t.csv") == expected)
    }
  }

  @Test func headerIsCaseInsensitiveAndToleratesWhitespaceAndBOM() throws {
    let text =
      "\u{FEFF} Time , OPEN,High ,low,\tClose,VOLUME \r\n\r\n 1704067200000 , 1 , 2 , 0.5 , 1.5 , 3 \r\n\n"
    #expect(
      try importer.candles(from: Array(text.utf8), file: "t.csv")
        == [Candle(time: 1_704_067_200_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3)])
  }

  @Test func columnsMayComeInAnyOrder() throws {
    let text = "volume,time,close,low,high,open\n3,1704067200000,1.5,0.5,2,1\n"
    #expect(
      try importer.candles(from: Array(text.utf8), file: "t.csv")
        == [Candle(time: 1_704_067_200_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 3)])
  }

  @Test func exportThenImportIsIdentical() throws {
    let dir = try TemporaryDirectory()
    let store = try CandleStore(path: dir.path("wick.sqlite"))
    let key = SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)
    // Values with long binary expansions: a lossy formatter would not round-trip them.
    let candles = testCandles(count: 2_000).map { c -> Candle in
      var c = c
      c.open *= 1.000_000_1
      c.close /= 3
      c.low = min(c.low, c.close) * 0.999_999_7
      c.high = max(c.high, c.open) + 1e-7
      c.volume = c.volume / 7
      return c
    }
    try store.write(candles, series: key, replace: false)
    let file = dir.path("out.csv")
    FileManager.default.createFile(atPath: file, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: file))
    #expect(try CSVExporter.export(store.cursor(series: key), to: handle) == 2_000)
    try handle.close()
    #expect(try importer.candles(fromFile: file) == candles)
  }

  /// `count` valid 1m rows from 2024-01-01, with CRLF endings and a blank line every 97 rows;
  /// `broken` (a 0-based row) gets a high below its close.
  static func rows(_ count: Int, broken: Int? = nil) -> String {
    var text = "\u{FEFF}" + header
    for i in 0..<count {
      let open = 100 + Double(i % 50) / 8
      let high = i == broken ? open - 1 : open + 1.25
      text += "\(1_704_067_200 + 60 * i),\(open),\(high),\(open - 0.5),\(open),\(i % 7)\r\n"
      if i % 97 == 0 { text += "\n" }
    }
    return text
  }

  /// The file is read through a fixed buffer: with a 64-byte buffer (every row straddles a
  /// refill) and small batches, the candles are the same as reading the bytes whole, handed over
  /// in order in batches no larger than asked.
  @Test func streamingThroughASmallBufferReadsWhatAWholeReadDoes() throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("rows.csv")
    let text = Self.rows(5_000)
    try Data(text.utf8).write(to: URL(fileURLWithPath: file))
    var streamed: [Candle] = []
    var largest = 0
    let summary = try importer.read(fromFile: file, batchSize: 700, bufferBytes: 64) {
      largest = max(largest, $0.count)
      streamed += $0
    }
    let whole = try importer.candles(from: Array(text.utf8), file: file)
    #expect(whole.count == 5_000)
    #expect(streamed == whole)
    #expect(largest == 700)
    #expect(summary.count == 5_000)
    #expect(summary.first == whole[0].time && summary.last == whole[4_999].time)
  }

  /// A bad row far into the file is named by its own line number (blank lines counted), after the
  /// batches before it were handed over: the caller's transaction is what writes nothing.
  @Test func aBadRowLateInAStreamNamesItsLine() throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("late.csv")
    try Data(Self.rows(5_000, broken: 4_321).utf8).write(to: URL(fileURLWithPath: file))
    var handed = 0
    // Row k sits on line 2 + k + (blank lines after rows 0, 97, ... before it).
    let line = 2 + 4_321 + (4_321 + 96) / 97
    #expect(throws: WickError.self) {
      do {
        try importer.read(fromFile: file, batchSize: 1_000, bufferBytes: 64) { handed += $0.count }
      } catch let WickError.invalidFile(path, l, reason) {
        #expect(path == file)
        #expect(l == line)
        #expect(reason.contains("is below max(open, close)"), "reason was: \(reason)")
        throw WickError.invalidFile(path: path, line: l, reason: reason)
      }
    }
    #expect(handed == 4_000)
  }

  /// A file without newlines is not read into memory whole: the reader stops at 1 MB of one line.
  @Test func aLineOverAMegabyteIsRefused() throws {
    let dir = try TemporaryDirectory()
    let file = dir.path("long.csv")
    try Data(Self.header.utf8 + Array(repeating: UInt8(ascii: "1"), count: 3 << 20)).write(
      to: URL(fileURLWithPath: file))
    #expect(
      throws: WickError.invalidFile(
        path: file, line: 2, reason: "line is longer than 1048576 bytes; not a candle row")
    ) { try importer.read(fromFile: file) { _ in } }
  }
}
