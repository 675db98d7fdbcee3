import WickCore

/// A JSON document built in code and printed with keys in the order given, two-space indents,
/// and numbers in their shortest round-trip form (non-finite numbers as null).
public indirect enum JSONValue: Sendable, Equatable {
  case null
  case bool(Bool)
  case number(Double)
  case string(String)
  case array([JSONValue])
  case object([(String, JSONValue)])

  public static func == (a: JSONValue, b: JSONValue) -> Bool { a.text == b.text }

  /// A number, or null for nil.
  public static func number(_ v: Double?) -> JSONValue { v.map { .number($0) } ?? .null }

  /// Pretty-printed, with a final newline (files).
  public var text: String {
    var out = ""
    write(&out, indent: "")
    return out + "\n"
  }

  /// On one line (ledger columns).
  public var compactText: String {
    var out = ""
    write(&out, indent: nil)
    return out
  }

  /// `indent` nil writes everything on one line.
  private func write(_ out: inout String, indent: String?) {
    switch self {
    case .null: out += "null"
    case .bool(let b): out += b ? "true" : "false"
    case .number(let d): out += d.isFinite ? formatNumber(d) : "null"
    case .string(let s): Self.quote(s, into: &out)
    case .array(let items):
      if items.isEmpty {
        out += "[]"
        return
      }
      // Arrays of scalars stay on one line; arrays of objects get a line each.
      if indent == nil
        || items.allSatisfy({ if case .object = $0 { return false } else { return true } })
      {
        out += "["
        for (i, item) in items.enumerated() {
          if i > 0 { out += ", " }
          item.write(&out, indent: indent)
        }
        out += "]"
        return
      }
      let inner = indent! + "  "
      out += "[\n"
      for (i, item) in items.enumerated() {
        out += inner
        item.write(&out, indent: inner)
        out += i + 1 < items.count ? ",\n" : "\n"
      }
      out += indent! + "]"
    case .object(let fields):
      if fields.isEmpty {
        out += "{}"
        return
      }
      guard let indent else {
        out += "{"
        for (i, (key, value)) in fields.enumerated() {
          if i > 0 { out += ", " }
          Self.quote(key, into: &out)
          out += ": "
          value.write(&out, indent: nil)
        }
        out += "}"
        return
      }
      out += "{\n"
      for (i, (key, value)) in fields.enumerated() {
        out += indent + "  "
        Self.quote(key, into: &out)
        out += ": "
        value.write(&out, indent: indent + "  ")
        out += i + 1 < fields.count ? ",\n" : "\n"
      }
      out += indent + "}"
    }
  }

  private static func quote(_ s: String, into out: inout String) {
    JSONText.quote(s, into: &out)
  }
}
