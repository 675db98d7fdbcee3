import Testing
import WickCore
import WickRisk

@testable import WickSim

/// Resting limit and post-only entries in the simulated venue: what fills, at what price, with
/// which fee, and how the risk rules see an order that has not filled.
@Suite struct LimitOrderTests {
  /// A flat candle at 100 to decide on, then `later`.
  static func series(_ later: [Candle]) -> [Candle] { [bar(0, 100, 100.5, 99.5, 100)] + later }

  /// Places `intent` (symbol 0) while handling candle 0 and returns the host's answer with the
  /// run's result.
  static func run(
    _ later: [Candle],
    fills: FillModel = FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
    intent: OrderIntent, onLater: ((Int, StrategyHost) -> Void)? = nil
  ) throws -> (outcome: IntentOutcome?, result: BacktestResult) {
    var outcome: IntentOutcome? = nil
    var i = 0
    let s = ScriptedStrategy { _, _, host in
      if i == 0 { outcome = host.enter(intent) } else { onLater?(i, host) }
      i += 1
    }
    let r = try backtest(series(later), fills: fills, strategy: s)
    return (outcome, r)
  }

  static let buy99 = OrderIntent(symbol: 0, side: .long, stop: 95, limit: 99)

  @Test func aLimitOnlyTouchedDoesNotFill() throws {
    let (outcome, r) = try Self.run(
      [bar(1, 100, 101, 99, 100), bar(2, 100.5, 101, 99, 99.5)], intent: Self.buy99)
    guard case .accepted = outcome else {
      Issue.record("refused: \(String(describing: outcome))")
      return
    }
    #expect(r.trades.isEmpty)
    #expect(r.limitOrders.placed == 1)
    #expect(r.limitOrders.filled == 0)
  }

  @Test func aLimitTradedThroughFillsAtItsPrice() throws {
    let (_, r) = try Self.run(
      [bar(1, 100, 101, 98.9, 100), bar(2, 100, 101, 99.5, 100)], intent: Self.buy99)
    #expect(r.trades.count == 1)
    let t = try #require(r.trades.first)
    #expect(t.entryPrice == 99)
    #expect(t.entryTime == bar(1, 0, 0, 0, 0).time)
    #expect(t.entryType == .limit)
    #expect(r.limitOrders.filled == 1)
    // Sized at the limit price: 1% of 10 000 over the 4-point stop distance.
    #expect(abs(t.qty - 25) < 1e-9)
  }

  @Test func aSellLimitFillsOnlyAboveItsPrice() throws {
    let sell = OrderIntent(symbol: 0, side: .short, stop: 105, limit: 101)
    let touched = try Self.run([bar(1, 100, 101, 99.5, 100)], intent: sell).result
    #expect(touched.trades.isEmpty)
    let through = try Self.run([bar(1, 100, 101.2, 99.5, 100)], intent: sell).result
    #expect(through.trades.first?.entryPrice == 101)
  }

  @Test func aGapBeyondTheLimitFillsAtTheOpenExceptPostOnly() throws {
    let gap = [bar(1, 97, 98, 96, 97.5)]
    let plain = try Self.run(gap, intent: Self.buy99).result
    #expect(plain.trades.first?.entryPrice == 97)
    var postOnly = Self.buy99
    postOnly.postOnly = true
    let maker = try Self.run(gap, intent: postOnly).result
    #expect(maker.trades.first?.entryPrice == 99)
    #expect(maker.trades.first?.entryType == .limit)
  }

  @Test func aPostOnlyThatWouldCrossIsRefused() throws {
    let crossing = OrderIntent(symbol: 0, side: .long, stop: 95, limit: 100, postOnly: true)
    let (outcome, r) = try Self.run([bar(1, 100, 101, 98, 100)], intent: crossing)
    guard case .refused(let refusal) = outcome else {
      Issue.record("accepted a crossing post-only order")
      return
    }
    #expect(refusal.code == "post_only_would_cross")
    #expect(r.refusals["post_only_would_cross"] == 1)
    #expect(r.trades.isEmpty)
    #expect(r.limitOrders.placed == 0)
    // The same price without post_only is a marketable limit: accepted.
    var plain = crossing
    plain.postOnly = false
    guard case .accepted = try Self.run([], intent: plain).outcome else {
      Issue.record("a plain limit at the market was refused")
      return
    }
  }

  @Test func aLimitExpiresAfterItsCandles() throws {
    var intent = Self.buy99
    intent.expire = 2
    let quiet = bar(1, 100, 101, 99.5, 100)
    let later = [quiet, bar(2, 100, 101, 99.5, 100), bar(3, 100, 101, 98, 100)]
    let expired = try Self.run(later, intent: intent).result
    #expect(expired.trades.isEmpty)
    #expect(expired.limitOrders.expired == 1)
    intent.expire = 3  // the third candle after placement is still within its life
    let filled = try Self.run(later, intent: intent).result
    #expect(filled.trades.count == 1)
    #expect(filled.limitOrders.expired == 0)
  }

  @Test func cancelRemovesTheRestingOrder() throws {
    var listed: [RestingOrder] = []
    var cancelled = false
    var after: [RestingOrder] = []
    let (_, r) = try Self.run(
      [bar(1, 100, 101, 99.5, 100), bar(2, 100, 101, 98, 100)], intent: Self.buy99
    ) { i, host in
      guard i == 1 else { return }
      listed = host.orders(symbol: 0)
      cancelled = host.cancel(symbol: 0)
      after = host.orders(symbol: 0)
    }
    #expect(listed.count == 1)
    #expect(listed.first?.price == 99)
    #expect(listed.first?.side == .long)
    #expect(cancelled)
    #expect(after.isEmpty)
    #expect(r.trades.isEmpty)
    #expect(r.limitOrders.cancelled == 1)
  }

  @Test func limitFillsPayTheMakerFee() throws {
    let fills = FillModel(takerFeeBps: 5.5, makerFeeBps: 2, spreadBps: 0, slippageBps: 0)
    let (_, r) = try Self.run(
      [bar(1, 100, 101, 98.9, 100), bar(2, 100, 101, 99.5, 102)], fills: fills, intent: Self.buy99)
    let t = try #require(r.trades.first)
    let maker = 99 * t.qty * 2 / 10_000
    let taker = 102 * t.qty * 5.5 / 10_000  // the end-of-data close is a market fill
    #expect(abs(r.limitOrders.makerFees - maker) < 1e-9)
    #expect(abs(t.fees - (maker + taker)) < 1e-9)
    #expect(abs(t.pnl - ((102 - 99) * t.qty - maker - taker)) < 1e-9)
  }

  @Test func theStopGoesOnAtTheFill() throws {
    // Filled at 99 inside candle 1, whose low reaches the stop at 95: stopped in that candle.
    let (_, r) = try Self.run([bar(1, 100, 101, 94, 96)], intent: Self.buy99)
    let t = try #require(r.trades.first)
    #expect(t.entryPrice == 99)
    #expect(t.exitReason == .stop)
    #expect(t.exitPrice == 95)
  }

  @Test func aSecondEntryWhileALimitRestsIsRefused() throws {
    var second: IntentOutcome? = nil
    _ = try Self.run([bar(1, 100, 101, 99.5, 100)], intent: Self.buy99) { i, host in
      if i == 1 { second = host.enter(OrderIntent(symbol: 0, side: .long, stop: 95)) }
    }
    guard case .refused(let r) = second else {
      Issue.record("accepted")
      return
    }
    #expect(r.code == "entry_pending")
  }

  @Test func riskCountsARestingOrderAsIfFilled() throws {
    var config = WickConfig()
    config.governor.maxConcurrentPositions = 1
    config.governor.cooldownMinutes = 0
    let risk = RiskEngine(
      config: config, strategy: "t", symbols: ["A", "B"], initialEquity: 10_000)
    var answers: [IntentOutcome] = []
    let s = ScriptedStrategy { symbol, c, host in
      guard c.time == t0 else { return }
      if symbol == 0 {
        answers.append(host.enter(OrderIntent(symbol: 0, side: .long, stop: 95, limit: 99)))
      } else {
        answers.append(host.enter(OrderIntent(symbol: 1, side: .long, stop: 95)))
      }
    }
    let flat = (0..<3).map { bar($0, 100, 100.5, 99.5, 100) }
    _ = try backtest(symbols: ["A", "B"], series: [flat, flat], risk: risk, strategy: s)
    #expect(answers.count == 2)
    guard case .accepted = answers[0], case .refused(let r) = answers[1] else {
      Issue.record("expected the resting order to hold the only position slot: \(answers)")
      return
    }
    #expect(r.code == "max_positions")
  }

  @Test func netExposureCountsTheRestingNotional() throws {
    var config = WickConfig()
    config.governor.maxNetExposurePct = 0.6
    config.governor.cooldownMinutes = 0
    config.risk.riskPerTrade = 0.05
    config.risk.maxRiskPerTrade = 0.05
    let risk = RiskEngine(
      config: config, strategy: "t", symbols: ["A", "B"], initialEquity: 10_000)
    var answers: [IntentOutcome] = []
    let s = ScriptedStrategy { symbol, c, host in
      guard c.time == t0 else { return }
      // Each alone is ~4 000 of notional (5% of its account's 5 000 over a ~6-point stop): the
      // second takes the net over 60% of equity only if the resting first one counts.
      answers.append(
        host.enter(
          OrderIntent(symbol: symbol, side: .long, stop: 93.75, limit: symbol == 0 ? 99.9 : nil)))
    }
    let flat = (0..<3).map { bar($0, 100, 100.5, 99.95, 100) }
    _ = try backtest(symbols: ["A", "B"], series: [flat, flat], risk: risk, strategy: s)
    guard answers.count == 2, case .accepted = answers[0], case .refused(let r) = answers[1] else {
      Issue.record("expected a net exposure refusal: \(answers)")
      return
    }
    #expect(r.code == "net_exposure_cap")
  }

  /// The per-candle path with nothing resting costs one integer compare: market-only runs give
  /// the same trades as before this feature (no limit stats, `entry_type` market).
  @Test func marketEntriesAreMarked() throws {
    let (_, r) = try Self.run(
      [bar(1, 100, 101, 99.5, 100)], intent: OrderIntent(symbol: 0, side: .long, stop: 95))
    #expect(r.trades.first?.entryType == .market)
    #expect(r.trades.first?.position == 1)
    #expect(r.limitOrders == LimitOrderStats())
  }
}
