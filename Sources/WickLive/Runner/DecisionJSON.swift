import WickCore

/// Small, deterministic JSON for decision details and state: keys in the order given, numbers in
/// Swift's shortest round-trip form, so the same decision always has the same bytes (what
/// `wick replay` compares).
enum DecisionJSON {
  enum Value {
    case number(Double)
    case int(Int64)
    case string(String)
    case bool(Bool)
    case raw(String)
    case null
  }

  static func object(_ fields: [(String, Value?)]) -> String {
    var out = "{"
    var first = true
    for (k, v) in fields {
      guard let v else { continue }
      if !first { out += "," }
      first = false
      out += quote(k) + ":" + encode(v)
    }
    return out + "}"
  }

  static func encode(_ v: Value) -> String {
    switch v {
    case .number(let d): return d.isFinite ? "\(d)" : "null"
    case .int(let i): return "\(i)"
    case .string(let s): return quote(s)
    case .bool(let b): return b ? "true" : "false"
    case .raw(let r): return r
    case .null: return "null"
    }
  }

  static func quote(_ s: String) -> String { JSONText.quoted(s) }

  /// A param or `ctx.state` value as JSON.
  static func param(_ v: ParamValue) -> String {
    switch v {
    case .number(let d): return encode(.number(d))
    case .bool(let b): return b ? "true" : "false"
    case .string(let s): return quote(s)
    case .list(let items): return "[" + items.map(param).joined(separator: ",") + "]"
    case .table(let entries):
      return "{" + entries.map { quote($0.0) + ":" + param($0.1) }.joined(separator: ",") + "}"
    }
  }

  static func params(_ list: [(name: String, value: ParamValue)]) -> String {
    "{" + list.map { quote($0.name) + ":" + param($0.value) }.joined(separator: ",") + "}"
  }
}
