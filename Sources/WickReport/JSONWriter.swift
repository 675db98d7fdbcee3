/// A tiny deterministic JSON writer: keys in the order given, numbers in Swift's shortest
/// round-trip form (whole numbers without ".0"), non-finite numbers as null.
struct JSONWriter {
  private(set) var text = ""

  mutating func raw(_ s: String) { text += s }

  mutating func string(_ s: String) {
    text += "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": text += "\\\""
      case "\\": text += "\\\\"
      case "\n": text += "\\n"
      case "\r": text += "\\r"
      case "\t": text += "\\t"
      case "<": text += "\\u003c"  // keeps "</script>" inert if the JSON is embedded in HTML
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          text.unicodeScalars.append(u)
        }
      }
    }
    text += "\""
  }

  /// `"key": value` inside an object (preceded by ", " unless first).
  mutating func field(_ key: String, first: Bool = false, _ value: (inout JSONWriter) -> Void) {
    if !first { text += ", " }
    string(key)
    text += ": "
    value(&self)
  }

  mutating func number(_ d: Double?) {
    guard let d, d.isFinite else {
      text += "null"
      return
    }
    if d == d.rounded(), abs(d) < 1e15 { text += String(Int64(d)) } else { text += "\(d)" }
  }
}
