import Foundation

/// How the metrics moved between two runs (`wick backtest --watch`): one line per change.
///
///     net return          12.34% → 14.10%   (+1.76 pp)
///     trades                  41 → 38       (−3)
public enum MetricsDiff {
  public static func render(old: Metrics, new: Metrics) -> String {
    var lines: [String] = []
    for field in MetricField.all {
      let a = field.value(old)
      let b = field.value(new)
      guard a != b else { continue }
      let delta = a.flatMap { a in b.map { field.change(from: a, to: $0) } } ?? ""
      let label = field.label.padding(toLength: 22, withPad: " ", startingAt: 0)
      lines.append("\(label) \(field.format(a)) → \(field.format(b))   \(delta)")
    }
    return lines.isEmpty ? "no change" : lines.joined(separator: "\n")
  }
}
