import WickCore
import WickRisk

extension Runner {
  /// The risk figures of each account for `state_json`, as the dashboard reads them: the
  /// loss-streak size decay the next entry is sized with and the loss used today (UTC), with
  /// the streak and the kill flag. With `[risk]` configured they are the risk engine's own
  /// accounts; without, one account per symbol sized without decay, its loss from today's trades.
  func accountStateFields(time: Int64) -> [(String, DecisionJSON.Value?)] {
    var items: [String] = []
    var limit: Double? = nil
    // A [[run]] entry's gate keeps the run's own accounts in its engine.
    if let engine = (kernel.risk as? RiskEngine) ?? (kernel.risk as? GroupRiskGate)?.engine {
      for a in engine.accounts {
        items.append(
          Self.accountJSON(
            name: a.name, symbol: spec.symbols[a.symbol],
            decay: engine.config.risk.decayFactor(lossStreak: a.lossStreak),
            streak: a.lossStreak, lossUsed: a.dailyLossUsed, killed: a.killed,
            killReason: a.killReason))
        if a.maxDailyLoss > 0 { limit = limit.map { min($0, a.maxDailyLoss) } ?? a.maxDailyLoss }
      }
    } else {
      let day = time - time % 86_400_000
      let name = strategy.current.name
      for symbol in spec.symbols {
        var today = 0.0
        var streak = 0
        for t in kernel.book.trades where t.symbol == symbol {
          if t.exitTime >= day { today += t.pnl }
          streak = t.pnl > 0 ? 0 : streak + 1
        }
        items.append(
          Self.accountJSON(
            name: "\(name):\(symbol)", symbol: symbol, decay: 1, streak: streak,
            lossUsed: max(0, -today), killed: false))
      }
    }
    return [
      ("accounts", .raw("[" + items.joined(separator: ",") + "]")),
      ("daily_loss_limit", limit.map { .number($0) }),
    ]
  }

  static func accountJSON(
    name: String, symbol: String, decay: Double, streak: Int, lossUsed: Double, killed: Bool,
    killReason: String? = nil
  ) -> String {
    DecisionJSON.object([
      ("account", .string(name)), ("symbol", .string(symbol)), ("decay_factor", .number(decay)),
      ("loss_streak", .int(Int64(streak))), ("daily_loss_used", .number(lossUsed)),
      ("killed", .bool(killed)), ("kill_reason", killed ? killReason.map { .string($0) } : nil),
    ])
  }
}
