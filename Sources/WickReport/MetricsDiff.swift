import Foundation

/// How the metrics moved between two runs (`wick backtest --watch`): one line per change.
///
///     net_return          12.34% → 14.10%   (+1.76 pp)
///     trades                  41 → 38       (−3)
public enum MetricsDiff {
  static let percentKeys: Set<String> = [
    "net_return", "cagr", "max_drawdown", "win_rate", "exposure",
  ]
  static let countKeys: Set<String> = [
    "trades", "long_trades", "short_trades", "max_consecutive_losses",
  ]

  public static func render(old: Metrics, new: Metrics) -> String {
    var lines: [String] = []
    for (before, after) in zip(old.fields, new.fields) where before.value != after.value {
      let key = after.key
      var delta = ""
      if let a = before.value, let b = after.value {
        let d = b - a
        let sign = d >= 0 ? "+" : "−"
        if percentKeys.contains(key) {
          delta = String(format: "(%@%.2f pp)", sign, abs(d) * 100)
        } else if countKeys.contains(key) {
          delta = "(\(sign)\(Int(abs(d).rounded())))"
        } else {
          delta = String(format: "(%@%.2f)", sign, abs(d))
        }
      }
      let label = key.replacingOccurrences(of: "_", with: " ").padding(
        toLength: 22, withPad: " ", startingAt: 0)
      lines.append("\(label) \(show(key, before.value)) → \(show(key, after.value))   \(delta)")
    }
    return lines.isEmpty ? "no change" : lines.joined(separator: "\n")
  }

  private static func show(_ key: String, _ v: Double?) -> String {
    guard let v else { return "∞" }
    if percentKeys.contains(key) { return Format.percent(v) }
    if countKeys.contains(key) { return String(Int(v)) }
    return String(format: "%.2f", v)
  }
}
