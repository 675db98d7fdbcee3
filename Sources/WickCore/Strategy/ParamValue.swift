/// A strategy parameter's value: numbers, booleans, choices (strings) and lists of tables
/// (e.g. a pair list) are what scripts may declare.
public indirect enum ParamValue: Sendable, Equatable, CustomStringConvertible {
  case number(Double)
  case bool(Bool)
  case string(String)
  case list([ParamValue])
  case table([(String, ParamValue)])

  public static func == (a: ParamValue, b: ParamValue) -> Bool {
    switch (a, b) {
    case (.number(let x), .number(let y)): return x == y
    case (.bool(let x), .bool(let y)): return x == y
    case (.string(let x), .string(let y)): return x == y
    case (.list(let x), .list(let y)): return x == y
    case (.table(let x), .table(let y)):
      return x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
    default: return false
    }
  }

  /// Compact display form: numbers without a trailing `.0`, lists in brackets.
  public var description: String {
    switch self {
    case .number(let v): return formatNumber(v)
    case .bool(let b): return b ? "true" : "false"
    case .string(let s): return s
    case .list(let items): return "[" + items.map(\.description).joined(separator: ", ") + "]"
    case .table(let kv): return "{" + kv.map { "\($0.0)=\($0.1)" }.joined(separator: ", ") + "}"
    }
  }
}

/// Shortest round-tripping text for a Double, integers without a fraction.
public func formatNumber(_ v: Double) -> String {
  if v.isFinite, v == v.rounded(), abs(v) < 1e15 { return String(Int64(v)) }
  return "\(v)"
}
