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

  /// The bug this floor fixes: halving the position on every candle made thousands of ever
  /// smaller rows. Without instrument rules the floor is 1 % of the largest quantity held: six
  /// halvings (20 → 0.3125), then the seventh would leave 0.156 < 0.2, so the whole closes.
  @Test func halvingOnEveryCandleEndsWithAFullClose() throws {
    let candles = (0..<30).map { bar($0, 100, 100.5, 99.5, 100) }
    var answers: [Bool] = []
    let r = try Self.run(candles) { _, host in
      if host.position(symbol: 0) != nil {
        answers.append(host.exit(symbol: 0, fraction: 0.5, reason: "half"))
      }
    }
    #expect(r.trades.count == 7)
    #expect(r.trades.prefix(6).allSatisfy({ $0.partial }))
    let last = try #require(r.trades.last)
    #expect(!last.partial)
    #expect(abs(last.qty - 0.3125) < 1e-12)
    #expect(last.exitNote == "half: remainder below the minimum, closed in full")
    #expect(Set(r.trades.map({ $0.position })).count == 1)
    #expect(abs(r.trades.reduce(0) { $0 + $1.qty } - 20) < 1e-9)
    #expect(answers == Array(repeating: true, count: 7))
  }

  /// With the instrument's rules (lot step 1, minimum 2): a part is rounded down to the lot step,
  /// a part below the minimum is refused (nothing closes), and a remainder below it closes all.
  @Test func instrumentRulesRoundRefuseAndCloseInFull() throws {
    let candles = (0..<8).map { bar($0, 100, 100.5, 99.5, 100) }
    let gate = RulesGate(LotRules(lotStep: 1, minQty: 2))
    var i = 0
    var answers: [Bool] = []
    let s = ScriptedStrategy { _, _, host in
      defer { i += 1 }
      switch i {
      case 0: host.enter(OrderIntent(symbol: 0, side: .long, stop: 95))
      case 1: answers.append(host.exit(symbol: 0, fraction: 0.33, reason: "a"))  // 6.6 → 6
      case 2: answers.append(host.exit(symbol: 0, fraction: 0.05, reason: "b"))  // 0.7 → 0
      case 3: answers.append(host.exit(symbol: 0, fraction: 0.9, reason: "c"))  // 12.6 → 12
      case 4: answers.append(host.exit(symbol: 0, fraction: 0.5, reason: "d"))  // 1 of 2
      default: break
      }
    }
    let r = try backtest(candles, risk: gate, strategy: s)
    #expect(answers == [true, false, true, true])
    #expect(zip(r.trades.map({ $0.qty }), [6.0, 12, 2]).allSatisfy { abs($0 - $1) < 1e-9 })
    #expect(r.trades.count == 3)
    #expect(r.trades.map({ $0.partial }) == [true, true, false])
    #expect(
      r.trades.map({ $0.exitNote }) == ["a", "c", "d: remainder below the minimum, closed in full"])
    #expect(r.refusals["partial_below_minimum"] == 1)
  }

  @Test func theFloorDecisions() {
    let rules = LotRules(lotStep: 0.001, minQty: 0.001, minNotional: 5)
    // 0.1 BTC at 100: a minimum notional of 5 needs 0.05 per piece.
    #expect(
      PartialClose.decide(qty: 0.1, peakQty: 0.1, fraction: 0.5, price: 100, rules: rules)
        == .partial(fraction: 0.5))
    #expect(
      PartialClose.decide(qty: 0.1, peakQty: 0.1, fraction: 0.6, price: 100, rules: rules) == .full)
    guard
      case .refused(let r) = PartialClose.decide(
        qty: 1, peakQty: 1, fraction: 0.01, price: 100, rules: rules)
    else {
      Issue.record("a part of notional 1 against a minimum of 5 was not refused")
      return
    }
    #expect(r.code == "partial_below_minimum")
    // Without rules: 1 % of the largest quantity held, even after the position shrank.
    #expect(
      PartialClose.decide(qty: 1.5, peakQty: 100, fraction: 0.5, price: 1, rules: nil) == .full)
    #expect(
      PartialClose.decide(qty: 4, peakQty: 100, fraction: 0.5, price: 1, rules: nil)
        == .partial(fraction: 0.5))
  }
}

/// Sizing by `FixedFractionSizer`, with an instrument's quantity rules.
final class RulesGate: RiskGate {
  let sizer = FixedFractionSizer(riskPerTrade: 0.01, leverage: 3)
  let rules: LotRules
  init(_ rules: LotRules) { self.rules = rules }
  func review(_ request: RiskRequest, portfolio: PortfolioView) -> IntentOutcome {
    sizer.review(request, portfolio: portfolio)
  }
  func recordOpen(_ position: Position, time: Int64) {}
  func recordClose(_ trade: Trade, symbol: Int, time: Int64, portfolio: PortfolioView) {}
  func advance(to time: Int64, portfolio: PortfolioView) -> [(symbol: Int, reason: String)] { [] }
  func admit(legs: [(symbol: Int, side: Side, qty: Double)], time: Int64, portfolio: PortfolioView)
    -> Refusal?
  { nil }
  func riskFraction(_ requested: Double?) -> Result<Double, Refusal> {
    sizer.riskFraction(requested)
  }
  var leverage: Double { 3 }
  var limitsInForce: [String] { [] }
  func lotRules(symbol: Int) -> LotRules? { rules }
}
