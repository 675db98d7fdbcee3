import Foundation
import WickCore

/// The `--html` report: one self-contained file (inline CSS and SVG, no scripts, no network)
/// with the run's header, metrics, price chart with entries and exits, equity and drawdown charts,
/// refusals, limits, trades and log. Readable on a phone: no table makes the page scroll sideways.
///
///     let html = HTMLReport.render(result, metrics: Metrics.compute(result), prices: [btcBuckets])
public enum HTMLReport {
  /// Trades listed in full (and marked on the price chart) up to this many; the JSON always has
  /// all of them.
  public static let tradeLimit = 5_000
  /// Price charts drawn at most (one per symbol, in the run's symbol order).
  public static let priceChartLimit = 8

  public static func render(
    _ r: BacktestResult, metrics m: Metrics, prices: [PriceBuckets] = [],
    tearsheet: Tearsheet? = nil, scripts: InteractiveChart.Scripts = .inline,
    reproduce: String? = nil
  ) -> String {
    let sheet = tearsheet ?? Tearsheet(r, prices: prices)
    let e = HTMLEscape.text
    let period =
      r.firstTime.map {
        UTCTime.iso($0) + " → " + UTCTime.iso((r.lastTime ?? $0) + r.timeframe.milliseconds)
      } ?? "no candles"
    var html = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(e(r.strategy)) — Wick backtest</title>
      <style>
      body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
      h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px;border-bottom:1px solid #e5e7eb;padding-bottom:4px}
      .muted{color:#6b7280} .grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(160px,1fr));gap:8px}
      .card{border:1px solid #e5e7eb;border-radius:8px;padding:8px 10px} .card b{display:block;font-size:17px}
      .card span{color:#6b7280;font-size:12px} .pos{color:#047857} .neg{color:#b91c1c}
      .wide{overflow-x:auto;max-width:100%} table{border-collapse:collapse;width:100%;font-size:12.5px} th,td{padding:4px 6px;border-bottom:1px solid #f3f4f6;text-align:right}
      th{background:#f9fafb;position:sticky;top:0} td.l,th.l{text-align:left} .tick{font-size:11px;fill:#6b7280}
      .err{background:#fef2f2;border:1px solid #fecaca;padding:8px 10px;border-radius:8px;white-space:pre-wrap;font-family:ui-monospace,monospace}
      pre{background:#f9fafb;padding:8px;border-radius:8px;max-height:320px;overflow:auto;font-size:12px}
      .legend{font-size:12px} .legend b{font-weight:normal;padding:0 6px 0 12px}
      @media (max-width:640px){body{margin:12px auto;padding:0 10px} .opt{display:none}
      table{font-size:11.5px} th,td{padding:3px 3px}}
      \(tearsheetCSS)\(InteractiveChart.css)</style></head><body>
      <h1>\(e(r.strategy))</h1>
      <div class="muted">\(e(r.symbols.joined(separator: ", "))) · \(r.timeframe) · \(e(period)) · \(r.candles) candles · equity \(Format.money(r.initialEquity)) → \(Format.money(r.finalEquity))</div>

      """
    if !r.params.isEmpty {
      html +=
        "<div class=\"muted\">params: "
        + r.params.map { e("\($0.name)=\($0.value)") }.joined(separator: " · ") + "</div>\n"
    }
    if let error = r.error {
      html += "<h2>The run stopped early</h2><div class=\"err\">\(e(error))</div>\n"
    }
    html += "<h2>Metrics</h2><div class=\"grid\">\n"
    for (label, value) in Format.metricRows(m) {
      let tone =
        ["net return", "CAGR", "net pnl", "expectancy"].contains(label)
        ? (value.hasPrefix("-") ? " neg" : " pos") : ""
      html +=
        "<div class=\"card\"><span>\(e(label))</span><b class=\"\(tone)\">\(e(value))</b></div>\n"
    }
    html += "</div>\n"
    html += priceCharts(r, prices, benchmark: sheet.benchmark, scripts: scripts)
    let equity = r.equity.map { (time: $0.time, value: $0.equity) }
    let drawdown = Tearsheet.underwater(r.equity).map { (time: $0.time, value: $0.value * 100) }
    html +=
      "<h2>Equity</h2>\n"
      + (sheet.benchmark.map {
        "<div class=\"muted legend\"><b style=\"color:#2563eb\">—</b>strategy<b style=\"color:#9ca3af\">—</b>buy and hold \(HTMLEscape.text($0.symbols.joined(separator: ", ")))</div>\n"
      } ?? "")
      + SVGChart(valueFormat: { Format.money($0) }).render(
        equity, title: "Equity",
        overlays: sheet.benchmark.map {
          [("#9ca3af", $0.daily.map { ($0.time, $0.equity * r.initialEquity) })]
        } ?? []) + "\n"
    html +=
      "<h2>Underwater: drawdown from the peak (%)</h2>\n"
      + SVGChart(
        height: 180, stroke: "#b91c1c", fill: "#fee2e2",
        valueFormat: { String(format: "%.1f%%", $0) }
      )
      .render(drawdown, title: "Drawdown") + "\n"
    html += tearsheetSections(r, sheet)
    if !r.refusals.isEmpty || !r.limitsInForce.isEmpty {
      html += "<h2>Risk</h2>\n"
      if !r.refusals.isEmpty {
        html +=
          "<div class=\"wide\"><table><tr><th class=\"l\">refused because</th><th>intents</th></tr>\n"
        for code in r.refusals.keys.sorted() {
          html += "<tr><td class=\"l\">\(e(code))</td><td>\(r.refusals[code]!)</td></tr>\n"
        }
        html += "</table></div>\n"
      }
      if !r.limitsInForce.isEmpty {
        html +=
          "<p class=\"muted\">Limits in force: " + r.limitsInForce.map(e).joined(separator: "; ")
          + "</p>\n"
      }
    }
    let notable = r.riskEvents.filter { $0.kind != .refusal }
    if !notable.isEmpty || !r.riskStates.isEmpty {
      html +=
        "<h2>Risk events and account state</h2>\n<div class=\"wide\"><table><tr><th class=\"l\">time</th><th class=\"l\">account</th><th class=\"l\">event</th></tr>\n"
      for ev in notable.prefix(500) {
        html +=
          "<tr><td class=\"l\">\(UTCTime.iso(ev.time))</td><td class=\"l\">\(e(ev.account))</td><td class=\"l\">\(ev.kind.rawValue): \(e(ev.detail))</td></tr>\n"
      }
      for p in r.riskStates.prefix(2_000) {
        let state =
          String(format: "decay %.2f×, daily loss used %.2f", p.decayFactor, p.dailyLossUsed)
          + (p.killed ? ", KILLED" : "")
        html +=
          "<tr><td class=\"l\">\(UTCTime.iso(p.time))</td><td class=\"l\">\(e(p.account))</td><td class=\"l\">state: \(state)</td></tr>\n"
      }
      html += "</table></div>\n"
    }
    html += "<h2>Trades (\(r.trades.count))</h2>\n"
    html += """
      <div class="wide"><table><tr><th class="l opt">#</th><th class="l opt">symbol</th><th class="l">side</th><th class="l">entry</th><th>price</th>
      <th class="l">exit</th><th>price</th><th class="opt">qty</th><th class="opt">fees</th><th>pnl</th><th class="opt">R</th><th class="opt">MAE</th><th class="opt">MFE</th><th class="l opt">reason</th><th class="l opt">tag</th></tr>

      """
    for (i, t) in r.trades.prefix(tradeLimit).enumerated() {
      let tone = t.pnl >= 0 ? "pos" : "neg"
      html +=
        "<tr><td class=\"l opt\">\(i + 1)</td><td class=\"l opt\">\(e(t.symbol))</td><td class=\"l\">\(t.side.rawValue)</td>"
      html +=
        "<td class=\"l\">\(breakableTime(t.entryTime))</td><td>\(Format.price(t.entryPrice))</td>"
      html +=
        "<td class=\"l\">\(breakableTime(t.exitTime))</td><td>\(Format.price(t.exitPrice))</td>"
      html +=
        "<td class=\"opt\">\(Format.price(t.qty))</td><td class=\"opt\">\(Format.money(t.fees))</td><td class=\"\(tone)\">\(Format.money(t.pnl))</td>"
      html += "<td class=\"opt\">\(t.r.map { String(format: "%.2f", $0) } ?? "–")</td>"
      html +=
        "<td class=\"opt\">\(t.mae.map(Format.price) ?? "–")</td><td class=\"opt\">\(t.mfe.map(Format.price) ?? "–")</td>"
      html +=
        "<td class=\"l opt\">\(e(t.exitReason.rawValue + (t.exitNote.map { " (\($0))" } ?? "")))</td><td class=\"l opt\">\(e(t.tag ?? ""))</td></tr>\n"
    }
    html += "</table></div>\n"
    if r.trades.count > tradeLimit {
      html +=
        "<p class=\"muted\">\(r.trades.count - tradeLimit) more trades are in the JSON result.</p>\n"
    }
    if let reproduce {
      // The inputs that re-run this result (`wick reproduce`), as the JSON records them.
      html += "<h2>Reproduce</h2><pre>\(e(reproduce))</pre>\n"
    }
    if !r.logs.isEmpty {
      html += "<h2>Log</h2><pre>" + r.logs.suffix(2_000).map(e).joined(separator: "\n") + "</pre>\n"
    }
    html +=
      "<p class=\"muted\">Generated by Wick. Fills at the next open with spread, slippage and fees; stops before takes.</p>\n</body></html>\n"
    return html
  }

  /// An ISO time that may wrap after the date on a narrow screen (`2024-01-01T<wbr>00:00:00Z`).
  static func breakableTime(_ ms: Int64) -> String {
    UTCTime.iso(ms).replacingOccurrences(of: "T", with: "T<wbr>")
  }

  /// One chart per recorded symbol: the low–high band and the close of each bucket, with every
  /// listed trade's entry and exit marked.
  static func priceCharts(
    _ r: BacktestResult, _ prices: [PriceBuckets], benchmark: Benchmark?,
    scripts: InteractiveChart.Scripts = .inline
  ) -> String {
    guard !prices.isEmpty else { return "" }
    var html = "<h2>Price</h2>\n"
    html += InteractiveChart.render(
      r, prices: prices, benchmark: benchmark, symbolLimit: priceChartLimit, scripts: scripts)
    // The static chart: what prints, and what shows where scripts do not run.
    html += "<div class=\"static-price\">\n"
    html +=
      "<div class=\"muted legend\"><b style=\"color:#047857\">▲</b>long entry<b style=\"color:#b91c1c\">▼</b>short entry<b>□</b>exit (green: won, red: lost)</div>\n"
    let listed = r.trades.prefix(tradeLimit)
    for series in prices.prefix(priceChartLimit) {
      var markers: [SVGChart.Marker] = []
      for t in listed where t.symbol == series.symbol {
        markers.append(
          .init(
            time: t.entryTime, value: t.entryPrice, kind: t.side == .long ? .longEntry : .shortEntry
          ))
        markers.append(
          .init(time: t.exitTime, value: t.exitPrice, kind: t.pnl >= 0 ? .winningExit : .losingExit)
        )
      }
      let closes = series.times.indices.map { (time: series.times[$0], value: series.closes[$0]) }
      let band = series.times.indices.map {
        (time: series.times[$0], low: series.lows[$0], high: series.highs[$0])
      }
      if prices.count > 1 {
        html += "<div class=\"muted\">\(HTMLEscape.text(series.symbol))</div>\n"
      }
      html +=
        SVGChart(height: 300, stroke: "#1e3a8a", valueFormat: { Format.price($0) })
        .render(closes, title: "Price \(series.symbol)", band: band, markers: markers) + "\n"
    }
    html += "</div>\n"
    if prices.count > priceChartLimit {
      html +=
        "<p class=\"muted\">Price charts are drawn for the first \(priceChartLimit) symbols.</p>\n"
    }
    return html
  }
}
