import WickData

extension JSONDocument {
  /// A JSON string's text (Binance's fields are plain ASCII: ids, enums and numeric strings).
  func string(_ v: Value?) -> String? {
    guard case .string(let r)? = v else { return nil }
    return text(r)
  }

  /// A number or numeric string ("" reads as nil).
  func number(_ v: Value?) -> Double? {
    guard let v else { return nil }
    return double(v)
  }

  func array(_ v: Value?) -> [Value]? {
    guard case .array(let rows)? = v else { return nil }
    return rows
  }
}
