import Foundation
import WickCore

/// A Lua file read as text. Lua takes any bytes in a string literal or a comment (its own test
/// files hold Latin-1 strings), but Wick keeps scripts as `String`s: they are recorded with each
/// version a runner trades, replayed and hashed. So a file that is not UTF-8 is made UTF-8
/// without changing what it means: an invalid byte inside a quoted string becomes Lua's decimal
/// escape (`é` in Latin-1, byte 0xE9, becomes `\233`, the same byte at run time), one inside a
/// comment becomes `?`. Lines keep their numbers. Only where no escape exists (a long string
/// `[[...]]`, which Lua takes verbatim) or where Lua refuses the byte too (outside strings and
/// comments) is the file refused, naming its line, column and byte.
public enum ScriptText {
  /// Reads `path`; `what` names the file in errors ("strategy script", "plugin").
  public static func read(path: String, what: String = "strategy script") throws -> String {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the \(what)")
    }
    return try decode(data, path: path)
  }

  /// The text of `data`, UTF-8 as it is, else made UTF-8 as described above.
  public static func decode(_ data: Data, path: String) throws -> String {
    if let text = String(validating: data, as: UTF8.self) { return text }
    let bytes = [UInt8](data)
    var out: [UInt8] = []
    out.reserveCapacity(bytes.count + 64)
    enum Context { case code, quoted(UInt8), long(Int), lineComment, longComment(Int) }
    var context = Context.code
    var line = 1
    var lineStart = 0
    var i = 0

    /// `[`, n × `=`, `[` at `j`: the level n of a long bracket, else nil.
    func longBracket(at j: Int) -> Int? {
      guard j < bytes.count, bytes[j] == UInt8(ascii: "[") else { return nil }
      var k = j + 1
      while k < bytes.count, bytes[k] == UInt8(ascii: "=") { k += 1 }
      return k < bytes.count && bytes[k] == UInt8(ascii: "[") ? k - j - 1 : nil
    }
    /// Whether `]`, n × `=`, `]` closes a long bracket of level n at `j`.
    func closes(_ level: Int, at j: Int) -> Bool {
      guard j + level + 1 < bytes.count, bytes[j] == UInt8(ascii: "]") else { return false }
      for k in 0..<level where bytes[j + 1 + k] != UInt8(ascii: "=") { return false }
      return bytes[j + level + 1] == UInt8(ascii: "]")
    }
    func refuse(_ where_: String) -> WickError {
      let byte = String(format: "0x%02X", bytes[i])
      return .invalidFile(
        path: path, line: line,
        reason:
          "byte \(byte) at column \(i - lineStart + 1) is not UTF-8 and sits \(where_); write it as \\\(bytes[i]) inside a quoted string, or save the file as UTF-8"
      )
    }

    while i < bytes.count {
      let b = bytes[i]
      if b >= 0x80 {
        let n = validSequenceLength(bytes, at: i)
        if n > 0 {
          out.append(contentsOf: bytes[i..<i + n])
          i += n
          continue
        }
        switch context {
        case .quoted:
          out.append(contentsOf: Array("\\\(String(format: "%03d", b))".utf8))
        case .lineComment, .longComment:
          out.append(UInt8(ascii: "?"))
        case .long:
          throw refuse(
            "in a long string [[...]], which Lua takes verbatim and Wick keeps as UTF-8 text")
        case .code:
          throw refuse("outside any string or comment, where Lua does not accept it either")
        }
        i += 1
        continue
      }
      if b == UInt8(ascii: "\n") {
        line += 1
        lineStart = i + 1
      }
      switch context {
      case .code:
        if b == UInt8(ascii: "-"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: "-") {
          if let level = longBracket(at: i + 2) {
            context = .longComment(level)
            out.append(contentsOf: bytes[i..<i + level + 4])
            i += level + 4
          } else {
            context = .lineComment
            out.append(contentsOf: [b, b])
            i += 2
          }
          continue
        }
        if let level = longBracket(at: i) {
          context = .long(level)
          out.append(contentsOf: bytes[i..<i + level + 2])
          i += level + 2
          continue
        }
        if b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") { context = .quoted(b) }
      case .quoted(let q):
        if b == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] >= 0x80,
          validSequenceLength(bytes, at: i + 1) == 0
        {
          i += 1
          throw refuse("after a backslash, an escape Lua does not accept either")
        }
        if b == UInt8(ascii: "\\"), i + 1 < bytes.count, bytes[i + 1] < 0x80 {
          if bytes[i + 1] == UInt8(ascii: "\n") {
            line += 1
            lineStart = i + 2
          }
          out.append(contentsOf: bytes[i...i + 1])
          i += 2
          continue
        }
        if b == q || b == UInt8(ascii: "\n") { context = .code }
      case .long(let level), .longComment(let level):
        if closes(level, at: i) {
          context = .code
          out.append(contentsOf: bytes[i..<i + level + 2])
          i += level + 2
          continue
        }
      case .lineComment:
        if b == UInt8(ascii: "\n") { context = .code }
      }
      out.append(b)
      i += 1
    }
    return String(decoding: out, as: UTF8.self)
  }

  /// The length of the well-formed UTF-8 sequence starting at `i` (2 to 4), or 0.
  static func validSequenceLength(_ bytes: [UInt8], at i: Int) -> Int {
    let b = bytes[i]
    let (n, low, high): (Int, UInt8, UInt8)
    switch b {
    case 0xC2...0xDF: (n, low, high) = (2, 0x80, 0xBF)
    case 0xE0: (n, low, high) = (3, 0xA0, 0xBF)
    case 0xE1...0xEC, 0xEE...0xEF: (n, low, high) = (3, 0x80, 0xBF)
    case 0xED: (n, low, high) = (3, 0x80, 0x9F)
    case 0xF0: (n, low, high) = (4, 0x90, 0xBF)
    case 0xF1...0xF3: (n, low, high) = (4, 0x80, 0xBF)
    case 0xF4: (n, low, high) = (4, 0x80, 0x8F)
    default: return 0
    }
    guard i + n <= bytes.count, (low...high).contains(bytes[i + 1]) else { return 0 }
    for k in 2..<n where !(0x80...0xBF).contains(bytes[i + k]) { return 0 }
    return n
  }

  /// Where `data` stops being UTF-8: line, column and the byte, for files that must be UTF-8
  /// (JSON and TOML params files); nil when it is UTF-8.
  public static func firstInvalidByte(_ data: Data) -> (line: Int, column: Int, byte: UInt8)? {
    let bytes = [UInt8](data)
    var line = 1
    var lineStart = 0
    var i = 0
    while i < bytes.count {
      if bytes[i] < 0x80 {
        if bytes[i] == UInt8(ascii: "\n") {
          line += 1
          lineStart = i + 1
        }
        i += 1
        continue
      }
      let n = validSequenceLength(bytes, at: i)
      if n == 0 { return (line, i - lineStart + 1, bytes[i]) }
      i += n
    }
    return nil
  }

  /// The error for a file that must be UTF-8 and is not.
  public static func notUTF8(_ data: Data, path: String, format: String) -> WickError? {
    guard let bad = firstInvalidByte(data) else { return nil }
    return .invalidFile(
      path: path, line: bad.line,
      reason:
        "byte \(String(format: "0x%02X", bad.byte)) at column \(bad.column) is not UTF-8, which \(format) requires; save the file as UTF-8"
    )
  }
}
