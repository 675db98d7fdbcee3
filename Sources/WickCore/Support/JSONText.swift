/// JSON string literals, written the same way by every hand-rolled JSON writer (Bybit request
/// bodies, decision details, optimizer reports), so equal strings always get equal bytes.
public enum JSONText {
  /// `s` as a quoted JSON string: quotes, backslashes and control characters escaped,
  /// everything else (non-ASCII too) as it is.
  public static func quoted(_ s: String) -> String {
    var out = ""
    quote(s, into: &out)
    return out
  }

  /// Appends `s` as a quoted JSON string to `out`.
  public static func quote(_ s: String, into out: inout String) {
    out += "\""
    for u in s.unicodeScalars {
      switch u {
      case "\"": out += "\\\""
      case "\\": out += "\\\\"
      case "\n": out += "\\n"
      case "\r": out += "\\r"
      case "\t": out += "\\t"
      default:
        if u.value < 0x20 {
          let hex = String(u.value, radix: 16)
          out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
        } else {
          out.unicodeScalars.append(u)
        }
      }
    }
    out += "\""
  }
}
