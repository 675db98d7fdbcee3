import Foundation

/// One CSV line split into trimmed fields, as byte ranges into the file buffer (no copies).
///
/// Fields are separated by `,`; spaces, tabs, a trailing `\r` and one pair of surrounding
/// double quotes are stripped. Quoted commas are not supported: candle files never need them.
struct CSVFields {
  /// Start and end (exclusive) offsets of each field, reused from line to line.
  private(set) var ranges: [Range<Int>] = []

  var count: Int { ranges.count }

  /// Splits `bytes[line]` into fields.
  mutating func split(_ bytes: UnsafeBufferPointer<UInt8>, line: Range<Int>) {
    ranges.removeAll(keepingCapacity: true)
    var start = line.lowerBound
    var i = line.lowerBound
    while i <= line.upperBound {
      if i == line.upperBound || bytes[i] == UInt8(ascii: ",") {
        ranges.append(Self.trim(bytes, start..<i))
        start = i + 1
      }
      i += 1
    }
  }

  /// True when the line holds only whitespace.
  static func isBlank(_ bytes: UnsafeBufferPointer<UInt8>, _ line: Range<Int>) -> Bool {
    trim(bytes, line).isEmpty
  }

  private static func trim(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
    var lo = range.lowerBound
    var hi = range.upperBound
    func space(_ b: UInt8) -> Bool { b == 0x20 || b == 0x09 || b == 0x0D }
    while lo < hi, space(bytes[lo]) { lo += 1 }
    while hi > lo, space(bytes[hi - 1]) { hi -= 1 }
    if hi - lo >= 2, bytes[lo] == 0x22, bytes[hi - 1] == 0x22 {
      lo += 1
      hi -= 1
    }
    return lo..<hi
  }

  /// The field as text, for error messages and ISO times.
  static func text(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
    String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
  }

  /// Parses a decimal number in place. `strtod` is correctly rounded, so every double printed
  /// by Swift's shortest round-trip formatting reads back bit for bit; the buffer ends in a NUL
  /// and a field is always followed by a separator, so `strtod` never runs past the line.
  static func double(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Double? {
    guard !range.isEmpty, let base = bytes.baseAddress else { return nil }
    let start = UnsafeRawPointer(base + range.lowerBound).assumingMemoryBound(to: CChar.self)
    let fieldEnd = UnsafeRawPointer(base + range.upperBound)
    var end: UnsafeMutablePointer<CChar>?
    let value = strtod(start, &end)
    guard let end, UnsafeRawPointer(end) == fieldEnd else { return nil }
    return value
  }

  /// Parses an optionally signed decimal integer, or nil when the field is anything else.
  static func integer(_ bytes: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int64? {
    var i = range.lowerBound
    var negative = false
    if i < range.upperBound, bytes[i] == UInt8(ascii: "-") {
      negative = true
      i += 1
    }
    guard i < range.upperBound, range.upperBound - i <= 18 else { return nil }
    var value: Int64 = 0
    while i < range.upperBound {
      let d = bytes[i] &- 48
      guard d < 10 else { return nil }
      value = value * 10 + Int64(d)
      i += 1
    }
    return negative ? -value : value
  }
}
