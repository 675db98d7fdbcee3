import Foundation

/// The runs page: paper and live runs first, then saved backtests, each linked by its id.
enum RunsPage {
  static func render(_ runs: [RunSummary], session: PageSession) -> String {
    var body = "<h1>Runs</h1>\n"
    guard !runs.isEmpty else {
      body += """
        <p class="muted">No runs in this database yet. Start one with <code>wick run --paper …</code>,
        or save a backtest with <code>wick backtest … --save</code>.</p>
        """
      return HTML.page(title: "Runs", body: body, session: session)
    }
    body += """
      <div class="scroll"><table class="runs"><thead><tr><th>run</th><th>mode</th><th>status</th><th class="l">strategy</th><th>equity</th><th>today's PnL</th><th>open</th><th>started</th></tr></thead><tbody>

      """
    for r in runs {
      body += """
        <tr><td><a href="/runs/\(r.id)">\(r.id)</a></td><td>\(HTML.text(r.kind))\(r.kind == "backtest" ? " <a class=\"small\" href=\"/runs/\(r.id)/report\">report</a>" : "")</td><td>\(HTML.badge(r.status))</td><td class="l">\(HTML.text(r.strategy)) <span class="muted small">\(HTML.text(r.symbols)) \(HTML.text(r.timeframe))</span></td><td>\(HTML.money(r.equity))</td><td class="\(HTML.tone(r.todayPnl ?? 0))">\(r.todayPnl.map(HTML.signedMoney) ?? "—")</td><td>\(r.openPositions)</td><td class="small">\(HTML.time(r.createdAt))</td></tr>

        """
    }
    body += "</tbody></table></div>\n"
    return HTML.page(title: "Runs", body: body, session: session)
  }
}
