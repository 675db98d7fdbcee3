import WickCore
import WickData
import WickLive

extension JSONDocument {
  /// `result.list` of an answer, as documented for every list endpoint.
  func list(_ result: Value) -> [Value]? {
    guard case .array(let rows)? = member(result, "list") else { return nil }
    return rows
  }
}

/// A JSON object written field by field, in order: the signature covers the exact bytes sent.
///
///     var body = JSONObjectWriter()
///     body.add("category", "linear")
///     body.add("qty", "0.010")
///     body.text   // {"category":"linear","qty":"0.010"}
public struct JSONObjectWriter: Sendable {
  private var fields: [String] = []
  public init() {}

  public mutating func add(_ key: String, _ value: String) {
    fields.append("\(Self.quote(key)):\(Self.quote(value))")
  }
  public mutating func add(_ key: String, int value: Int) {
    fields.append("\(Self.quote(key)):\(value)")
  }
  public mutating func add(_ key: String, bool value: Bool) {
    fields.append("\(Self.quote(key)):\(value)")
  }

  public var text: String { "{" + fields.joined(separator: ",") + "}" }

  static func quote(_ s: String) -> String { JSONText.quoted(s) }
}
