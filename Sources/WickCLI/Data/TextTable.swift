/// A plain-text table with columns padded to their widest cell (numbers right-aligned).
struct TextTable {
  let header: [String]
  let rows: [[String]]

  var rendered: String {
    let all = [header] + rows
    let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
    let numeric = header.indices.map { column in rows.allSatisfy { Int($0[column]) != nil } }
    return all.map { row in
      row.indices.map { column -> String in
        let pad = String(repeating: " ", count: widths[column] - row[column].count)
        return numeric[column] ? pad + row[column] : row[column] + pad
      }.joined(separator: "  ").replacingOccurrences(
        of: #"\s+$"#, with: "", options: .regularExpression)
    }.joined(separator: "\n") + "\n"
  }
}
