import Testing
import WickCore
import WickRisk

@testable import WickSim

/// `ctx:exit{fraction = ...}` and `ctx:enter{add = true}` in the kernel and the simulated venue.
@Suite struct PartialExitTests {
  /// Enters long at candle 1's open (100, stop 95: 20 units at 1% of 10 000), then runs `later`
  /// on the candles after it.
  static func run(
    _ candles: [Candle],
    fills: FillModel = FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
    later: @escaping (Int, StrategyHost) -> Void
  ) throws -> BacktestResult {
    var i = 0
    let s = ScriptedStrategy { _, _, host in
      if i == 0 {
        host.enter(OrderIntent(symbol: 0, side: .long, stop: 95))
      } else {
        later(i, host)
      }
      i += 1
    }
    return try backtest(candles, fills: fills, strategy: s)
  }

  @Test func aPartialCloseIsItsOwnRowTiedToThePosition() throws {
    let candles = [
      bar(0, 100, 100.5, 99.5, 100), bar(1, 100, 104, 99.5, 104), bar(2, 110, 111, 109, 110),
      bar(3, 108, 109, 107, 108),
    ]
    let r = try Self.run(candles) { i, host in
      if i == 1 { host.exit(symbol: 0, fraction: 0.25, reason: "scale out") }
    }
    #expect(r.trades.count == 2)
    let part = r.trades[0]
    let rest = r.trades[1]
    #expect(part.partial)
    #expect(!rest.partial)
    #expect(part.position == rest.position)
    #expect(abs(part.qty - 5) < 1e-9)  // a quarter of 20
    #expect(part.exitPrice == 110)
    #expect(abs(part.pnl - 50) < 1e-9)  // (110 − 100) × 5
    #expect(abs(part.r! - 2) < 1e-9)  // 50 over a quarter (25) of the 100 risked
    #expect(part.exitNote == "scale out")
    #expect(abs(rest.qty - 15) < 1e-9)
    #expect(rest.exitReason == .endOfData)
    #expect(abs(rest.pnl - 120) < 1e-9)  // (108 − 100) × 15
    #expect(abs(r.finalEquity - 10_170) < 1e-9)
  }

  @Test func aPartialCloseSharesTheEntryFees() throws {
    let fills = FillModel(takerFeeBps: 10, makerFeeBps: 2, spreadBps: 0, slippageBps: 0)
    let candles = [
      bar(0, 100, 100.5, 99.5, 100), bar(1, 100, 104, 99.5, 104), bar(2, 110, 111, 109, 110),
    ]
    let r = try Self.run(candles, fills: fills) { i, host in
      if i == 1 { host.exit(symbol: 0, fraction: 0.5, reason: nil) }
    }
    let part = r.trades[0]
    let entryFee = 100 * 20 * 10 / 10_000.0
    let exitFee = 110 * 10 * 10 / 10_000.0
    #expect(abs(part.fees - (entryFee / 2 + exitFee)) < 1e-9)
    #expect(abs(part.pnl - (100 - entryFee / 2 - exitFee)) < 1e-9)
    // Every fee is counted once over the two rows.
    let total = r.trades.reduce(0) { $0 + $1.fees }
    #expect(abs(total - (entryFee + exitFee + 110 * 10 * 10 / 10_000.0)) < 1e-9)
  }

  @Test func anAddIsSizedAgainstTheCombinedStop() throws {
    let candles = [
      bar(0, 100, 100.5, 99.5, 100), bar(1, 100, 110, 99.5, 110), bar(2, 110, 111, 109, 110),
      bar(3, 110, 111, 109, 110),
    ]
    var add: IntentOutcome? = nil
    var plain: IntentOutcome? = nil
    var position: Position? = nil
    _ = try Self.run(candles) { i, host in
      if i == 1 {
        plain = host.enter(OrderIntent(symbol: 0, side: .long, stop: 98))
        add = host.enter(OrderIntent(symbol: 0, side: .long, stop: 98, add: true))
      }
      if i == 2 { position = host.position(symbol: 0) }
    }
    guard case .refused(let r) = plain else {
      Issue.record("an entry on an open position without add = true was accepted")
      return
    }
    #expect(r.code == "position_open")
    // Equity at 110 is 10 200: a budget of 102. The open 20 units risk 40 at the new stop 98,
    // so the add gets the 62 left over its 12-point distance.
    guard case .accepted(let qty) = add else {
      Issue.record("add refused: \(String(describing: add))")
      return
    }
    #expect(abs(qty - 62.0 / 12) < 1e-9)
    let p = try #require(position)
    #expect(abs(p.qty - (20 + 62.0 / 12)) < 1e-9)
    #expect(p.stop == 98)
    #expect(abs(p.entry - (100 * 20 + 110 * 62.0 / 12) / (20 + 62.0 / 12)) < 1e-9)
    // At the combined stop the whole position loses the one budget (102) and no more.
    #expect(abs(p.qty * (p.entry - 98) - 102) < 1e-9)
  }

  @Test func anAddBeyondTheBudgetOrOnTheWrongSideIsRefused() throws {
    let candles = [bar(0, 100, 100.5, 99.5, 100), bar(1, 100, 101, 99.5, 100.5)]
    var answers: [IntentOutcome] = []
    _ = try Self.run(candles) { i, host in
      guard i == 1 else { return }
      // The open 20 units already risk 200 at 90: more than the whole budget.
      answers.append(host.enter(OrderIntent(symbol: 0, side: .long, stop: 90, add: true)))
      answers.append(host.enter(OrderIntent(symbol: 0, side: .short, stop: 105, add: true)))
    }
    let codes = answers.compactMap { if case .refused(let r) = $0 { r.code } else { nil } }
    #expect(codes == ["add_exceeds_risk", "add_opposite_side"])
  }

  @Test func anAddWithoutAPositionIsRefused() throws {
    var answer: IntentOutcome? = nil
    let s = ScriptedStrategy { _, _, host in
      if answer == nil {
        answer = host.enter(OrderIntent(symbol: 0, side: .long, stop: 95, add: true))
      }
    }
    _ = try backtest([bar(0, 100, 100.5, 99.5, 100)], strategy: s)
    guard case .refused(let r) = answer else {
      Issue.record("accepted")
      return
    }
    #expect(r.code == "no_position")
  }
}
