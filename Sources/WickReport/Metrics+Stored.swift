import Foundation
import WickCore

extension Metrics {
  /// The metrics a saved run stored (`runs.metrics_json`, keyed as in `--json`), so a report
  /// served later shows the figures computed from the full equity curve at save time rather than
  /// ones recomputed from the ledger's daily snapshots. Missing keys read as 0 (nil for the
  /// profit factor, which JSON stores as null when there were no losses).
  public init(storedJSON: String) throws {
    guard let data = storedJSON.data(using: .utf8),
      let object = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    else {
      throw WickError.data("metrics_json is not a JSON object")
    }
    func number(_ key: String) -> Double? { (object[key] as? NSNumber)?.doubleValue }
    func value(_ key: String) -> Double { number(key) ?? 0 }
    self.init(
      netReturn: value("net_return"), cagr: value("cagr"), maxDrawdown: value("max_drawdown"),
      sharpe: value("sharpe"), sortino: value("sortino"), calmar: value("calmar"),
      winRate: value("win_rate"), profitFactor: number("profit_factor"),
      expectancy: value("expectancy"), averageR: value("average_r"), exposure: value("exposure"),
      tradeCount: Int(value("trades")), longCount: Int(value("long_trades")),
      shortCount: Int(value("short_trades")), netPnl: value("net_pnl"),
      grossPnl: value("gross_pnl"), fees: value("fees"), spread: value("spread"),
      slippage: value("slippage"), funding: value("funding"), bestTrade: value("best_trade"),
      worstTrade: value("worst_trade"), averageHoldingHours: value("average_holding_hours"),
      maxConsecutiveLosses: Int(value("max_consecutive_losses")))
  }
}
