import Foundation
import WickCore
import WickReport

/// `heatmap.html`: the objective over every pair of swept params, one colour-scaled table per
/// pair (the best over the other params, as backtesting.py's `plot_heatmaps`), the winner's cell
/// outlined. A sharp peak among weak neighbours is an overfit; a broad bright region is a
/// plateau. Self-contained (no script, no network), tables scroll sideways on a phone.
enum SweepHeatmap {
  /// A pair's table larger than this many cells is left out (the file stays small enough to
  /// open); the page says so.
  static let maximumCells = 40_000

  /// Nil when fewer than two params vary (a heatmap needs two).
  static func html(_ results: SweepResults) -> String? {
    let window = results.winner?.window ?? results.rows.last?.window ?? 0
    let landscape = SweepLandscape(results, window: window)
    let varying = landscape.axes.indices.filter { landscape.axes[$0].labels.count >= 2 }
    guard varying.count >= 2 else { return nil }
    let winner = results.winner.flatMap { landscape.point(of: $0, table: results.table) }
    let e = HTMLEscape.text
    let spec = results.spec
    let objective = spec.objective.rawValue
    var html = """
      <!DOCTYPE html>
      <html lang="en"><head><meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(e(spec.strategyName)) — \(e(objective)) heatmaps</title>
      <style>
      body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px auto;max-width:1100px;color:#111827;padding:0 16px}
      h1{font-size:20px;margin:0 0 4px} h2{font-size:15px;margin:24px 0 6px} .muted{color:#6b7280;font-size:12.5px}
      .wide{overflow-x:auto;max-width:100%} table{border-collapse:collapse;font-size:11.5px;font-variant-numeric:tabular-nums}
      th,td{padding:3px 5px;text-align:right;white-space:nowrap;min-width:34px} th{background:#f9fafb;color:#374151;font-weight:600}
      th.y{position:sticky;left:0;z-index:1} td.none{background:#f3f4f6;color:#9ca3af;text-align:center}
      td.win{outline:3px solid #dc2626;outline-offset:-3px;font-weight:700}
      .scale{display:inline-block;width:160px;height:10px;vertical-align:middle;border-radius:2px;background:linear-gradient(90deg,\(gradient))}
      @media (max-width:640px){body{margin:12px auto;padding:0 8px} th,td{padding:2px 3px;min-width:28px}}
      </style></head><body>
      <h1>\(e(spec.strategyName)): \(e(objective)) over each pair of params</h1>
      <div class="muted">\(e(spec.symbols.joined(separator: ", "))) · \(e(spec.timeframe)) · \(e(spec.mode)) · \(results.rows.count) rows\(spec.walkForward != nil ? " · training window \(window)" : ""). Each cell is the best \(e(objective)) over the other params; grey: not run. Outlined: the winner. Low <span class="scale"></span> high (each table on its own scale).</div>

      """
    for (i, y) in varying.enumerated() {
      for x in varying[(i + 1)...] {
        let ax = landscape.axes[x]
        let ay = landscape.axes[y]
        html += "<h2>\(e(objective)) by \(e(ay.name)) (rows) × \(e(ax.name)) (columns)</h2>\n"
        guard ax.labels.count * ay.labels.count <= maximumCells else {
          html +=
            "<p class=\"muted\">\(ax.labels.count) × \(ay.labels.count) cells is too many to draw: narrow the ranges with --param.</p>\n"
          continue
        }
        let grid = landscape.heatmap(x: x, y: y)
        let finite = grid.flatMap { $0 }.compactMap { $0 }
        let lo = finite.min() ?? 0
        let hi = finite.max() ?? 0
        html += "<div class=\"wide\"><table><tr><th class=\"y\">\(e(ay.name)) \\ \(e(ax.name))</th>"
        for label in ax.labels { html += "<th>\(e(label))</th>" }
        html += "</tr>\n"
        for (r, row) in grid.enumerated() {
          html += "<tr><th class=\"y\">\(e(ay.labels[r]))</th>"
          for (c, value) in row.enumerated() {
            let isWinner = winner.map { $0[y] == r && $0[x] == c } ?? false
            guard let value else {
              html += "<td class=\"none\">·</td>"
              continue
            }
            let t = hi > lo ? (value - lo) / (hi - lo) : 1
            let (bg, fg) = colour(t)
            html +=
              "<td\(isWinner ? " class=\"win\"" : "") style=\"background:\(bg);color:\(fg)\" title=\"\(e(ay.name))=\(e(ay.labels[r])) \(e(ax.name))=\(e(ax.labels[c])): \(formatNumber(value))\">\(short(value))</td>"
          }
          html += "</tr>\n"
        }
        html += "</table></div>\n"
      }
    }
    return html + "</body></html>\n"
  }

  /// Viridis at five stops: perceptually even, readable by the colour-blind, prints in grey.
  static let stops: [(Double, Double, Double)] = [
    (68, 1, 84), (59, 82, 139), (33, 145, 140), (94, 201, 98), (253, 231, 37),
  ]

  static var gradient: String {
    stops.map { "rgb(\(Int($0.0)),\(Int($0.1)),\(Int($0.2)))" }.joined(separator: ",")
  }

  /// Background and text colour for a value at `t` in [0, 1] of its table's range.
  static func colour(_ t: Double) -> (String, String) {
    let x = min(max(t, 0), 1) * Double(stops.count - 1)
    let i = min(Int(x), stops.count - 2)
    let f = x - Double(i)
    let (a, b) = (stops[i], stops[i + 1])
    let rgb = [a.0 + (b.0 - a.0) * f, a.1 + (b.1 - a.1) * f, a.2 + (b.2 - a.2) * f]
    let luminance = 0.299 * rgb[0] + 0.587 * rgb[1] + 0.114 * rgb[2]
    let bg = String(format: "#%02x%02x%02x", Int(rgb[0]), Int(rgb[1]), Int(rgb[2]))
    return (bg, luminance > 140 ? "#111827" : "#ffffff")
  }

  /// Three significant digits for the cell; the title keeps the full value.
  static func short(_ v: Double) -> String {
    abs(v) >= 1000 ? String(format: "%.0f", v) : String(format: "%.3g", v)
  }
}
