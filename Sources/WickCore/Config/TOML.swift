import Foundation

/// A TOML value with the line it came from (1-based), so configuration errors can name it.
public indirect enum TOMLValue: Sendable, Equatable {
  case string(String)
  case integer(Int64)
  case float(Double)
  case bool(Bool)
  case array([TOMLValue])
  case table(TOMLTable)

  /// A short name of the value's type, for error messages.
  public var typeName: String {
    switch self {
    case .string: return "a string"
    case .integer: return "an integer"
    case .float: return "a float"
    case .bool: return "a boolean"
    case .array: return "an array"
    case .table: return "a table"
    }
  }

  /// Numbers as Double (integers convert).
  public var number: Double? {
    switch self {
    case .integer(let i): return Double(i)
    case .float(let d): return d
    default: return nil
    }
  }

  /// The value as a strategy param value (tables keep their key order).
  public var paramValue: ParamValue {
    switch self {
    case .string(let s): return .string(s)
    case .integer(let i): return .number(Double(i))
    case .float(let d): return .number(d)
    case .bool(let b): return .bool(b)
    case .array(let items): return .list(items.map(\.paramValue))
    case .table(let t): return .table(t.entries.map { ($0.key, $0.value.paramValue) })
    }
  }
}

/// An ordered TOML table; each entry remembers its source line.
public struct TOMLTable: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var key: String
    public var value: TOMLValue
    public var line: Int
  }
  public var entries: [Entry] = []
  /// Line of the table's header (0 for the root).
  public var line: Int = 0

  public init(line: Int = 0) { self.line = line }

  public subscript(key: String) -> TOMLValue? { entries.first { $0.key == key }?.value }
  public func entry(_ key: String) -> Entry? { entries.first { $0.key == key } }
}

/// Parses TOML (tables, dotted and quoted keys, arrays of tables, basic and literal strings,
/// integers, floats, booleans, arrays, inline tables, comments). Errors name the file and line.
///
///     let doc = try TOMLParser.parse("[risk]\nrisk_per_trade = 0.01\n", path: "wick.toml")
///     doc["risk"]  // .table(...)
public enum TOMLParser {
  public static func parse(_ text: String, path: String) throws -> TOMLTable {
    var p = Parser(bytes: Array(text.utf8), path: path)
    return try p.document()
  }

  private struct Parser {
    let bytes: [UInt8]
    let path: String
    var i = 0
    var line = 1
    var root = TOMLTable()
    /// Path of the table that `key = value` lines go into; `arrayIndex` set for [[...]].
    var current: [String] = []
    var definedTables: Set<[String]> = []
    /// Arrays and inline tables open around the value being read: the reader recurses once per
    /// level, so the depth is bounded (a config nests three levels at most) to keep a hostile or
    /// corrupt file from overflowing the stack.
    var depth = 0
    static let maxDepth = 32

    init(bytes: [UInt8], path: String) {
      self.bytes = bytes
      self.path = path
    }

    func fail(_ reason: String) -> WickError {
      .invalidFile(path: path, line: line, reason: reason)
    }

    var atEnd: Bool { i >= bytes.count }
    var peek: UInt8 { i < bytes.count ? bytes[i] : 0 }

    mutating func skipSpaces() { while !atEnd, peek == 32 || peek == 9 { i += 1 } }

    mutating func skipComment() {
      if peek == 35 { while !atEnd, peek != 10 { i += 1 } }
    }

    /// Spaces, comments and newlines (inside arrays).
    mutating func skipBlank() {
      while !atEnd {
        if peek == 32 || peek == 9 || peek == 13 {
          i += 1
        } else if peek == 10 {
          i += 1
          line += 1
        } else if peek == 35 {
          skipComment()
        } else {
          break
        }
      }
    }

    mutating func endOfLine() throws {
      skipSpaces()
      skipComment()
      if peek == 13 { i += 1 }
      guard atEnd || peek == 10 else {
        throw fail("unexpected text after the value; expected a new line")
      }
      if !atEnd {
        i += 1
        line += 1
      }
    }

    mutating func document() throws -> TOMLTable {
      while true {
        skipBlank()
        if atEnd { break }
        if peek == 91 {  // [
          try header()
        } else {
          let (keys, keyLine) = try keyPath()
          skipSpaces()
          guard peek == 61 else {
            throw fail("expected '=' after the key '\(keys.joined(separator: "."))'")
          }
          i += 1
          skipSpaces()
          let v = try value()
          try insert(current + keys, v, keyLine)
          try endOfLine()
        }
      }
      return root
    }

    mutating func header() throws {
      let headerLine = line
      i += 1
      let isArray = peek == 91
      if isArray { i += 1 }
      skipSpaces()
      let (keys, _) = try keyPath()
      skipSpaces()
      guard peek == 93 else { throw fail("expected ']' to close the table header") }
      i += 1
      if isArray {
        guard peek == 93 else { throw fail("expected ']]' to close the array-of-tables header") }
        i += 1
      }
      try endOfLine()
      if isArray {
        try appendArrayTable(keys, headerLine)
        // Tables under the previous element ([run.schedule] after [[run]]) belong to it: the
        // new element may define them again.
        definedTables = definedTables.filter { !$0.starts(with: keys) }
        current = keys
      } else {
        guard !definedTables.contains(keys) else {
          throw WickError.invalidFile(
            path: path, line: headerLine,
            reason: "table [\(keys.joined(separator: "."))] is defined twice")
        }
        definedTables.insert(keys)
        try ensureTable(keys, headerLine)
        current = keys
      }
    }

    mutating func keyPath() throws -> ([String], Int) {
      var keys: [String] = []
      let keyLine = line
      while true {
        skipSpaces()
        if peek == 34 {
          keys.append(try basicString())
        } else if peek == 39 {
          keys.append(try literalString())
        } else {
          let start = i
          while !atEnd, isBareKeyByte(peek) { i += 1 }
          guard i > start else { throw fail("expected a key (letters, digits, '_' or '-')") }
          keys.append(String(decoding: bytes[start..<i], as: UTF8.self))
        }
        skipSpaces()
        if peek == 46 {
          i += 1
          continue
        }
        return (keys, keyLine)
      }
    }

    func isBareKeyByte(_ b: UInt8) -> Bool {
      (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57) || b == 95 || b == 45
    }

    mutating func value() throws -> TOMLValue {
      switch peek {
      case 34: return .string(try basicString())
      case 39: return .string(try literalString())
      case 91, 123:
        depth += 1
        defer { depth -= 1 }
        guard depth <= Self.maxDepth else {
          throw fail("arrays and inline tables nested deeper than \(Self.maxDepth) levels")
        }
        return peek == 91 ? try array() : try inlineTable()
      case 116, 102: return try boolean()
      default: return try numberValue()
      }
    }

    mutating func basicString() throws -> String {
      i += 1
      if peek == 34, i + 1 < bytes.count, bytes[i + 1] == 34 {
        throw fail("multi-line strings are not supported")
      }
      var out: [UInt8] = []
      while true {
        guard !atEnd, peek != 10 else { throw fail("unterminated string") }
        let b = peek
        i += 1
        if b == 34 { break }
        if b == 92 {
          let e = peek
          i += 1
          switch e {
          case 110: out.append(10)
          case 116: out.append(9)
          case 114: out.append(13)
          case 34: out.append(34)
          case 92: out.append(92)
          case 117, 85:
            let n = e == 117 ? 4 : 8
            guard i + n <= bytes.count,
              let code = UInt32(String(decoding: bytes[i..<(i + n)], as: UTF8.self), radix: 16),
              let scalar = Unicode.Scalar(code)
            else { throw fail("invalid unicode escape") }
            out.append(contentsOf: Array(String(Character(scalar)).utf8))
            i += n
          default: throw fail("invalid escape '\\\(Character(Unicode.Scalar(e)))' in a string")
          }
        } else {
          out.append(b)
        }
      }
      return String(decoding: out, as: UTF8.self)
    }

    mutating func literalString() throws -> String {
      i += 1
      let start = i
      while !atEnd, peek != 39 {
        guard peek != 10 else { throw fail("unterminated string") }
        i += 1
      }
      guard !atEnd else { throw fail("unterminated string") }
      defer { i += 1 }
      return String(decoding: bytes[start..<i], as: UTF8.self)
    }

    mutating func boolean() throws -> TOMLValue {
      if bytes[i...].starts(with: Array("true".utf8)) {
        i += 4
        return .bool(true)
      }
      if bytes[i...].starts(with: Array("false".utf8)) {
        i += 5
        return .bool(false)
      }
      throw fail("expected a value (string, number, boolean, array or table)")
    }

    mutating func numberValue() throws -> TOMLValue {
      let start = i
      while !atEnd,
        !(peek == 32 || peek == 9 || peek == 10 || peek == 13 || peek == 44 || peek == 93
          || peek == 125 || peek == 35)
      {
        i += 1
      }
      let raw = String(decoding: bytes[start..<i], as: UTF8.self)
      guard !raw.isEmpty else {
        throw fail("expected a value (string, number, boolean, array or table)")
      }
      let text = raw.replacingOccurrences(of: "_", with: "")
      if let v = Int64(text) { return .integer(v) }
      if text.contains(where: { "0123456789".contains($0) }),
        !text.contains(where: { $0.isLetter && $0 != "e" && $0 != "E" }),
        let d = Double(text), d.isFinite
      {
        return .float(d)
      }
      if ["inf", "+inf", "-inf", "nan", "+nan", "-nan"].contains(text) {
        throw fail("inf and nan are not allowed here")
      }
      if raw.count >= 10, raw.dropFirst(4).first == "-" {
        throw fail("dates are not supported; write times as strings")
      }
      throw fail("'\(raw)' is not a valid value (strings need quotes)")
    }

    mutating func array() throws -> TOMLValue {
      i += 1
      var items: [TOMLValue] = []
      while true {
        skipBlank()
        if peek == 93 {
          i += 1
          return .array(items)
        }
        guard !atEnd else { throw fail("unterminated array") }
        items.append(try value())
        skipBlank()
        guard !atEnd else { throw fail("unterminated array") }
        if peek == 44 {
          i += 1
        } else if peek != 93 {
          throw fail("expected ',' or ']' in an array")
        }
      }
    }

    mutating func inlineTable() throws -> TOMLValue {
      i += 1
      var table = TOMLTable(line: line)
      skipSpaces()
      if peek == 125 {
        i += 1
        return .table(table)
      }
      while true {
        skipSpaces()
        let (keys, keyLine) = try keyPath()
        guard keys.count == 1 else {
          throw fail("dotted keys inside inline tables are not supported")
        }
        skipSpaces()
        guard peek == 61 else { throw fail("expected '=' in an inline table") }
        i += 1
        skipSpaces()
        let v = try value()
        guard table[keys[0]] == nil else {
          throw fail("duplicate key '\(keys[0])' in an inline table")
        }
        table.entries.append(.init(key: keys[0], value: v, line: keyLine))
        skipSpaces()
        if peek == 44 {
          i += 1
          continue
        }
        guard peek == 125 else { throw fail("expected ',' or '}' in an inline table") }
        i += 1
        return .table(table)
      }
    }

    // MARK: Building the tree

    /// Applies `body` to the table at `keys` (creating intermediate tables; into the last element
    /// of arrays of tables).
    mutating func withTable<T>(
      _ keys: [String], _ keyLine: Int, _ body: (inout TOMLTable) throws -> T
    ) throws -> T {
      func descend(_ t: inout TOMLTable, _ rest: ArraySlice<String>) throws -> T {
        guard let k = rest.first else { return try body(&t) }
        if let idx = t.entries.firstIndex(where: { $0.key == k }) {
          switch t.entries[idx].value {
          case .table(var sub):
            let r = try descend(&sub, rest.dropFirst())
            t.entries[idx].value = .table(sub)
            return r
          case .array(var items):
            guard case .table(var last)? = items.last else {
              throw WickError.invalidFile(
                path: path, line: keyLine, reason: "'\(k)' is not a table")
            }
            let r = try descend(&last, rest.dropFirst())
            items[items.count - 1] = .table(last)
            t.entries[idx].value = .array(items)
            return r
          default:
            throw WickError.invalidFile(
              path: path, line: keyLine, reason: "'\(k)' is already a value, not a table")
          }
        }
        var sub = TOMLTable(line: keyLine)
        let r = try descend(&sub, rest.dropFirst())
        t.entries.append(.init(key: k, value: .table(sub), line: keyLine))
        return r
      }
      return try descend(&root, keys[...])
    }

    mutating func ensureTable(_ keys: [String], _ keyLine: Int) throws {
      try withTable(keys, keyLine) { _ in }
    }

    mutating func insert(_ keys: [String], _ v: TOMLValue, _ keyLine: Int) throws {
      let path = self.path
      try withTable(Array(keys.dropLast()), keyLine) { t in
        guard t[keys.last!] == nil else {
          throw WickError.invalidFile(
            path: path, line: keyLine, reason: "duplicate key '\(keys.joined(separator: "."))'")
        }
        t.entries.append(.init(key: keys.last!, value: v, line: keyLine))
      }
    }

    mutating func appendArrayTable(_ keys: [String], _ keyLine: Int) throws {
      let path = self.path
      try withTable(Array(keys.dropLast()), keyLine) { t in
        let k = keys.last!
        if let idx = t.entries.firstIndex(where: { $0.key == k }) {
          guard case .array(var items) = t.entries[idx].value else {
            throw WickError.invalidFile(
              path: path, line: keyLine, reason: "'\(k)' is not an array of tables")
          }
          items.append(.table(TOMLTable(line: keyLine)))
          t.entries[idx].value = .array(items)
        } else {
          t.entries.append(
            .init(key: k, value: .array([.table(TOMLTable(line: keyLine))]), line: keyLine))
        }
      }
    }
  }
}
