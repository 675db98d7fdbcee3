import Foundation
import WickCore
import WickReport

/// One row of results.csv: a parameter set (on one walk-forward window), every cell as text.
/// Cells hold numbers in the backtest JSON's form (shortest round-trip text), so a row read
/// back from a file is the row that was written, and merged shards are byte-identical to one run.
public struct SweepRow: Sendable, Equatable {
  /// Position of the set in the sweep order.
  public var set: Int
  /// Walk-forward window (0 without walk-forward).
  public var window: Int
  public var cells: [String]
}

/// The columns of results.csv and the rows read from or written to it.
///
///     set,period,threshold,trades,net_return,cagr,…         (plain sweep)
///     set,window,from,to,period,threshold,trades,net_return,… (walk-forward: the training window)
public struct ResultsTable: Sendable {
  public let header: [String]
  public let walkForward: Bool
  public let axisNames: [String]

  /// Metric keys after `trades`, in the backtest JSON's order.
  public static let metricKeys: [String] = Metrics.keys.filter { $0 != "trades" }

  /// The table of a sweep over `axisNames` (with the window columns when walking forward).
  public init(axisNames: [String], walkForward: Bool) {
    self.axisNames = axisNames
    self.walkForward = walkForward
    header =
      ["set"] + (walkForward ? ["window", "from", "to"] : []) + axisNames + ["trades"]
      + Self.metricKeys
  }

  /// The index of a column by its name.
  public func column(_ name: String) -> Int? { header.firstIndex(of: name) }

  /// The row of set `set` with axis `values`, on `window` when walking forward.
  public func row(
    set: Int, window: WalkForward.Window?, values: [ParamValue], metrics: Metrics
  ) -> SweepRow {
    var cells = [String(set)]
    if let window {
      cells += [String(window.index), UTCTime.iso(window.trainFrom), UTCTime.iso(window.trainTo)]
    }
    cells += values.map(Self.cell)
    var byKey: [String: String] = [:]
    for f in metrics.fields { byKey[f.key] = f.value.map(formatNumber) ?? "" }
    cells.append(byKey["trades"] ?? "0")
    cells += Self.metricKeys.map { byKey[$0] ?? "" }
    return SweepRow(set: set, window: window?.index ?? 0, cells: cells)
  }

  static func cell(_ v: ParamValue) -> String {
    switch v {
    case .number(let d): return formatNumber(d)
    default: return v.description
    }
  }

  /// The row's trade count.
  public func trades(_ row: SweepRow) -> Int { Int(row.cells[column("trades")!]) ?? 0 }

  /// A metric of a row as a number (nil when empty).
  public func value(_ row: SweepRow, _ key: String) -> Double? {
    column(key).flatMap { Double(row.cells[$0]) }
  }

  // MARK: CSV

  /// The header and the rows as CSV text (RFC 4180 quoting where a cell needs it).
  public func csv(_ rows: [SweepRow]) -> String {
    var text = Self.line(header)
    for r in rows { text += Self.line(r.cells) }
    return text
  }

  static func line(_ cells: [String]) -> String {
    cells.map { c in
      c.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" })
        ? "\"" + c.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : c
    }.joined(separator: ",") + "\n"
  }

  /// Reads rows written by `csv` (or appended to the journal); the header must be this table's.
  public func parse(_ text: String, path: String) throws -> [SweepRow] {
    var rows: [SweepRow] = []
    var lineNumber = 0
    for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
      lineNumber += 1
      if raw.isEmpty { continue }
      let cells = try Self.split(String(raw), path: path, line: lineNumber)
      if lineNumber == 1 {
        guard cells == header else {
          throw WickError.invalidFile(
            path: path, line: 1,
            reason:
              "columns \(cells.joined(separator: ",")) are not this sweep's (\(header.joined(separator: ",")))"
          )
        }
        continue
      }
      guard cells.count == header.count, let set = Int(cells[0]) else {
        throw WickError.invalidFile(
          path: path, line: lineNumber,
          reason: "expected \(header.count) cells starting with the set number")
      }
      let window = walkForward ? Int(cells[1]) ?? 0 : 0
      rows.append(SweepRow(set: set, window: window, cells: cells))
    }
    return rows
  }

  static func split(_ line: String, path: String, line number: Int) throws -> [String] {
    var cells: [String] = []
    var current = ""
    var quoted = false
    var chars = line.makeIterator()
    var pending: Character? = nil
    while let c = pending ?? chars.next() {
      pending = nil
      if quoted {
        if c == "\"" {
          if let n = chars.next() {
            if n == "\"" {
              current.append("\"")
            } else {
              quoted = false
              pending = n
            }
          } else {
            quoted = false
          }
        } else {
          current.append(c)
        }
      } else if c == "\"" && current.isEmpty {
        quoted = true
      } else if c == "," {
        cells.append(current)
        current = ""
      } else {
        current.append(c)
      }
    }
    guard !quoted else {
      throw WickError.invalidFile(path: path, line: number, reason: "unterminated quoted cell")
    }
    cells.append(current)
    return cells
  }
}
