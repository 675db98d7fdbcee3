import Foundation

/// The optimizer's sweeps: a list, and one sweep's results sortable by any column, with the
/// winner marked.
enum SweepsPage {
  static func list(_ sweeps: [SweepSummary], session: PageSession) -> String {
    var body = "<h1>Sweeps</h1>\n"
    guard !sweeps.isEmpty else {
      body += "<p class=\"muted\">No sweeps yet. Run one with <code>wick optimize …</code>.</p>"
      return HTML.page(title: "Sweeps", body: body, session: session)
    }
    body += """
      <div class="scroll"><table><thead><tr><th>sweep</th><th class="l">strategy</th><th>symbol</th><th>objective</th><th>results</th><th class="l">winner</th><th>created</th></tr></thead><tbody>
      """
    for s in sweeps {
      body += """
        <tr><td><a href="/sweeps/\(s.id)">\(s.id)</a></td><td class="l">\(HTML.text(s.strategy))</td><td>\(HTML.text(s.symbol)) \(HTML.text(s.timeframe))</td><td>\(HTML.text(s.objective))</td><td>\(s.resultCount)</td><td class="l">\(HTML.text(winnerText(s) ?? "—"))</td><td class="small">\(HTML.time(s.createdAt))</td></tr>
        """
    }
    body += "</tbody></table></div>"
    return HTML.page(title: "Sweeps", body: body, session: session)
  }

  /// The winner's params (`wick optimize` stores {"set": n, "window": w, "params": {...}}; a
  /// bare params object is read too).
  static func winnerParams(_ s: SweepSummary) -> JSONValue? {
    guard let w = JSONValue.parse(s.winnerJSON), w != .null else { return nil }
    return w["params"] ?? w
  }

  static func winnerText(_ s: SweepSummary) -> String? {
    winnerParams(s).map { HTML.compactJSON($0.json) }
  }

  /// Sort keys: row, window, trades, objective, or any metric key.
  static func sorted(_ rows: [SweepResultRow], by key: String, descending: Bool) -> [SweepResultRow]
  {
    func value(_ r: SweepResultRow) -> Double {
      switch key {
      case "row": return Double(r.rowIndex)
      case "window": return Double(r.windowIndex)
      case "trades": return Double(r.trades)
      case "objective": return r.objectiveValue ?? -.infinity
      default: return r.metrics[key] ?? -.infinity
      }
    }
    return rows.sorted { a, b in
      let x = value(a)
      let y = value(b)
      if x != y { return descending ? x > y : x < y }
      return (a.rowIndex, a.windowIndex) < (b.rowIndex, b.windowIndex)
    }
  }

  static func detail(
    _ s: SweepSummary, _ rows: [SweepResultRow], sort: String, descending: Bool,
    session: PageSession
  ) -> String {
    let metricKeys = Array(Set(rows.flatMap(\.metrics.keys))).sorted()
    let columns = ["row", "window", "trades", "objective"] + metricKeys
    let key = columns.contains(sort) ? sort : "objective"
    let winner = winnerParams(s)
    let winnerJSON = JSONValue.parse(s.winnerJSON)
    let winnerSet = winnerJSON?["set"]?.number.flatMap { Int64(exactly: $0) }
    let winnerWindow = winnerJSON?["window"]?.number.flatMap { Int64(exactly: $0) } ?? 0
    func isWinner(_ r: SweepResultRow) -> Bool {
      if let winnerSet { return r.rowIndex == winnerSet && r.windowIndex == winnerWindow }
      return winner.map { JSONValue.parse(r.paramsJSON) == $0 } ?? false
    }
    var body = """
      <h1>Sweep \(s.id) · \(HTML.text(s.strategy))</h1>
      <div class="muted">\(HTML.text(s.symbol)) · \(HTML.text(s.timeframe)) · objective \(HTML.text(s.objective)) · \(s.resultCount) results</div>
      <p id="winner"><b>Winner:</b> \(HTML.text(winnerText(s) ?? "none recorded"))</p>

      """
    if let summary = s.summaryJSON {
      body += "<p class=\"small muted\">\(HTML.text(HTML.compactJSON(summary, limit: 600)))</p>"
    }
    body += "<div class=\"scroll\"><table class=\"sweep\"><thead><tr>"
    for c in columns {
      let isKey = c == key
      let nextDescending = isKey ? !descending : true
      let arrow = isKey ? (descending ? " ▼" : " ▲") : ""
      body +=
        "<th><a href=\"/sweeps/\(s.id)?sort=\(HTML.attr(c))&amp;dir=\(nextDescending ? "desc" : "asc")\">\(HTML.text(c))\(arrow)</a></th>"
    }
    body += "<th class=\"l\">params</th></tr></thead><tbody>\n"
    for r in sorted(rows, by: key, descending: descending) {
      let winning = isWinner(r)
      body +=
        "<tr\(winning ? " class=\"winner\"" : "")><td>\(r.rowIndex)\(winning ? " ★" : "")</td><td>\(r.windowIndex)</td><td>\(r.trades)</td><td>\(r.objectiveValue.map { String(format: "%.4g", $0) } ?? "—")</td>"
      for m in metricKeys {
        body += "<td>\(r.metrics[m].map { String(format: "%.4g", $0) } ?? "—")</td>"
      }
      body += "<td class=\"l\">\(HTML.text(HTML.compactJSON(r.paramsJSON)))</td></tr>\n"
    }
    body += "</tbody></table></div>"
    return HTML.page(title: "Sweep \(s.id)", body: body, session: session)
  }
}
