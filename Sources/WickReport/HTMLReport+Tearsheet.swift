import Foundation
import WickCore

/// The report's tearsheet sections: returns by month and year, benchmark, rolling Sharpe, trade
/// durations, exposure by hour and weekday, attribution. Plain HTML and inline SVG: it prints.
extension HTMLReport {
  static let monthNames = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
  ]

  /// CSS of the tearsheet's tables and bars (a 390 px phone shows a year's row without scrolling).
  static let tearsheetCSS = """
    .mret td,.mret th{padding:3px 2px;font-size:11.5px;text-align:center} .mret td.y{font-weight:600}
    .bars{display:grid;grid-template-columns:max-content 1fr max-content;gap:2px 8px;align-items:center;font-size:12px}
    .bars i{display:block;height:12px;background:#93c5fd;border-radius:2px;min-width:1px}
    .cols{display:flex;align-items:flex-end;gap:2px;height:110px;border-bottom:1px solid #e5e7eb}
    .cols i{flex:1;background:#93c5fd;min-height:1px;border-radius:2px 2px 0 0}
    .colx{display:flex;gap:2px;font-size:10px;color:#6b7280} .colx span{flex:1;text-align:center}
    .attr{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:12px}
    @media (max-width:640px){.mret td,.mret th{font-size:9.5px;padding:2px 1px}}

    """

  static func tearsheetSections(_ r: BacktestResult, _ t: Tearsheet) -> String {
    var html = ""
    if !t.monthlyReturns.isEmpty { html += monthlyTable(t) }
    if let b = t.benchmark {
      html +=
        "<h2>Benchmark: buy and hold \(HTMLEscape.text(b.symbols.joined(separator: ", ")))</h2>\n"
      html += "<div class=\"grid\">\n"
      let cards: [(String, String)] = [
        ("buy-and-hold return", Format.percent(b.totalReturn)),
        ("alpha (annualised)", Format.percent(b.alpha)), ("beta", Format.ratio(b.beta)),
        ("correlation", Format.ratio(b.correlation)), ("days compared", String(b.days)),
      ]
      for (label, value) in cards {
        html += "<div class=\"card\"><span>\(label)</span><b>\(value)</b></div>\n"
      }
      html +=
        "</div>\n<p class=\"muted\">Equal weights bought at the first open, no costs; alpha, beta and correlation of daily returns.</p>\n"
    }
    if !t.rollingSharpe.isEmpty {
      html += "<h2>Rolling Sharpe (\(Tearsheet.rollingWindow) days)</h2>\n"
      html +=
        SVGChart(height: 180, stroke: "#7c3aed", valueFormat: { String(format: "%.1f", $0) })
        .render(t.rollingSharpe, title: "Rolling Sharpe") + "\n"
    }
    if !r.trades.isEmpty {
      html += attributionTables(t.attribution)
      html += "<h2>Trade durations</h2>\n"
      html += bars(t.durations.map { ($0.label, Double($0.trades), String($0.trades)) })
    }
    if t.exposureByHour.contains(where: { $0 != nil }) {
      html += "<h2>Exposure by UTC hour</h2>\n<div class=\"cols\">"
      for v in t.exposureByHour {
        html +=
          "<i style=\"height:\(String(format: "%.1f", (v ?? 0) * 100))%\" title=\"\(v.map(Format.percent) ?? "–")\"></i>"
      }
      html += "</div><div class=\"colx\">"
      for h in 0..<24 { html += "<span>\(h % 3 == 0 ? String(h) : "")</span>" }
      html += "</div>\n<h2>Exposure by weekday (UTC)</h2>\n"
      html += bars(
        zip(Tearsheet.weekdays, t.exposureByWeekday).map {
          ($0, $1 ?? 0, $1.map(Format.percent) ?? "–")
        }, scale: 1)
    }
    return html
  }

  /// Years as rows, months as columns, the year's return last; cells tinted by sign.
  static func monthlyTable(_ t: Tearsheet) -> String {
    var html =
      "<h2>Returns by month (%)</h2>\n<div class=\"wide\"><table class=\"mret\"><tr><th></th>"
    for m in monthNames { html += "<th>\(m)</th>" }
    html += "<th>Year</th></tr>\n"
    var byMonth: [String: Double] = [:]
    for m in t.monthlyReturns { byMonth[m.period] = m.value }
    for y in t.yearlyReturns {
      html += "<tr><th>\(y.period)</th>"
      for m in 1...12 {
        let key = y.period + String(format: "-%02d", m)
        html +=
          byMonth[key].map { "<td class=\"\(tone($0))\">\(String(format: "%.1f", $0 * 100))</td>" }
          ?? "<td></td>"
      }
      html +=
        "<td class=\"y \(tone(y.value))\">\(String(format: "%.1f", y.value * 100))</td></tr>\n"
    }
    return html + "</table></div>\n"
  }

  /// The three groupings, each a small table (stacked on a phone, side by side when wide).
  static func attributionTables(_ a: Attribution) -> String {
    var html = "<h2>Regime attribution</h2>\n<div class=\"attr\">"
    for group in a.groups {
      html +=
        "<div class=\"wide\"><table><tr><th class=\"l\">\(group.title)</th><th>trades</th><th>net pnl</th><th>win rate</th></tr>"
      for row in group.rows {
        html +=
          "<tr><td class=\"l\">\(HTMLEscape.text(row.label))</td><td>\(row.cell.trades)</td><td class=\"\(tone(row.cell.netPnl))\">\(Format.money(row.cell.netPnl))</td><td>\(Format.percent(row.cell.winRate))</td></tr>"
      }
      html += "</table></div>"
    }
    return html
      + "</div>\n<p class=\"muted\">A trade counts in the session of its entry and the regime of the candle it was decided on (wick.session and wick.regime with their default parameters).</p>\n"
  }

  static func tone(_ v: Double) -> String { v >= 0 ? "pos" : "neg" }

  /// Horizontal bars, one row per (label, value, shown text), scaled to the largest value (or to
  /// `scale` when given).
  static func bars(_ rows: [(String, Double, String)], scale: Double? = nil) -> String {
    let top = scale ?? max(rows.map(\.1).max() ?? 0, 1e-12)
    var html = "<div class=\"bars\">"
    for (label, value, text) in rows {
      let width = top > 0 ? max(0, min(1, value / top)) * 100 : 0
      html +=
        "<span>\(HTMLEscape.text(label))</span><i style=\"width:\(String(format: "%.1f", width))%\"></i><span>\(HTMLEscape.text(text))</span>"
    }
    return html + "</div>\n"
  }
}
