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
    [
      ("net return", percent(m.netReturn)), ("CAGR", percent(m.cagr)),
      ("max drawdown", percent(m.maxDrawdown)),
      ("Sharpe", ratio(m.sharpe)), ("Sortino", ratio(m.sortino)), ("Calmar", ratio(m.calmar)),
      ("trades", "\(m.tradeCount) (\(m.longCount) long, \(m.shortCount) short)"),
      ("win rate", percent(m.winRate)),
      ("profit factor", ratio(m.profitFactor)), ("expectancy", money(m.expectancy)),
      ("average R", ratio(m.averageR)), ("exposure", percent(m.exposure)),
      ("net pnl", money(m.netPnl)),
      ("gross pnl", money(m.grossPnl)), ("fees", money(m.fees)), ("spread", money(m.spread)),
      ("slippage", money(m.slippage)), ("funding", money(m.funding)),
      ("best trade", money(m.bestTrade)),
      ("worst trade", money(m.worstTrade)),
      ("avg holding", String(format: "%.1f h", m.averageHoldingHours)),
      ("max losing streak", "\(m.maxConsecutiveLosses)"),
    ]
  }
}
