/// The columns of a candle CSV and where each sits in a row. The header is required; names are
/// case-insensitive and may come in any order, but all six must be present and nothing else.
struct CSVHeader {
  static let columns = ["time", "open", "high", "low", "close", "volume"]
  static let expected = columns.joined(separator: ",")

  /// `position[k]` is the field index of `columns[k]`.
  let position: [Int]
  let fieldCount: Int

  /// Parses the header's field texts, or returns why they are not a candle header.
  static func parse(_ names: [String]) -> Result<CSVHeader, HeaderError> {
    let lowered = names.map { $0.lowercased() }
    var position: [Int] = []
    for column in columns {
      guard let index = lowered.firstIndex(of: column) else {
        return .failure(
          HeaderError(
            reason:
              "header '\(names.joined(separator: ","))' lacks column '\(column)'; expected \(expected)"
          ))
      }
      position.append(index)
    }
    if let extra = lowered.first(where: { !columns.contains($0) }) {
      return .failure(
        HeaderError(reason: "header has unknown column '\(extra)'; expected \(expected)"))
    }
    if lowered.count != columns.count {
      return .failure(HeaderError(reason: "header repeats a column; expected \(expected)"))
    }
    return .success(CSVHeader(position: position, fieldCount: names.count))
  }

  struct HeaderError: Error {
    let reason: String
  }
}
