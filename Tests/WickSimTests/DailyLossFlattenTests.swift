import Testing
import WickCore
import WickRisk

@testable import WickSim

/// `flatten_on_daily_loss`: a daily loss limit closes positions at market (seed 005's "closes
/// positions on loss limits"), entries wait for the daily reset, and with the key off nothing
/// changes.
private let day: Int64 = 86_400_000

@Suite struct DailyLossFlattenTests {
  /// Day 1: flat at 100, a drop to 94 on minute 3, flat at 94 to the end of the day; day 2:
  /// flat at 94 for a few minutes.
  static let candles: [Candle] = (0..<1_446).map { i in
    switch i {
    case 0...2: bar(i, 100, 100, 100, 100)
    case 3: bar(i, 100, 100, 94, 94)
    default: bar(i, 94, 94, 94, 94)
    }
  }

  /// Enters long (stop 10 below) whenever flat, and keeps each outcome.
  final class AlwaysLong {
    var outcomes: [(time: Int64, outcome: IntentOutcome)] = []
    lazy var strategy = ScriptedStrategy { [unowned self] _, c, host in
      guard host.position(symbol: 0) == nil else { return }
      self.outcomes.append(
        (c.time, host.enter(OrderIntent(symbol: 0, side: .long, stop: c.close - 10))))
    }
  }

  func run(_ edit: (inout WickConfig) -> Void) throws -> (BacktestResult, AlwaysLong) {
    var config = WickConfig()
    config.risk.maxDailyLoss = 50
    config.governor.maxNetExposurePct = 10
    edit(&config)
    let risk = RiskEngine(
      config: config, strategy: "t", symbols: ["BTCUSDT"], initialEquity: 10_000)
    let s = AlwaysLong()
    let r = try backtest(Self.candles, risk: risk, strategy: s.strategy)
    return (r, s)
  }

  /// 1 % of 10 000 over a 10 stop: 10 units from 100; at 94 the open position has lost 60 ≥ 50.
  @Test func theDailyLimitClosesThePositionAndTheNextDayTradesAgain() throws {
    let (r, s) = try run { $0.risk.flattenOnDailyLoss = true }
    #expect(r.error == nil)
    let first = try #require(r.trades.first)
    // Marked down on minute 3's close; closed at minute 4's open, by the risk layer.
    #expect(first.entryTime == t0 + 60_000 && first.exitTime == t0 + 4 * 60_000)
    #expect(first.exitPrice == 94 && first.qty == 10)
    #expect(first.exitNote?.hasPrefix("risk: daily loss limit: t:BTCUSDT lost 60") == true)
    let event = try #require(r.riskEvents.first { $0.kind == .dailyLoss })
    #expect(event.time == t0 + 4 * 60_000 && event.account == "t:BTCUSDT")
    #expect(event.detail.contains("limit 50") && event.detail.contains("until the daily reset"))
    // Refused for the rest of the day, with the reason; the new day's first candle enters again.
    let refusedToday = s.outcomes.filter { $0.time > t0 + 4 * 60_000 && $0.time < t0 + day }
    #expect(!refusedToday.isEmpty)
    #expect(
      refusedToday.allSatisfy {
        if case .refused(let why) = $0.outcome { return why.code == "daily_loss_limit" }
        return false
      })
    let next = try #require(s.outcomes.first { $0.time >= t0 + day })
    guard case .accepted = next.outcome else {
      Issue.record("the next day's entry was refused: \(next.outcome)")
      return
    }
    // The next day's position is the run's second trade (closed at the end of the data).
    #expect(r.trades.map(\.exitReason) == [.signal, .endOfData])
    #expect(r.trades.last?.entryTime == t0 + day + 60_000)
  }

  /// Off (the default): the position rides on under its stop, as before the key existed.
  @Test func withTheKeyOffTheLimitOnlyRefusesEntries() throws {
    let (off, _) = try run { _ in }
    let (explicit, _) = try run { $0.risk.flattenOnDailyLoss = false }
    // Never closed before the end: 94 is above the stop at 90.
    #expect(off.trades.map(\.exitReason) == [.endOfData])
    #expect(off.trades.first?.entryTime == t0 + 60_000)
    #expect(!off.riskEvents.contains { $0.kind == .dailyLoss })
    #expect(off.trades == explicit.trades && off.finalEquity == explicit.finalEquity)
    #expect(off.equity == explicit.equity && off.refusals == explicit.refusals)
  }

  /// `[caps] flatten_on_daily_loss`: the portfolio-wide cap on real equity flattens every
  /// position, and entries wait for the reset.
  @Test func theCapsDailyLossFlattensEverything() throws {
    let (r, s) = try run {
      $0.risk.maxDailyLoss = 0
      $0.caps.maxDailyLoss = 50
      $0.caps.flattenOnDailyLoss = true
      $0.governor.cooldownMinutes = 0
    }
    let first = try #require(r.trades.first)
    #expect(first.exitTime == t0 + 4 * 60_000)
    #expect(first.exitNote?.hasPrefix("risk: daily loss cap: real equity lost 60") == true)
    #expect(r.riskEvents.contains { $0.kind == .dailyLoss && $0.account == "*" })
    let refused = s.outcomes.filter { $0.time > t0 + 4 * 60_000 && $0.time < t0 + day }
    #expect(
      refused.allSatisfy {
        if case .refused(let why) = $0.outcome { return why.code == "daily_loss_cap" }
        return false
      })
    #expect(r.trades.map(\.exitReason) == [.signal, .endOfData])
    #expect(s.outcomes.contains { $0.time >= t0 + day && $0.outcome.isAccepted })
  }
}

extension IntentOutcome {
  fileprivate var isAccepted: Bool {
    if case .accepted = self { return true }
    return false
  }
}
