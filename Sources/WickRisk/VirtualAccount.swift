import WickCore

/// One strategy × symbol with its own allocated equity and rules (seed 001's per-VA rules).
public struct VirtualAccount: Sendable, Equatable {
  public let name: String
  public let symbol: Int
  public let allocation: Double
  public var maxDailyLoss: Double
  public var maxDrawdownPct: Double
  public var maxTradesPerDay: Int
  /// Realised PnL since the start.
  public var realized = 0.0
  public var peak: Double
  /// Realised PnL since the last daily reset.
  public var dailyPnl = 0.0
  public var tradesToday = 0
  public var lossStreak = 0
  public var killed = false
  public var killReason: String?
  /// Close the position when the marked daily loss reaches `maxDailyLoss`
  /// (`[risk] flatten_on_daily_loss`).
  public var flattenOnDailyLoss = false
  /// Marked equity at the last daily reset: the marked daily loss is measured from it.
  public var dayStartEquity: Double
  /// Why the account was flattened on its daily loss limit today (entries wait for the reset).
  public var dailyStop: String?

  public init(
    name: String, symbol: Int, allocation: Double, maxDailyLoss: Double, maxDrawdownPct: Double,
    maxTradesPerDay: Int
  ) {
    self.name = name
    self.symbol = symbol
    self.allocation = allocation
    self.maxDailyLoss = maxDailyLoss
    self.maxDrawdownPct = maxDrawdownPct
    self.maxTradesPerDay = maxTradesPerDay
    peak = allocation
    dayStartEquity = allocation
  }

  /// Allocation plus realised and unrealised PnL.
  public func equity(unrealized: Double) -> Double { allocation + realized + unrealized }

  /// Loss used against the daily limit (0 when the day is positive).
  public var dailyLossUsed: Double { max(0, -dailyPnl) }

  /// Why this account may not open a new position now, if it may not.
  public func entryRefusal() -> Refusal? {
    if killed {
      return Refusal(
        "account_killed", "\(name) is killed: \(killReason ?? "drawdown") (reset it to trade again)"
      )
    }
    if let dailyStop {
      return Refusal("daily_loss_limit", "\(name) \(dailyStop) (entries resume at the daily reset)")
    }
    if maxDailyLoss > 0, dailyLossUsed >= maxDailyLoss {
      return Refusal(
        "daily_loss_limit",
        "\(name) lost \(formatNumber(dailyLossUsed)) today (limit \(formatNumber(maxDailyLoss)))")
    }
    if maxTradesPerDay > 0, tradesToday >= maxTradesPerDay {
      return Refusal(
        "max_trades_per_day", "\(name) made \(tradesToday) trades today (limit \(maxTradesPerDay))")
    }
    return nil
  }

  /// Records a closed trade: PnL, daily loss and the loss streak (a win resets it). A partial
  /// close (`endsTrade` false) counts its PnL but not toward the streak: the trade goes on.
  public mutating func record(pnl: Double, endsTrade: Bool = true) {
    realized += pnl
    dailyPnl += pnl
    if endsTrade { lossStreak = pnl < 0 ? lossStreak + 1 : 0 }
  }

  /// Updates the peak and kills the account when equity falls `maxDrawdownPct` below it.
  /// Returns true when this call killed it.
  public mutating func checkDrawdown(equity: Double) -> Bool {
    peak = max(peak, equity)
    guard !killed, peak > 0, (peak - equity) / peak >= maxDrawdownPct else { return false }
    killed = true
    killReason =
      "drawdown \(formatNumber(((peak - equity) / peak * 1000).rounded() / 10))% from peak \(formatNumber(peak))"
    return true
  }

  /// Starts a new day at marked `equity`.
  public mutating func resetDay(equity: Double) {
    dailyPnl = 0
    tradesToday = 0
    dayStartEquity = equity
    dailyStop = nil
  }

  /// With `flattenOnDailyLoss`: when the marked loss since the daily reset reached the limit,
  /// stops the account for the day and returns true (once a day). Marked, not realised: an open
  /// position's loss counts, or a position could lose far past the limit before it closes.
  public mutating func checkDailyLoss(equity: Double) -> Bool {
    guard flattenOnDailyLoss, maxDailyLoss > 0, dailyStop == nil, !killed else { return false }
    let lost = dayStartEquity - equity
    guard lost >= maxDailyLoss else { return false }
    dailyStop =
      "lost \(formatNumber(lost)) since the daily reset, marked (limit \(formatNumber(maxDailyLoss)))"
    return true
  }

  /// The user's reset of a killed account.
  public mutating func reset(equity: Double) {
    killed = false
    killReason = nil
    peak = equity
  }
}
