import WickData

extension JSONDocument {
  func array(_ v: Value?) -> [Value]? {
    guard case .array(let rows)? = v else { return nil }
    return rows
  }
}
