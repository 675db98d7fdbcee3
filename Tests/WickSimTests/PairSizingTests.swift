import Testing
import WickCore
import WickRisk

@testable import WickSim

/// `ctx:enter_pair` is sized and validated like a single entry (the same kernel serves backtest,
/// paper and live): legs rounded down to the lot step, refused below the minimums, the script's
/// risk held to the configured range; a pair is one position toward the portfolio cap.
@Suite struct PairSizingTests {
  /// Every symbol flat at its price for `n` one-minute candles.
  func flat(_ prices: [Double], n: Int = 6) -> [[Candle]] {
    prices.map { p in (0..<n).map { bar($0, p, p, p, p) } }
  }

  /// What the strategy saw: each decision's outcome, and the legs' quantities on the last candle.
  final class Seen {
    var outcomes: [IntentOutcome] = []
    var qty: [Double?] = []
  }

  /// Runs `decide` once per candle time (after the last symbol's candle) with the candle index.
  func run(
    prices: [Double], risk: RiskGate, _ decide: @escaping (Int, StrategyHost, Seen) -> Void
  ) throws -> (BacktestResult, Seen) {
    let seen = Seen()
    let symbols = prices.indices.map { "S\($0)" }
    let last = symbols.count - 1
    let strategy = ScriptedStrategy { symbol, candle, host in
      guard symbol == last else { return }
      let i = Int((candle.time - t0) / 60_000)
      decide(i, host, seen)
      if i == 5 { seen.qty = symbols.indices.map { host.position(symbol: $0)?.qty } }
    }
    let r = try backtest(symbols: symbols, series: flat(prices), risk: risk, strategy: strategy)
    return (r, seen)
  }

  func engine(_ symbols: Int, _ edit: (inout WickConfig) -> Void) -> RiskEngine {
    var c = WickConfig()
    edit(&c)
    return RiskEngine(
      config: c, strategy: "t", symbols: (0..<symbols).map { "S\($0)" }, initialEquity: 10_000)
  }

  /// 1 % of 10 000 over a spread move of 2 z × 3 per unit: 16.67 units of the long leg.
  static let pair = PairIntent(
    long: 0, short: 1, hedge: 1.37, entryZ: -2, stopZ: -4, spreadStd: 3, risk: 0.01)

  func close(_ a: Double?, _ b: Double) -> Bool { a.map { abs($0 - b) < 1e-9 } ?? false }

  @Test func pairLegsAreRoundedDownToTheirLotSteps() throws {
    let gate = engine(2) {
      $0.instruments["S0"] = InstrumentSpec(lotStep: 0.1)
      $0.instruments["S1"] = InstrumentSpec(lotStep: 0.01)
    }
    let (r, seen) = try run(prices: [100, 50], risk: gate) { i, host, seen in
      if i == 1 { seen.outcomes.append(host.enterPair(Self.pair)) }
    }
    #expect(r.error == nil)
    guard case .accepted(let qty) = seen.outcomes.first else {
      Issue.record("refused: \(seen.outcomes)")
      return
    }
    // 16.67 → 16.6 on the long leg's 0.1 step; the short leg is 1.37 × 16.6 = 22.742 → 22.74.
    #expect(close(qty, 16.6))
    #expect(close(seen.qty[0], 16.6))
    #expect(close(seen.qty[1], 22.74))
  }

  @Test func aLegBelowTheMinimumsRefusesThePairWithTheLegNamed() throws {
    let gate = engine(2) {
      $0.instruments["S0"] = InstrumentSpec(lotStep: 0.1)
      $0.instruments["S1"] = InstrumentSpec(lotStep: 0.01, minNotional: 5_000)
    }
    let (r, seen) = try run(prices: [100, 50], risk: gate) { i, host, seen in
      if i == 1 { seen.outcomes.append(host.enterPair(Self.pair)) }
    }
    guard case .refused(let refusal) = seen.outcomes.first else {
      Issue.record("accepted: \(seen.outcomes)")
      return
    }
    #expect(refusal.code == "below_min_notional")
    #expect(refusal.detail.hasPrefix("S1 leg: notional "), "\(refusal)")
    #expect(refusal.detail.hasSuffix("is below the minimum 5000"), "\(refusal)")
    #expect(r.refusals["below_min_notional"] == 1)
    // Neither leg opened.
    #expect(r.trades.isEmpty)
    #expect(seen.qty == [nil, nil])

    let small = engine(2) { $0.instruments["S0"] = InstrumentSpec(lotStep: 1, minQty: 20) }
    let (_, again) = try run(prices: [100, 50], risk: small) { i, host, seen in
      if i == 1 { seen.outcomes.append(host.enterPair(Self.pair)) }
    }
    #expect(
      again.outcomes.first
        == .refused(Refusal("below_min_qty", "S0 leg: size 16 is below the minimum quantity 20")))
    #expect(again.qty == [nil, nil])
  }

  @Test func aPairsRiskIsHeldToTheRangeOfSingleEntries() throws {
    var greedy = Self.pair
    greedy.risk = 0.2
    for gate in [engine(2) { _ in }, FixedFractionSizer(riskPerTrade: 0.01, leverage: 3)]
      as [RiskGate]
    {
      let (r, seen) = try run(prices: [100, 50], risk: gate) { i, host, seen in
        if i == 1 { seen.outcomes.append(host.enterPair(greedy)) }
      }
      guard case .refused(let refusal) = seen.outcomes.first else {
        Issue.record("accepted: \(seen.outcomes)")
        continue
      }
      #expect(refusal.code == "risk_out_of_range")
      #expect(r.trades.isEmpty)
    }
    // Without `risk`, a pair risks risk_per_trade as a single entry does: 0.5 % → 8.33 units.
    var plain = Self.pair
    plain.risk = nil
    let gate = engine(2) { $0.risk.riskPerTrade = 0.005 }
    let (_, seen) = try run(prices: [100, 50], risk: gate) { i, host, seen in
      if i == 1 { seen.outcomes.append(host.enterPair(plain)) }
    }
    #expect(seen.outcomes.first.map { close($0.acceptedQty, 10_000 * 0.005 / 6) } == true)
  }

  /// Seed 002: "Maximum 5 concurrent positions" of pairs. With a cap of 2, two pairs (four legs)
  /// are open at once, pending or filled; a third pair and a single entry are refused.
  @Test func aPairIsOnePositionTowardTheCap() throws {
    let gate = engine(6) { $0.governor.maxConcurrentPositions = 2 }
    let pairs = [(0, 1), (2, 3), (4, 5)].map {
      PairIntent(
        long: $0.0, short: $0.1, hedge: 1, entryZ: -2, stopZ: -4, spreadStd: 3, risk: 0.01)
    }
    let (r, seen) = try run(prices: [100, 50, 100, 50, 100, 50], risk: gate) { i, host, seen in
      if i == 1 { seen.outcomes += pairs.map { host.enterPair($0) } }
      if i == 3 {
        seen.outcomes.append(host.enterPair(pairs[2]))
        seen.outcomes.append(
          host.enter(OrderIntent(symbol: 4, side: .long, stop: 90, tag: "single")))
      }
    }
    #expect(r.error == nil)
    #expect(seen.outcomes.map { $0.acceptedQty != nil } == [true, true, false, false, false])
    for case .refused(let refusal) in seen.outcomes {
      #expect(refusal.code == "max_positions")
    }
    #expect(
      seen.outcomes.last
        == .refused(
          Refusal("max_positions", "4 positions open and 0 pending, 2 pairs counted once (limit 2)")
        ))
    #expect(seen.qty.map { $0 != nil } == [true, true, true, true, false, false])
  }
}

extension IntentOutcome {
  var acceptedQty: Double? {
    if case .accepted(let q) = self { return q }
    return nil
  }
}
