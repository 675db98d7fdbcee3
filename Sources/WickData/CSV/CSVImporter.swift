import Foundation
import WickCore

/// Reads a candle CSV (`time,open,high,low,close,volume`) into validated candles, streaming.
///
///     try store.writeBatches(series: key, replace: false) { write in   // one transaction
///       try CSVImporter(timeframe: .oneMinute).read(fromFile: "btc.csv") { try write($0) }
///     }
///
/// `time` may be epoch seconds, milliseconds or microseconds (told apart by magnitude: below
/// 1e11 is seconds, below 1e14 milliseconds, microseconds above — Binance's newer dumps) or
/// ISO-8601 UTC. A leading UTF-8 byte-order mark (spreadsheet exports) is ignored. Every row is checked — field count, finite numbers, strictly
/// increasing and timeframe-aligned times, high ≥ max(open, close), low ≤ min(open, close),
/// volume ≥ 0 — and the first bad row throws `WickError.invalidFile` with its line number, so a
/// caller that writes in one transaction writes nothing from a bad file.
public struct CSVImporter: Sendable {
  public let timeframe: Timeframe

  public init(timeframe: Timeframe) {
    self.timeframe = timeframe
  }

  /// What a streamed read saw: how many candles and the first and last open times.
  public struct Summary: Sendable, Equatable {
    public var count: Int
    public var first: Int64
    public var last: Int64
  }

  /// Streams the file at `path`: `body` gets consecutive batches of at most `batchSize`
  /// validated candles, in file order, while the file is read through a fixed buffer, so memory
  /// does not grow with the file. The first bad row throws (after the batches before it were
  /// handed over: a caller that must write nothing from a bad file writes inside one
  /// transaction, as `wick data import` does).
  @discardableResult
  public func read(
    fromFile path: String, batchSize: Int = 65_536, bufferBytes: Int = 1 << 20,
    _ body: ([Candle]) throws -> Void
  ) throws -> Summary {
    var parser = Parser(
      reader: try CSVLineReader(path: path, bufferBytes: bufferBytes), file: path, timeframe: timeframe)
    return try parser.run(batchSize: batchSize, body)
  }

  /// Parses the file at `path` whole.
  public func candles(fromFile path: String) throws -> [Candle] {
    var all: [Candle] = []
    try read(fromFile: path) { all += $0 }
    return all
  }

  /// Parses CSV bytes; `file` names them in errors.
  public func candles(from bytes: [UInt8], file: String) throws -> [Candle] {
    var parser = Parser(
      reader: CSVLineReader(bytes: bytes, file: file), file: file, timeframe: timeframe)
    var all: [Candle] = []
    _ = try parser.run(batchSize: 65_536) { all += $0 }
    return all
  }
}

/// The row loop, over the reader's lines.
private struct Parser {
  let reader: CSVLineReader
  var bytes: UnsafeBufferPointer<UInt8>
  let file: String
  let timeframe: Timeframe
  var fields = CSVFields()
  var lineNumber: Int { reader.lineNumber }

  init(reader: CSVLineReader, file: String, timeframe: Timeframe) {
    self.reader = reader
    bytes = reader.bytes
    self.file = file
    self.timeframe = timeframe
  }

  mutating func run(batchSize: Int, _ body: ([Candle]) throws -> Void) throws
    -> CSVImporter.Summary
  {
    guard let headerLine = try nextLine() else {
      throw failure(line: 1, "empty file; expected the header \(CSVHeader.expected)")
    }
    fields.split(bytes, line: headerLine)
    let header: CSVHeader
    switch CSVHeader.parse(fields.ranges.map { CSVFields.text(bytes, $0) }) {
    case .success(let h): header = h
    case .failure(let e): throw failure(line: lineNumber, e.reason)
    }
    let headerLineNumber = lineNumber
    var batch: [Candle] = []
    batch.reserveCapacity(batchSize)
    var summary = CSVImporter.Summary(count: 0, first: 0, last: 0)
    var previous: (time: Int64, line: Int)? = nil
    while let line = try nextLine() {
      let candle = try row(line, header)
      if let previous {
        if candle.time == previous.time {
          throw failure(
            line: lineNumber,
            "duplicate time \(UTCTime.iso(candle.time)) (also on line \(previous.line))")
        }
        if candle.time < previous.time {
          throw failure(
            line: lineNumber,
            "time \(UTCTime.iso(candle.time)) is before \(UTCTime.iso(previous.time)) on line \(previous.line); rows must be in increasing time order"
          )
        }
      } else {
        summary.first = candle.time
      }
      batch.append(candle)
      previous = (candle.time, lineNumber)
      if batch.count == batchSize {
        try body(batch)
        summary.count += batch.count
        batch.removeAll(keepingCapacity: true)
      }
    }
    guard let previous else {
      throw failure(line: headerLineNumber, "no candle rows after the header")
    }
    if !batch.isEmpty {
      try body(batch)
      summary.count += batch.count
    }
    summary.last = previous.time
    return summary
  }

  /// The next non-blank line (without its newline); `bytes` is the buffer it indexes.
  private mutating func nextLine() throws -> Range<Int>? {
    while let line = try reader.nextLine() {
      bytes = reader.bytes
      if !CSVFields.isBlank(bytes, line) { return line }
    }
    return nil
  }

  private mutating func row(_ line: Range<Int>, _ header: CSVHeader) throws -> Candle {
    fields.split(bytes, line: line)
    guard fields.count == header.fieldCount else {
      throw failure(
        line: lineNumber,
        "expected \(header.fieldCount) fields (\(CSVHeader.expected)), found \(fields.count)")
    }
    let time = try parseTime(fields.ranges[header.position[0]])
    var values = (0.0, 0.0, 0.0, 0.0, 0.0)
    for k in 1...5 {
      let range = fields.ranges[header.position[k]]
      guard let v = CSVFields.double(bytes, range) else {
        throw failure(
          line: lineNumber,
          "\(CSVHeader.columns[k]) '\(CSVFields.text(bytes, range))' is not a number")
      }
      guard v.isFinite else {
        throw failure(
          line: lineNumber,
          "\(CSVHeader.columns[k]) '\(CSVFields.text(bytes, range))' is not a finite number")
      }
      switch k {
      case 1: values.0 = v
      case 2: values.1 = v
      case 3: values.2 = v
      case 4: values.3 = v
      default: values.4 = v
      }
    }
    let candle = Candle(
      time: time, open: values.0, high: values.1, low: values.2, close: values.3, volume: values.4)
    if let reason = candle.invalidReason { throw failure(line: lineNumber, reason) }
    return candle
  }

  /// Epoch seconds, milliseconds or microseconds (by magnitude) or ISO-8601, checked against the
  /// timeframe grid.
  private func parseTime(_ range: Range<Int>) throws -> Int64 {
    let time: Int64
    if let n = CSVFields.integer(bytes, range) {
      switch abs(n) {
      case ..<100_000_000_000: time = n * 1000
      case ..<100_000_000_000_000: time = n
      default: time = n / 1000
      }
    } else if let t = UTCTime.parse(CSVFields.text(bytes, range)) {
      time = t
    } else {
      throw failure(
        line: lineNumber,
        "time '\(CSVFields.text(bytes, range))' is not epoch seconds, epoch milliseconds or ISO-8601 UTC"
      )
    }
    guard timeframe.isAligned(time) else {
      throw failure(
        line: lineNumber,
        "time \(UTCTime.iso(time)) is not aligned to \(timeframe) candles, which open \(timeframe.alignment)"
      )
    }
    return time
  }

  private func failure(line: Int, _ reason: String) -> WickError {
    .invalidFile(path: file, line: line, reason: reason)
  }
}
