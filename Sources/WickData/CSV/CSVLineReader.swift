import Foundation
import WickCore

/// Lines of a file (or of bytes already in memory) through one fixed buffer, so reading a
/// multi-gigabyte CSV holds a megabyte of it at a time. A line is a byte range into `bytes`,
/// valid until the next call to `nextLine()`; the byte after a line is always its `\n` or a NUL,
/// which is what `strtod` needs to stop at the line's end.
final class CSVLineReader {
  /// Lines longer than this are not candle rows: the reader stops instead of growing without
  /// bound on a file that has no newlines.
  static let maxLineBytes = 1 << 20

  private var buffer: UnsafeMutablePointer<UInt8>
  private var capacity: Int
  private var start = 0  // first unread byte
  private var end = 0  // end of the valid bytes; buffer[end] == 0
  private let descriptor: Int32?
  private var atEnd = false
  private let path: String
  /// 1-based number of the line last returned.
  private(set) var lineNumber = 0

  /// Reads `path`; throws when it cannot be opened.
  init(path: String, bufferBytes: Int = 1 << 20) throws {
    let fd = open(path, O_RDONLY)
    guard fd >= 0 else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the file")
    }
    self.path = path
    descriptor = fd
    capacity = max(bufferBytes, 64)
    buffer = .allocate(capacity: capacity + 1)
    buffer[0] = 0
    try skipByteOrderMark()
  }

  /// Reads bytes already in memory (one copy, NUL-terminated).
  init(bytes: [UInt8], file: String) {
    path = file
    descriptor = nil
    capacity = bytes.count
    buffer = .allocate(capacity: capacity + 1)
    bytes.withUnsafeBufferPointer { buffer.initialize(from: $0.baseAddress!, count: bytes.count) }
    end = bytes.count
    buffer[end] = 0
    atEnd = true
    try? skipByteOrderMark()
  }

  deinit {
    if let descriptor { close(descriptor) }
    buffer.deallocate()
  }

  /// The buffer the ranges returned by `nextLine()` index into.
  var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: buffer, count: end + 1) }

  /// The next line without its newline (blank ones included), or nil at the end of the input.
  func nextLine() throws -> Range<Int>? {
    while true {
      if let nl = memchr(buffer + start, 0x0A, end - start) {
        let stop = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
        defer { start = stop + 1 }
        lineNumber += 1
        return start..<stop
      }
      if atEnd {
        guard start < end else { return nil }
        defer { start = end }
        lineNumber += 1
        return start..<end
      }
      try fill()
    }
  }

  /// Moves the unread tail to the front and reads more after it.
  private func fill() throws {
    if start > 0 {
      memmove(buffer, buffer + start, end - start)
      end -= start
      start = 0
    }
    if end == capacity {
      guard capacity < Self.maxLineBytes else {
        throw WickError.invalidFile(
          path: path, line: lineNumber + 1,
          reason: "line is longer than \(Self.maxLineBytes) bytes; not a candle row")
      }
      let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: 2 * capacity + 1)
      grown.initialize(from: buffer, count: end)
      buffer.deallocate()
      buffer = grown
      capacity *= 2
    }
    var n: Int
    repeat { n = read(descriptor!, buffer + end, capacity - end) } while n < 0 && errno == EINTR
    guard n >= 0 else {
      throw WickError.invalidFile(
        path: path, line: lineNumber + 1, reason: "read failed: \(String(cString: strerror(errno)))"
      )
    }
    if n == 0 { atEnd = true }
    end += n
    buffer[end] = 0
  }

  /// A leading UTF-8 byte-order mark (spreadsheet exports) is not part of the header.
  private func skipByteOrderMark() throws {
    while end - start < 3 && !atEnd { try fill() }
    if end - start >= 3, buffer[start] == 0xEF, buffer[start + 1] == 0xBB, buffer[start + 2] == 0xBF
    {
      start += 3
    }
  }
}
