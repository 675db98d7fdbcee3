import Foundation
import WickCore

/// Line charts as inline SVG: a polyline, a few labelled ticks on each axis, no scripts.
/// The report and the dashboard (`wick serve`) draw with it.
///
///     SVGChart(width: 600, height: 200).render(points, title: "Equity")
public struct SVGChart: Sendable {
  public var width = 1000.0
  public var height = 260.0
  public var margin = (left: 70.0, right: 16.0, top: 12.0, bottom: 28.0)
  public var stroke: String
  public var fill: String?
  public var valueFormat: @Sendable (Double) -> String
  /// Labels of the time axis (the UTC date by default).
  public var timeFormat: @Sendable (Int64) -> String = { String(UTCTime.iso($0).prefix(10)) }

  public init(
    width: Double = 1000, height: Double = 260, stroke: String = "#2563eb", fill: String? = nil,
    valueFormat: @escaping @Sendable (Double) -> String = { String(format: "%.0f", $0) }
  ) {
    self.width = width
    self.height = height
    self.stroke = stroke
    self.fill = fill
    self.valueFormat = valueFormat
  }

  /// A price or equity marker: an entry (triangle pointing along the side) or an exit (square).
  struct Marker {
    enum Kind { case longEntry, shortEntry, winningExit, losingExit }
    var time: Int64
    var value: Double
    var kind: Kind
  }

  /// A line chart of `points`.
  public func render(_ points: [(time: Int64, value: Double)], title: String) -> String {
    render(points, title: title, band: [], markers: [])
  }

  /// Several lines on one pair of axes (the first drawn in `stroke`, the others in their own).
  public func render(
    _ points: [(time: Int64, value: Double)], title: String,
    overlays: [(stroke: String, points: [(time: Int64, value: Double)])]
  ) -> String {
    render(points, title: title, band: [], markers: [], overlays: overlays)
  }

  /// A line chart of `points`; with `band`, a shaded low–high envelope behind the line (the
  /// y-range then covers the band); `markers` are drawn on top, one path per kind.
  func render(
    _ points: [(time: Int64, value: Double)], title: String,
    band: [(time: Int64, low: Double, high: Double)], markers: [Marker],
    overlays: [(stroke: String, points: [(time: Int64, value: Double)])] = []
  ) -> String {
    guard let first = points.first, let last = points.last else {
      return "<p class=\"muted\">\(HTMLEscape.text(title)): no data</p>"
    }
    let all = points + overlays.flatMap(\.points)
    let t0 = Double(all.map(\.time).min()!)
    let t1 = max(Double(all.map(\.time).max()!), t0 + 1)
    var lo = all.map(\.value).min()!
    var hi = all.map(\.value).max()!
    for b in band {
      lo = min(lo, b.low)
      hi = max(hi, b.high)
    }
    if hi - lo < 1e-12 {
      lo -= 1
      hi += 1
    }
    let plotW = width - margin.left - margin.right
    let plotH = height - margin.top - margin.bottom
    func x(_ t: Int64) -> Double { margin.left + (Double(t) - t0) / (t1 - t0) * plotW }
    func y(_ v: Double) -> Double { margin.top + (hi - v) / (hi - lo) * plotH }
    var svg = """
      <svg viewBox="0 0 \(Int(width)) \(Int(height))" width="100%" role="img" aria-label="\(HTMLEscape.attribute(title))" xmlns="http://www.w3.org/2000/svg">
      <rect x="\(margin.left)" y="\(margin.top)" width="\(plotW)" height="\(plotH)" fill="#fafafa" stroke="#e5e7eb"/>

      """
    for i in 0...4 {
      let v = lo + (hi - lo) * Double(i) / 4
      let yy = y(v)
      svg +=
        "<line x1=\"\(margin.left)\" x2=\"\(margin.left + plotW)\" y1=\"\(fmt(yy))\" y2=\"\(fmt(yy))\" stroke=\"#e5e7eb\"/>"
      svg +=
        "<text x=\"\(margin.left - 6)\" y=\"\(fmt(yy + 4))\" text-anchor=\"end\" class=\"tick\">\(HTMLEscape.text(valueFormat(v)))</text>\n"
    }
    for i in 0...4 {
      let t = Int64(t0 + (t1 - t0) * Double(i) / 4)
      let label = timeFormat(t)
      let anchor = i == 0 ? "start" : i == 4 ? "end" : "middle"
      svg +=
        "<text x=\"\(fmt(x(t)))\" y=\"\(fmt(height - 8))\" text-anchor=\"\(anchor)\" class=\"tick\">\(label)</text>\n"
    }
    if !band.isEmpty {
      // The envelope: along the highs, back along the lows.
      var area = ""
      area.reserveCapacity(band.count * 24)
      for (i, b) in band.enumerated() {
        area += (i == 0 ? "M" : "L") + fmt(x(b.time)) + "," + fmt(y(b.high))
      }
      for b in band.reversed() { area += "L" + fmt(x(b.time)) + "," + fmt(y(b.low)) }
      svg += "<path d=\"\(area)Z\" fill=\"#dbeafe\" stroke=\"none\"/>\n"
    }
    var path = ""
    path.reserveCapacity(points.count * 16)
    for (i, p) in points.enumerated() {
      path += (i == 0 ? "M" : "L") + fmt(x(p.time)) + "," + fmt(y(p.value))
    }
    if let fill {
      let area =
        path
        + "L\(fmt(x(last.time))),\(fmt(y(max(lo, min(hi, 0)))))L\(fmt(x(first.time))),\(fmt(y(max(lo, min(hi, 0)))))Z"
      svg += "<path d=\"\(area)\" fill=\"\(fill)\" stroke=\"none\"/>\n"
    }
    svg += "<path d=\"\(path)\" fill=\"none\" stroke=\"\(stroke)\" stroke-width=\"1.5\"/>\n"
    for overlay in overlays where !overlay.points.isEmpty {
      var d = ""
      for (i, p) in overlay.points.enumerated() {
        d += (i == 0 ? "M" : "L") + fmt(x(p.time)) + "," + fmt(y(p.value))
      }
      svg += "<path d=\"\(d)\" fill=\"none\" stroke=\"\(overlay.stroke)\" stroke-width=\"1.5\"/>\n"
    }
    svg += markerPaths(markers, x: x, y: y)
    return svg + "</svg>"
  }

  /// One path per marker kind (a few dozen bytes per marker): entries as triangles pointing up
  /// (long) or down (short), exits as squares, green for a winning trade and red for a losing one.
  private func markerPaths(_ markers: [Marker], x: (Int64) -> Double, y: (Double) -> Double)
    -> String
  {
    let styles: [(Marker.Kind, String, String)] = [
      (.longEntry, "#047857", "long entries"), (.shortEntry, "#b91c1c", "short entries"),
      (.winningExit, "#047857", "winning exits"), (.losingExit, "#b91c1c", "losing exits"),
    ]
    var out = ""
    for (kind, color, label) in styles {
      var d = ""
      for m in markers where m.kind == kind {
        let (px, py) = (fmt(x(m.time)), fmt(y(m.value)))
        switch kind {
        case .longEntry: d += "M\(px),\(py)l-4,7h8z"
        case .shortEntry: d += "M\(px),\(py)l-4,-7h8z"
        case .winningExit, .losingExit: d += "M\(px),\(py)m-2.5,-2.5h5v5h-5z"
        }
      }
      guard !d.isEmpty else { continue }
      let paint =
        kind == .longEntry || kind == .shortEntry
        ? "fill=\"\(color)\"" : "fill=\"#fff\" stroke=\"\(color)\" stroke-width=\"1.2\""
      out += "<path class=\"marks\" d=\"\(d)\" \(paint)><title>\(label)</title></path>\n"
    }
    return out
  }

  private func fmt(_ v: Double) -> String { String(format: "%.1f", v) }
}

/// HTML escaping for text and attribute values (strategy names and log lines are user text).
public enum HTMLEscape {
  public static func text(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
      switch c {
      case "&": out += "&amp;"
      case "<": out += "&lt;"
      case ">": out += "&gt;"
      default: out.append(c)
      }
    }
    return out
  }
  public static func attribute(_ s: String) -> String {
    text(s).replacingOccurrences(of: "\"", with: "&quot;").replacingOccurrences(
      of: "'", with: "&#39;")
  }
}
