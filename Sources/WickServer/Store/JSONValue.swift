import Foundation
import WickCore

/// A parsed JSON value that keeps object keys in their order and tells booleans from numbers
/// (the ledger's JSON columns: params, payloads, decision details, runner state, metrics).
enum JSONValue: Sendable, Equatable, Decodable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(key: String, value: JSONValue)])

  static func == (a: JSONValue, b: JSONValue) -> Bool {
    switch (a, b) {
    case (.null, .null): return true
    case (.bool(let x), .bool(let y)): return x == y
    case (.number(let x), .number(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.array(let x), .array(let y)): return x == y
    case (.object(let x), .object(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    default: return false
    }
  }

  private struct Key: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
  }

  init(from decoder: any Decoder) throws {
    if let c = try? decoder.container(keyedBy: Key.self) {
      // JSONDecoder does not promise key order; sort for a stable display.
      self = .object(
        try c.allKeys.map(\.stringValue).sorted().map {
          ($0, try c.decode(JSONValue.self, forKey: Key(stringValue: $0)))
        })
    } else if var c = try? decoder.unkeyedContainer() {
      var items: [JSONValue] = []
      while !c.isAtEnd { items.append(try c.decode(JSONValue.self)) }
      self = .array(items)
    } else {
      let c = try decoder.singleValueContainer()
      if c.decodeNil() {
        self = .null
      } else if let b = try? c.decode(Bool.self) {
        self = .bool(b)
      } else if let d = try? c.decode(Double.self) {
        self = .number(d)
      } else {
        self = .string(try c.decode(String.self))
      }
    }
  }

  static func parse(_ text: String?) -> JSONValue? {
    guard let text, let data = text.data(using: .utf8) else { return nil }
    return try? JSONDecoder().decode(JSONValue.self, from: data)
  }

  subscript(key: String) -> JSONValue? {
    guard case .object(let fields) = self else { return nil }
    return fields.first { $0.key == key }?.value
  }

  var number: Double? {
    if case .number(let d) = self { return d }
    return nil
  }

  /// The value as a person reads it (objects and arrays as compact JSON).
  var text: String {
    switch self {
    case .null: return "null"
    case .bool(let b): return b ? "true" : "false"
    case .number(let d): return formatNumber(d)
    case .string(let s): return s
    case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
    case .object: return json
    }
  }

  /// Compact JSON text.
  var json: String {
    switch self {
    case .null, .bool, .number: return text
    case .string(let s):
      let data = (try? JSONEncoder().encode(s)) ?? Data("\"\"".utf8)
      return String(decoding: data, as: UTF8.self)
    case .array(let items): return "[" + items.map(\.json).joined(separator: ",") + "]"
    case .object(let fields):
      return "{"
        + fields.map { JSONValue.string($0.key).json + ":" + $0.value.json }.joined(separator: ",")
        + "}"
    }
  }
}
