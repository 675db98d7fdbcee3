import Foundation

/// A small JSON reader for exchange responses: values refer to byte ranges of the body, so a
/// page of a thousand klines costs one array per kline and no string per field. Numbers (and
/// the numeric strings exchanges send) convert with `strtod` straight from the bytes.
public struct JSONDocument: Sendable {
  /// Only the containers are indirect: scalars stay inline, so a kline costs one array
  /// allocation rather than one box per field.
  public enum Value: Sendable {
    case string(Range<Int>)
    case number(Range<Int>)
    case bool(Bool)
    case null
    indirect case array([Value])
    indirect case object([(key: Range<Int>, value: Value)])
  }

  struct Malformed: Error {
    var reason: String
    var offset: Int
  }

  /// The body with a NUL appended, so `strtod` always stops inside the buffer.
  public let bytes: [UInt8]
  public let root: Value

  public init(_ body: [UInt8]) throws {
    var b = body
    b.append(0)
    bytes = b
    var p = Parser(bytes: b, end: body.count)
    root = try p.value()
    p.skipSpace()
    guard p.i == body.count else {
      throw Malformed(reason: "unexpected text after the JSON value", offset: p.i)
    }
  }

  public func text(_ r: Range<Int>) -> String { String(decoding: bytes[r], as: UTF8.self) }

  /// The number in a JSON number or a numeric string.
  public func double(_ v: Value) -> Double? {
    let r: Range<Int>
    switch v {
    case .number(let x), .string(let x): r = x
    default: return nil
    }
    guard !r.isEmpty else { return nil }
    if let d = Self.plainDecimal(bytes, r) { return d }
    return bytes.withUnsafeBufferPointer { buf -> Double? in
      buf.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buf.count) { base -> Double? in
        let start = base + r.lowerBound
        var end: UnsafeMutablePointer<CChar>? = nil
        let d = strtod(start, &end)
        guard let end, UnsafePointer(end) - start == r.count, d.isFinite else { return nil }
        return d
      }
    }
  }

  static let exactPowersOfTen: [Double] = (0...22).map { pow(10, Double($0)) }

  /// `-?digits[.digits]` with at most 2^53 as its digits and at most 22 decimals, the shape of
  /// every price and size an exchange sends: the digits and the power of ten are both exact
  /// doubles, so one division gives the correctly rounded value, the very double `strtod`
  /// returns (Clinger's fast path), at a fraction of `strtod`'s cost. Anything else is nil.
  static func plainDecimal(_ bytes: [UInt8], _ r: Range<Int>) -> Double? {
    bytes.withUnsafeBufferPointer { plainDecimal($0.baseAddress! + r.lowerBound, count: r.count) }
  }

  @inline(__always)
  private static func plainDecimal(_ text: UnsafePointer<UInt8>, count: Int) -> Double? {
    var i = 0
    let negative = text[0] == UInt8(ascii: "-")
    if negative { i = 1 }
    var mantissa: UInt64 = 0
    var digits = 0
    var decimals = 0
    var seenPoint = false
    while i < count {
      let b = text[i]
      if b == UInt8(ascii: ".") {
        if seenPoint { return nil }
        seenPoint = true
      } else {
        let digit = b &- UInt8(ascii: "0")
        guard digit < 10 else { return nil }
        mantissa = mantissa &* 10 &+ UInt64(digit)
        digits += 1
        if seenPoint { decimals += 1 }
        // 19 digits cannot overflow; past 2^53 the mantissa is no longer an exact double.
        guard digits < 19 || mantissa <= 1 << 53 else { return nil }
      }
      i += 1
    }
    guard digits > 0, mantissa <= 1 << 53, decimals <= 22 else { return nil }
    let magnitude = Double(mantissa) / exactPowersOfTen[decimals]
    return negative ? -magnitude : magnitude
  }

  /// A whole number (a millisecond time, a count) from a number or numeric string; nil when
  /// fractional or beyond ±9e15, so that a hostile value is refused rather than trapping in the
  /// conversion.
  public func int64(_ v: Value) -> Int64? {
    guard let d = double(v), d == d.rounded(), abs(d) < 9e15 else { return nil }
    return Int64(d)
  }

  // The exchange clients read optional members: nil when the member is absent.

  /// A JSON string's text (exchange fields are plain ASCII: ids, enums and numeric strings).
  public func string(_ v: Value?) -> String? {
    guard case .string(let r)? = v else { return nil }
    return text(r)
  }

  /// A number or numeric string; nil when absent or not a finite number (Bybit sends "" for
  /// "not set").
  public func number(_ v: Value?) -> Double? {
    guard let v else { return nil }
    return double(v)
  }

  /// `int64` of a member that may be absent.
  public func int64(_ v: Value?) -> Int64? {
    guard let v else { return nil }
    return int64(v)
  }

  public func member(_ v: Value, _ key: String) -> Value? {
    guard case .object(let members) = v else { return nil }
    let k = Array(key.utf8)
    return members.first { bytes[$0.key].elementsEqual(k) }?.value
  }

  /// Arrays and objects nest at most this deep. The reader recurses once per level, so without
  /// a bound a body of a few thousand `[` overflows the stack and ends the process; exchange
  /// answers nest five levels at most.
  static let maxDepth = 64

  struct Parser {
    let bytes: [UInt8]
    let end: Int
    var i = 0
    var depth = 0

    mutating func skipSpace() {
      while i < end, bytes[i] == 32 || bytes[i] == 10 || bytes[i] == 13 || bytes[i] == 9 { i += 1 }
    }

    mutating func value() throws -> Value {
      skipSpace()
      guard i < end else { throw Malformed(reason: "truncated JSON", offset: i) }
      switch bytes[i] {
      case 34: return .string(try string())
      case 91, 123:
        depth += 1
        defer { depth -= 1 }
        guard depth <= JSONDocument.maxDepth else {
          throw Malformed(
            reason: "arrays and objects nested deeper than \(JSONDocument.maxDepth) levels",
            offset: i)
        }
        return bytes[i] == 91 ? try array() : try object()
      case 116 where bytes[i..<min(i + 4, end)].elementsEqual("true".utf8):
        i += 4
        return .bool(true)
      case 102 where bytes[i..<min(i + 5, end)].elementsEqual("false".utf8):
        i += 5
        return .bool(false)
      case 110 where bytes[i..<min(i + 4, end)].elementsEqual("null".utf8):
        i += 4
        return .null
      default:
        let start = i
        while i < end,
          (bytes[i] >= 48 && bytes[i] <= 57) || bytes[i] == 45 || bytes[i] == 43 || bytes[i] == 46
            || bytes[i] == 101 || bytes[i] == 69
        {
          i += 1
        }
        guard i > start else { throw Malformed(reason: "unexpected character", offset: i) }
        return .number(start..<i)
      }
    }

    /// An array, `[` at `i`.
    mutating func array() throws -> Value {
      i += 1
      var items: [Value] = []
      items.reserveCapacity(12)  // a kline row: one allocation instead of four growths
      skipSpace()
      if i < end, bytes[i] == 93 {
        i += 1
        return .array(items)
      }
      while true {
        items.append(try value())
        skipSpace()
        guard i < end else { throw Malformed(reason: "truncated JSON", offset: i) }
        if bytes[i] == 44 {
          i += 1
        } else if bytes[i] == 93 {
          i += 1
          return .array(items)
        } else {
          throw Malformed(reason: "expected ',' or ']'", offset: i)
        }
      }
    }

    /// An object, `{` at `i`.
    mutating func object() throws -> Value {
      i += 1
      var members: [(key: Range<Int>, value: Value)] = []
      skipSpace()
      if i < end, bytes[i] == 125 {
        i += 1
        return .object(members)
      }
      while true {
        skipSpace()
        guard i < end, bytes[i] == 34 else {
          throw Malformed(reason: i < end ? "expected a key" : "truncated JSON", offset: i)
        }
        let key = try string()
        skipSpace()
        guard i < end, bytes[i] == 58 else {
          throw Malformed(reason: i < end ? "expected ':'" : "truncated JSON", offset: i)
        }
        i += 1
        members.append((key, try value()))
        skipSpace()
        guard i < end else { throw Malformed(reason: "truncated JSON", offset: i) }
        if bytes[i] == 44 {
          i += 1
        } else if bytes[i] == 125 {
          i += 1
          return .object(members)
        } else {
          throw Malformed(reason: "expected ',' or '}'", offset: i)
        }
      }
    }

    /// A string's content range (escapes are kept raw: exchange fields never need decoding).
    mutating func string() throws -> Range<Int> {
      i += 1
      let start = i
      while i < end, bytes[i] != 34 {
        if bytes[i] == 92 { i += 1 }
        i += 1
      }
      guard i < end else {
        throw Malformed(reason: "truncated JSON (unterminated string)", offset: i)
      }
      defer { i += 1 }
      return start..<i
    }
  }
}
