import Foundation
import WickCore

/// Reads a params file (`--params FILE`): a JSON object or a TOML document whose top-level keys
/// are param names. Values are validated later against the strategy's declarations, like `--param`.
///
///     {"period": 120, "pairs": [{"a": "BTCUSDT", "b": "ETHUSDT"}]}
public enum ParamsFile {
  public static func load(path: String) throws -> [(
    name: String, value: ParamValue, source: String
  )] {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the params file")
    }
    return try parse(data, path: path)
  }

  /// The contents of a params file; `path` names it in errors and picks the format (`.toml`
  /// is TOML, anything else JSON).
  public static func parse(_ data: Data, path: String) throws -> [(
    name: String, value: ParamValue, source: String
  )] {
    let toml = path.lowercased().hasSuffix(".toml")
    if let error = ScriptText.notUTF8(data, path: path, format: toml ? "TOML" : "JSON") {
      throw error
    }
    if toml {
      let text = String(decoding: data, as: UTF8.self)
      let doc = try TOMLParser.parse(text, path: path)
      return doc.entries.map { ($0.key, $0.value.paramValue, "\(path):\($0.line)") }
    }
    return try parseJSON(data, path: path)
  }

  public static func parseJSON(_ data: Data, path: String) throws -> [(
    name: String, value: ParamValue, source: String
  )] {
    let object: Any
    do {
      object = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
    } catch {
      throw WickError.invalidFile(
        path: path, line: jsonErrorLine(error, data: data),
        reason: "invalid JSON: \(jsonReason(error))")
    }
    guard let top = object as? [String: Any] else {
      throw WickError.invalidFile(
        path: path, line: nil, reason: "expected a JSON object of param names to values")
    }
    return try top.keys.sorted().map { key in
      guard let v = paramValue(top[key]!) else {
        throw WickError.invalidFile(
          path: path, line: nil, reason: "param '\(key)': unsupported value (null or mixed)")
      }
      return (key, v, path)
    }
  }

  static func paramValue(_ any: Any) -> ParamValue? {
    switch any {
    case let n as NSNumber:
      // JSONSerialization gives booleans as NSNumber too; tell them apart by their type code.
      if String(cString: n.objCType) == "c" { return .bool(n.boolValue) }
      return .number(n.doubleValue)
    case let s as String: return .string(s)
    case let a as [Any]:
      var items: [ParamValue] = []
      for x in a {
        guard let v = paramValue(x) else { return nil }
        items.append(v)
      }
      return .list(items)
    case let d as [String: Any]:
      var kv: [(String, ParamValue)] = []
      for k in d.keys.sorted() {
        guard let v = paramValue(d[k]!) else { return nil }
        kv.append((k, v))
      }
      return .table(kv)
    default: return nil
    }
  }

  private static func jsonReason(_ error: Error) -> String {
    let ns = error as NSError
    return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
  }

  /// Foundation reports a character offset; turn it into a line number when it does.
  private static func jsonErrorLine(_ error: Error, data: Data) -> Int? {
    let ns = error as NSError
    guard let index = ns.userInfo["NSJSONSerializationErrorIndex"] as? Int, index <= data.count
    else { return nil }
    return data.prefix(index).reduce(1) { $1 == 10 ? $0 + 1 : $0 }
  }
}
