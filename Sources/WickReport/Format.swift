import Foundation

/// Display formats shared by the terminal summary, the diff and the HTML report.
enum Format {
  static func percent(_ v: Double) -> String { String(format: "%.2f%%", v * 100) }
  static func ratio(_ v: Double?) -> String {
    v.map { $0.isFinite ? String(format: "%.2f", $0) : "∞" } ?? "∞"
  }
  static func money(_ v: Double) -> String { String(format: "%.2f", v) }
  static func price(_ v: Double) -> String {
    abs(v) >= 1000
      ? String(format: "%.2f", v)
      : abs(v) >= 1 ? String(format: "%.4f", v) : String(format: "%.6g", v)
  }

  /// How each metric is shown: (label, formatted value) in report order.
  static func metricRows(_ m: Metrics) -> [(String, String)] {
    MetricField.all.map { ($0.label, $0.format($0.value(m))) }
  }

}
