import WickCore

/// A tiny deterministic JSON writer: keys in the order given, numbers in Swift's shortest
/// round-trip form (whole numbers without ".0"), non-finite numbers as null.
///
///     var w = JSONWriter(capacity: 64)
///     w.raw("[")
///     w.number(0.1)
///     w.raw(", ")
///     w.time(1_704_067_200_000)
///     w.raw("]")
///     w.text  // [0.1, "2024-01-01T00:00:00Z"]
///
/// It appends UTF-8 bytes to one growing buffer: no intermediate strings per value, so a result
/// of thousands of trades writes at hundreds of megabytes per second.
struct JSONWriter {
  private let out: ByteBuffer
  /// The day `time` wrote last, and its date: a report's times come mostly in runs on one day,
  /// and the civil-date arithmetic is most of what a time costs.
  private var cachedDay = Int64.min
  private var cachedDate = (year: 0, month: 0, day: 0)

  init(capacity: Int = 256) { out = ByteBuffer(capacity: capacity) }

  /// What has been written, as UTF-8.
  var bytes: [UInt8] { out.array }
  /// Calls `body` with what has been written, without copying it.
  func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
    try body(UnsafeBufferPointer(start: out.base, count: out.count))
  }
  var text: String { String(decoding: out.array, as: UTF8.self) }

  /// Appends what `other` has written.
  mutating func append(_ other: JSONWriter) { out.append(other.out.base, count: other.out.count) }

  @inline(__always) mutating func raw(_ s: StaticString) {
    // A one-character literal may be stored as a scalar rather than as bytes.
    if s.hasPointerRepresentation {
      out.append(s.utf8Start, count: s.utf8CodeUnitCount)
    } else {
      s.withUTF8Buffer { out.append($0.baseAddress!, count: $0.count) }
    }
  }

  mutating func string(_ s: String) {
    out.append(UInt8(ascii: "\""))
    var s = s
    s.withUTF8 { utf8 in
      guard let base = utf8.baseAddress else { return }
      var clean = 0  // start of the run of bytes that need no escape
      for i in 0..<utf8.count {
        let b = base[i]
        guard b < 0x20 || b == 0x22 || b == 0x5C || b == 0x3C else { continue }
        out.append(base + clean, count: i - clean)
        escape(b)
        clean = i + 1
      }
      out.append(base + clean, count: utf8.count - clean)
    }
    out.append(UInt8(ascii: "\""))
  }

  private mutating func escape(_ b: UInt8) {
    switch b {
    case 0x22: raw("\\\"")
    case 0x5C: raw("\\\\")
    case 0x0A: raw("\\n")
    case 0x0D: raw("\\r")
    case 0x09: raw("\\t")
    case 0x3C: raw("\\u003c")  // keeps "</script>" inert if the JSON is embedded in HTML
    default:  // other control characters: \u00XX, lowercase hex
      raw("\\u00")
      out.append(UInt8(ascii: "0") + (b >> 4))
      out.append(b & 15 < 10 ? UInt8(ascii: "0") + (b & 15) : UInt8(ascii: "a") + (b & 15) - 10)
    }
  }

  /// `"key": value` inside an object (preceded by ", " unless first).
  @inline(__always)
  mutating func field(
    _ key: StaticString, first: Bool = false, _ value: (inout JSONWriter) -> Void
  ) {
    if !first { raw(", ") }
    // Keys are plain ASCII literals: written as they are, without scanning for escapes.
    out.append(UInt8(ascii: "\""))
    raw(key)
    raw("\": ")
    value(&self)
  }

  mutating func number(_ d: Double?) {
    guard let d, d.isFinite else {
      raw("null")
      return
    }
    if d == d.rounded(), abs(d) < 1e15 { integer(Int64(d)) } else { shortest(d) }
  }

  mutating func integer(_ v: Int64) {
    out.reserve(20)
    if v < 0 { out.append(UInt8(ascii: "-")) }
    var m = v.magnitude
    let start = out.count
    repeat {
      out.append(UInt8(ascii: "0") + UInt8(m % 10))
      m /= 10
    } while m > 0
    out.reverseTail(from: start)
  }

  /// Swift's `description` of a Double (the shortest text that reads back to the same value),
  /// written straight into the buffer by the runtime's SwiftDtoa printer. The printer leaves
  /// zero digits it pads with unwritten, so the space is pre-filled with "0".
  private mutating func shortest(_ d: Double) {
    out.reserve(32)
    let tail = out.tail
    tail.initialize(repeating: UInt8(ascii: "0"), count: 32)
    out.advance(by: Int(swiftFloat64ToString(tail, 32, d, false)))
  }

  /// A quoted ISO-8601 UTC time, identical to `"\"" + UTCTime.iso(ms) + "\""`, written digit
  /// by digit (years outside 0…9999 take the String path).
  mutating func time(_ ms: Int64) {
    let secs = UTCTime.floorDiv(ms, 1000)
    let millis = Int(ms - secs * 1000)
    let day = UTCTime.floorDiv(secs, 86_400)
    let rem = Int(secs - day * 86_400)
    if day != cachedDay {
      let (year, month, date) = UTCTime.civil(fromDays: day)
      guard (0...9999).contains(year) else {
        string(UTCTime.iso(ms))
        return
      }
      cachedDay = day
      cachedDate = (Int(year), Int(month), Int(date))
    }
    let (year, month, date) = cachedDate
    // `"YYYY-MM-DDTHH:MM:SS[.mmm]Z"`: at most 27 bytes, written through one pointer and counted
    // once (an append per byte checks the capacity per byte).
    out.reserve(27)
    let p = out.tail
    func two(_ v: Int, at i: Int) {
      p[i] = UInt8(truncatingIfNeeded: 48 + v / 10)
      p[i + 1] = UInt8(truncatingIfNeeded: 48 + v % 10)
    }
    p[0] = UInt8(ascii: "\"")
    two(year / 100, at: 1)
    two(year % 100, at: 3)
    p[5] = UInt8(ascii: "-")
    two(month, at: 6)
    p[8] = UInt8(ascii: "-")
    two(date, at: 9)
    p[11] = UInt8(ascii: "T")
    two(rem / 3600, at: 12)
    p[14] = UInt8(ascii: ":")
    two(rem / 60 % 60, at: 15)
    p[17] = UInt8(ascii: ":")
    two(rem % 60, at: 18)
    var n = 20
    if millis != 0 {
      p[20] = UInt8(ascii: ".")
      p[21] = UInt8(truncatingIfNeeded: 48 + millis / 100)
      two(millis % 100, at: 22)
      n = 24
    }
    p[n] = UInt8(ascii: "Z")
    p[n + 1] = UInt8(ascii: "\"")
    out.advance(by: n + 2)
  }
}

/// A growable byte buffer written through a raw pointer: appends of a few bytes cost a compare
/// and a store, where `Array.append(contentsOf:)` costs a generic call and a uniqueness check.
/// Owned by one `JSONWriter`; never shared.
private final class ByteBuffer {
  private(set) var base: UnsafeMutablePointer<UInt8>
  private(set) var count = 0
  private var capacity: Int

  init(capacity: Int) {
    self.capacity = max(capacity, 64)
    base = .allocate(capacity: self.capacity)
  }

  deinit { base.deallocate() }

  var array: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }
  /// Where the next byte goes (valid for as many bytes as were reserved).
  var tail: UnsafeMutablePointer<UInt8> { base + count }

  @inline(__always) func reserve(_ n: Int) {
    if count + n > capacity { grow(to: count + n) }
  }

  private func grow(to needed: Int) {
    capacity = max(needed, capacity * 2)
    let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
    bigger.update(from: base, count: count)
    base.deallocate()
    base = bigger
  }

  @inline(__always) func append(_ byte: UInt8) {
    reserve(1)
    base[count] = byte
    count += 1
  }

  @inline(__always) func append(_ bytes: UnsafePointer<UInt8>, count n: Int) {
    reserve(n)
    if n <= 16 {  // keys, separators and short values: a loop beats a call to memcpy
      for i in 0..<n { base[count + i] = bytes[i] }
    } else {
      (base + count).update(from: bytes, count: n)
    }
    count += n
  }

  /// Counts `n` bytes written at `tail` (after a `reserve`).
  @inline(__always) func advance(by n: Int) { count += n }

  /// Reverses the bytes from `start` to the end (digits are produced last first).
  func reverseTail(from start: Int) {
    var digits = UnsafeMutableBufferPointer(start: base + start, count: count - start)
    digits.reverse()
  }
}

/// The runtime's shortest round-trip float printer (SwiftDtoa), exported by libswiftCore: it
/// writes into our buffer with no String in between. The report tests check its output against
/// `description` on hundreds of thousands of values, so any difference fails loudly.
@_silgen_name("swift_float64ToString")
private func swiftFloat64ToString(
  _ buffer: UnsafeMutablePointer<UInt8>, _ length: UInt, _ value: Double, _ debug: Bool
) -> UInt64
