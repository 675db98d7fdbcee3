import Foundation
import WickCore

/// Reads a candle CSV (`time,open,high,low,close,volume`) into validated candles.
///
///     let candles = try CSVImporter(timeframe: .oneMinute).candles(fromFile: "btc.csv")
///     try store.write(candles, series: key, replace: false)   // one transaction
///
/// `time` may be epoch seconds, milliseconds or microseconds (told apart by magnitude: below
/// 1e11 is seconds, below 1e14 milliseconds, microseconds above — Binance's newer dumps) or
/// ISO-8601 UTC. A leading UTF-8 byte-order mark (spreadsheet exports) is ignored. Every row is checked — field count, finite numbers, strictly
/// increasing and timeframe-aligned times, high ≥ max(open, close), low ≤ min(open, close),
/// volume ≥ 0 — and the first bad row throws `WickError.invalidFile` with its line number, so a
/// caller that writes only after parsing writes nothing from a bad file.
public struct CSVImporter: Sendable {
  public let timeframe: Timeframe

  public init(timeframe: Timeframe) {
    self.timeframe = timeframe
  }

  /// Parses the file at `path`.
  public func candles(fromFile path: String) throws -> [Candle] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the file")
    }
    return try candles(from: [UInt8](data), file: path)
  }

  /// Parses CSV bytes; `file` names them in errors.
  public func candles(from bytes: [UInt8], file: String) throws -> [Candle] {
    // strtod needs a terminator after the last field; the NUL is never part of a line.
    var terminated = bytes
    terminated.append(0)
    return try terminated.withUnsafeBufferPointer { buffer in
      var parser = Parser(bytes: buffer, length: bytes.count, file: file, timeframe: timeframe)
      return try parser.run()
    }
  }
}

/// The row loop, over a NUL-terminated buffer.
private struct Parser {
  let bytes: UnsafeBufferPointer<UInt8>
  let length: Int
  let file: String
  let timeframe: Timeframe
  var fields = CSVFields()
  var lineNumber = 0
  var offset = 0

  init(bytes: UnsafeBufferPointer<UInt8>, length: Int, file: String, timeframe: Timeframe) {
    self.bytes = bytes
    self.length = length
    self.file = file
    self.timeframe = timeframe
  }

  mutating func run() throws -> [Candle] {
    if length >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { offset = 3 }
    guard let headerLine = nextLine() else {
      throw failure(line: 1, "empty file; expected the header \(CSVHeader.expected)")
    }
    fields.split(bytes, line: headerLine)
    let header: CSVHeader
    switch CSVHeader.parse(fields.ranges.map { CSVFields.text(bytes, $0) }) {
    case .success(let h): header = h
    case .failure(let e): throw failure(line: lineNumber, e.reason)
    }
    let headerLineNumber = lineNumber
    var candles: [Candle] = []
    // ~45 bytes per row: reserving avoids regrowing a multi-million-element array.
    candles.reserveCapacity(length / 40)
    var previousLine = 0
    while let line = nextLine() {
      let candle = try row(line, header)
      if let previous = candles.last {
        if candle.time == previous.time {
          throw failure(
            line: lineNumber,
            "duplicate time \(UTCTime.iso(candle.time)) (also on line \(previousLine))")
        }
        if candle.time < previous.time {
          throw failure(
            line: lineNumber,
            "time \(UTCTime.iso(candle.time)) is before \(UTCTime.iso(previous.time)) on line \(previousLine); rows must be in increasing time order"
          )
        }
      }
      candles.append(candle)
      previousLine = lineNumber
    }
    if candles.isEmpty { throw failure(line: headerLineNumber, "no candle rows after the header") }
    return candles
  }

  /// The next non-blank line (without its newline), advancing `lineNumber`.
  private mutating func nextLine() -> Range<Int>? {
    while offset < length {
      let start = offset
      var end = length
      if let base = bytes.baseAddress, let nl = memchr(base + start, 0x0A, length - start) {
        end = base.distance(to: nl.assumingMemoryBound(to: UInt8.self))
      }
      offset = end + 1
      lineNumber += 1
      if !CSVFields.isBlank(bytes, start..<end) { return start..<end }
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
