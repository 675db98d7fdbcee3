import Foundation

/// One metric: its JSON key, its label, its unit and where its value comes from. The JSON, the
/// terminal summary, the HTML grid and the `--watch` diff all read this one list, so a metric is
/// added in one place.
struct MetricField: Sendable {
  enum Unit: Sendable { case percent, ratio, money, count, hours }
  let key: String
  let label: String
  let unit: Unit
  let value: @Sendable (Metrics) -> Double?

  /// The value as shown to a person (∞ for a missing ratio such as a profit factor without losses).
  func format(_ v: Double?) -> String {
    guard let v, v.isFinite else { return "∞" }
    switch unit {
    case .percent: return Format.percent(v)
    case .ratio: return Format.ratio(v)
    case .money: return Format.money(v)
    case .count: return String(Int(v))
    case .hours: return String(format: "%.1f h", v)
    }
  }

  /// A signed change between two values, in the field's unit.
  func change(from a: Double, to b: Double) -> String {
    let d = b - a
    let sign = d >= 0 ? "+" : "−"
    switch unit {
    case .percent: return String(format: "(%@%.2f pp)", sign, abs(d) * 100)
    case .count: return "(\(sign)\(Int(abs(d).rounded())))"
    case .hours: return String(format: "(%@%.1f h)", sign, abs(d))
    case .ratio, .money: return String(format: "(%@%.2f)", sign, abs(d))
    }
  }

  static let all: [MetricField] = [
    MetricField(key: "net_return", label: "net return", unit: .percent) { $0.netReturn },
    MetricField(key: "cagr", label: "CAGR", unit: .percent) { $0.cagr },
    MetricField(key: "max_drawdown", label: "max drawdown", unit: .percent) { $0.maxDrawdown },
    MetricField(key: "sharpe", label: "Sharpe", unit: .ratio) { $0.sharpe },
    MetricField(key: "sortino", label: "Sortino", unit: .ratio) { $0.sortino },
    MetricField(key: "calmar", label: "Calmar", unit: .ratio) { $0.calmar },
    MetricField(key: "win_rate", label: "win rate", unit: .percent) { $0.winRate },
    MetricField(key: "profit_factor", label: "profit factor", unit: .ratio) { $0.profitFactor },
    MetricField(key: "expectancy", label: "expectancy", unit: .money) { $0.expectancy },
    MetricField(key: "average_r", label: "average R", unit: .ratio) { $0.averageR },
    MetricField(key: "exposure", label: "exposure", unit: .percent) { $0.exposure },
    MetricField(key: "trades", label: "trades", unit: .count) { Double($0.tradeCount) },
    MetricField(key: "long_trades", label: "long trades", unit: .count) { Double($0.longCount) },
    MetricField(key: "short_trades", label: "short trades", unit: .count) { Double($0.shortCount) },
    MetricField(key: "net_pnl", label: "net pnl", unit: .money) { $0.netPnl },
    MetricField(key: "gross_pnl", label: "gross pnl", unit: .money) { $0.grossPnl },
    MetricField(key: "fees", label: "fees", unit: .money) { $0.fees },
    MetricField(key: "spread", label: "spread", unit: .money) { $0.spread },
    MetricField(key: "slippage", label: "slippage", unit: .money) { $0.slippage },
    MetricField(key: "funding", label: "funding", unit: .money) { $0.funding },
    MetricField(key: "best_trade", label: "best trade", unit: .money) { $0.bestTrade },
    MetricField(key: "worst_trade", label: "worst trade", unit: .money) { $0.worstTrade },
    MetricField(key: "average_holding_hours", label: "avg holding", unit: .hours) {
      $0.averageHoldingHours
    },
    MetricField(key: "max_consecutive_losses", label: "max losing streak", unit: .count) {
      Double($0.maxConsecutiveLosses)
    },
  ]
}
