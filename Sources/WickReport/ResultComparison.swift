import Foundation
import WickCore

/// Two backtest results side by side (`wick report compare A.json B.json [--html OUT]`): every
/// metric with its change from A to B, the equity curves overlaid, the benchmark and the regime
/// attribution tables next to each other. Reads the `--json` files `wick backtest` writes.
///
///     let a = try ResultComparison.Run(path: "a.json"), b = try ResultComparison.Run(path: "b.json")
///     print(ResultComparison(a: a, b: b).text())
public struct ResultComparison: Sendable {
  /// What a comparison needs from one result file.
  public struct Run: Sendable {
    public var path: String
    public var strategy: String
    public var symbols: [String]
    public var timeframe: String
    public var period: String
    /// Metric values by JSON key (nil where the file has null).
    public var metrics: [String: Double?]
    public var equity: [(time: Int64, value: Double)]
    /// group ("by_session", …) → label → (trades, net pnl, win rate).
    public var attribution: [String: [String: (trades: Double, netPnl: Double, winRate: Double)]]
    public var benchmarkReturn: Double?

    /// Reads and checks a result file; errors name the file and what was missing.
    public init(path: String) throws {
      guard let data = FileManager.default.contents(atPath: path) else {
        throw WickError.invalidArgument("\(path): cannot read the file")
      }
      try self.init(path: path, data: data)
    }

    public init(path: String, data: Data) throws {
      func bad(_ what: String) -> WickError {
        .data("\(path): not a Wick backtest result (\(what))")
      }
      guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
        throw bad("not a JSON object")
      }
      guard let strategy = object["strategy"] as? String else {
        throw bad("no \"strategy\" string")
      }
      guard let metrics = object["metrics"] as? [String: Any] else {
        throw bad("no \"metrics\" object")
      }
      guard let equity = object["equity"] as? [[Any]] else { throw bad("no \"equity\" array") }
      self.path = path
      self.strategy = strategy
      symbols = object["symbols"] as? [String] ?? []
      timeframe = object["timeframe"] as? String ?? "?"
      period = "\(object["from"] as? String ?? "?") → \(object["to"] as? String ?? "?")"
      var values: [String: Double?] = [:]
      for (key, value) in metrics {
        if value is NSNull {
          values[key] = .some(nil)
        } else if let d = (value as? NSNumber)?.doubleValue {
          values[key] = d
        } else {
          throw bad("metric \"\(key)\" is not a number")
        }
      }
      self.metrics = values
      self.equity = try equity.enumerated().map { i, point in
        guard point.count == 2, let t = (point[0] as? String).flatMap(UTCTime.parse),
          let v = (point[1] as? NSNumber)?.doubleValue
        else { throw bad("equity point \(i) is not [ISO time, number]") }
        return (t, v)
      }
      var groups: [String: [String: (trades: Double, netPnl: Double, winRate: Double)]] = [:]
      for (group, labels) in object["attribution"] as? [String: Any] ?? [:] {
        for (label, cell) in labels as? [String: Any] ?? [:] {
          guard let cell = cell as? [String: Any],
            let n = (cell["trades"] as? NSNumber)?.doubleValue,
            let pnl = (cell["net_pnl"] as? NSNumber)?.doubleValue,
            let win = (cell["win_rate"] as? NSNumber)?.doubleValue
          else { throw bad("attribution \(group).\(label) lacks trades, net_pnl or win_rate") }
          groups[group, default: [:]][label] = (n, pnl, win)
        }
      }
      attribution = groups
      benchmarkReturn =
        ((object["benchmark"] as? [String: Any])?["return"] as? NSNumber)?
        .doubleValue
    }
  }

  public var a: Run
  public var b: Run

  public init(a: Run, b: Run) {
    self.a = a
    self.b = b
  }

  /// (label, A, B, change) for every metric both files can have, in report order.
  public var rows: [(label: String, a: String, b: String, change: String)] {
    var rows: [(String, String, String, String)] = []
    for field in MetricField.all {
      let va = a.metrics[field.key] ?? nil
      let vb = b.metrics[field.key] ?? nil
      if a.metrics[field.key] == nil && b.metrics[field.key] == nil { continue }
      let change = va.flatMap { x in vb.map { field.change(from: x, to: $0) } } ?? ""
      rows.append((field.label, field.format(va), field.format(vb), change))
    }
    if a.benchmarkReturn != nil || b.benchmarkReturn != nil {
      let change =
        a.benchmarkReturn.flatMap { x in
          b.benchmarkReturn.map { MetricField.all[0].change(from: x, to: $0) }
        } ?? ""
      rows.append(
        (
          "buy-and-hold return", a.benchmarkReturn.map(Format.percent) ?? "–",
          b.benchmarkReturn.map(Format.percent) ?? "–", change
        ))
    }
    return rows
  }

  /// The terminal table.
  public func text() -> String {
    var lines = [
      "A: \(a.path)  \(a.strategy) · \(a.symbols.joined(separator: ",")) · \(a.timeframe) · \(a.period)",
      "B: \(b.path)  \(b.strategy) · \(b.symbols.joined(separator: ",")) · \(b.timeframe) · \(b.period)",
      "",
      "metric".padding(toLength: 22, withPad: " ", startingAt: 0)
        + "A".leftPadded(14) + "B".leftPadded(14) + "  change",
    ]
    for r in rows {
      lines.append(
        r.label.padding(toLength: 22, withPad: " ", startingAt: 0) + r.a.leftPadded(14)
          + r.b.leftPadded(14) + "  " + r.change)
    }
    return lines.joined(separator: "\n")
  }

  /// The self-contained HTML page.
  public func html() -> String {
    let e = HTMLEscape.text
    var html = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(e(a.strategy)) vs \(e(b.strategy)) — Wick comparison</title>
      <style>
      body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
      h1{font-size:20px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
      .muted{color:#6b7280} table{border-collapse:collapse;width:100%;font-size:12.5px} th,td{padding:4px 6px;border-bottom:1px solid #f3f4f6;text-align:right}
      th{background:#f9fafb} td.l,th.l{text-align:left} .tick{font-size:11px;fill:#6b7280} .wide{overflow-x:auto;max-width:100%}
      .pair{display:grid;grid-template-columns:1fr 1fr;gap:12px} .a{color:#2563eb} .b{color:#ea580c}
      @media (max-width:640px){body{margin:12px auto;padding:0 10px} table{font-size:11.5px} th,td{padding:3px 3px} .pair{grid-template-columns:1fr}}
      </style></head><body>
      <h1>Comparison</h1>
      <div class="muted"><b class="a">A</b> \(e(a.path)): \(e(a.strategy)) · \(e(a.symbols.joined(separator: ", "))) · \(e(a.timeframe)) · \(e(a.period))</div>
      <div class="muted"><b class="b">B</b> \(e(b.path)): \(e(b.strategy)) · \(e(b.symbols.joined(separator: ", "))) · \(e(b.timeframe)) · \(e(b.period))</div>
      <h2>Metrics</h2>
      <div class="wide"><table><tr><th class="l">metric</th><th class="a">A</th><th class="b">B</th><th>B − A</th></tr>

      """
    for r in rows {
      html +=
        "<tr><td class=\"l\">\(e(r.label))</td><td>\(e(r.a))</td><td>\(e(r.b))</td><td>\(e(r.change))</td></tr>\n"
    }
    html += "</table></div>\n<h2>Equity</h2>\n"
    html +=
      "<div class=\"muted\"><b class=\"a\">—</b> A <b class=\"b\">—</b> B</div>\n"
      + SVGChart(valueFormat: { Format.money($0) }).render(
        a.equity, title: "Equity A and B", overlays: [("#ea580c", b.equity)]) + "\n"
    let groups = Array(Set(a.attribution.keys).union(b.attribution.keys)).sorted()
    if !groups.isEmpty {
      html += "<h2>Attribution</h2>\n"
      for group in groups {
        html += "<h3 class=\"muted\">\(e(group.replacingOccurrences(of: "_", with: " ")))</h3>\n"
        html += "<div class=\"pair\">"
        for (name, run) in [("A", a), ("B", b)] {
          html +=
            "<div class=\"wide\"><table><tr><th class=\"l \(name.lowercased())\">\(name)</th><th>trades</th><th>net pnl</th><th>win rate</th></tr>"
          for (label, cell) in (run.attribution[group] ?? [:]).sorted(by: { $0.key < $1.key }) {
            html +=
              "<tr><td class=\"l\">\(e(label))</td><td>\(Int(cell.trades))</td><td>\(Format.money(cell.netPnl))</td><td>\(Format.percent(cell.winRate))</td></tr>"
          }
          html += "</table></div>"
        }
        html += "</div>\n"
      }
    }
    return html + "<p class=\"muted\">Generated by Wick.</p>\n</body></html>\n"
  }
}

extension String {
  fileprivate func leftPadded(_ width: Int) -> String {
    count >= width ? self : String(repeating: " ", count: width - count) + self
  }
}
