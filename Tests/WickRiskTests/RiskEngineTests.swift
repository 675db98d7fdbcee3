import Testing
import WickCore

@testable import WickRisk

/// A book the tests set by hand.
final class FakePortfolio: PortfolioView {
  let symbols: [String]
  var positions: [Int: Position] = [:]
  var prices: [Double]
  var cash: Double
  var pendingEntries = 0
  init(
    symbols: [String] = ["BTCUSDT", "ETHUSDT"], prices: [Double] = [100, 50], cash: Double = 10_000
  ) {
    self.symbols = symbols
    self.prices = prices
    self.cash = cash
  }
  func position(symbol: Int) -> Position? { positions[symbol] }
  func lastPrice(symbol: Int) -> Double { prices[symbol] }
  func equity() -> Double {
    cash + positions.map { $0.value.unrealized(at: prices[$0.key]) }.reduce(0, +)
  }
  func marginInUse() -> Double { 0 }
}

let day: Int64 = 86_400_000
let t0: Int64 = 1_704_067_200_000  // 2024-01-01T00:00Z

func position(_ symbol: Int, _ side: Side, qty: Double, entry: Double) -> Position {
  Position(
    symbol: symbol, side: side, qty: qty, entry: entry, stop: nil, take: nil, trail: nil,
    openedAt: t0, initialRisk: 0,
    entryFees: 0, entrySpread: 0, entrySlippage: 0)
}

func trade(pnl: Double) -> Trade {
  Trade(
    symbol: "BTCUSDT", side: .long, entryTime: t0, entryPrice: 100, exitTime: t0, exitPrice: 100,
    qty: 1, fees: 0,
    spreadCost: 0, slippageCost: 0, pnl: pnl, r: nil, exitReason: .stop)
}

func engine(_ configure: (inout WickConfig) -> Void = { _ in }) -> RiskEngine {
  var c = WickConfig()
  configure(&c)
  return RiskEngine(
    config: c, strategy: "s", symbols: ["BTCUSDT", "ETHUSDT"], initialEquity: 10_000)
}

func review(
  _ e: RiskEngine, _ p: FakePortfolio, symbol: Int = 0, side: Side = .long, stop: Double? = 90,
  time: Int64 = t0
)
  -> IntentOutcome
{
  _ = e.advance(to: time, portfolio: p)
  let price = p.prices[symbol]
  let s = stop.map { side == .long ? $0 * price / 100 : price * 2 - $0 * price / 100 }
  return e.review(
    RiskRequest(
      intent: OrderIntent(symbol: symbol, side: side, stop: s), referencePrice: price, time: time),
    portfolio: p)
}

func code(_ o: IntentOutcome) -> String? { if case .refused(let r) = o { r.code } else { nil } }
func qty(_ o: IntentOutcome) -> Double? { if case .accepted(let q) = o { q } else { nil } }

@Suite struct RiskEngineTests {
  @Test func intentsWithoutAStopAreRefused() {
    let e = engine()
    #expect(code(review(e, FakePortfolio(), stop: nil)) == "missing_stop")
    let lax = engine {
      $0.risk.requireStop = false
      $0.governor.maxNetExposurePct = 10
    }
    #expect(qty(review(lax, FakePortfolio(), stop: nil)) != nil)
    #expect(e.events.last?.kind == .refusal)
  }

  @Test func sizeUsesTheAccountAllocationAndRisk() {
    // Two symbols share 10,000: 5,000 each. 1% of 5,000 over a 10-point stop = 5 units.
    #expect(qty(review(engine(), FakePortfolio())) == 5)
  }

  @Test func lossStreakDecayAndRecovery() {
    let e = engine()
    let p = FakePortfolio()
    e.recordClose(trade(pnl: -10), symbol: 0, time: t0, portfolio: p)
    #expect(abs(qty(review(e, p))! - 5 * 1.0) < 0.1)  // one loss: no decay yet (allocation shrank by 10)
    e.recordClose(trade(pnl: -10), symbol: 0, time: t0, portfolio: p)
    #expect(abs(qty(review(e, p))! - 0.5 * 4980 * 0.01 / 10) < 1e-9)
    e.recordClose(trade(pnl: -10), symbol: 0, time: t0, portfolio: p)
    e.recordClose(trade(pnl: -10), symbol: 0, time: t0, portfolio: p)
    #expect(abs(qty(review(e, p))! - 0.25 * 4960 * 0.01 / 10) < 1e-9)
    e.recordClose(trade(pnl: 5), symbol: 0, time: t0, portfolio: p)
    #expect(abs(qty(review(e, p))! - 4965 * 0.01 / 10) < 1e-9)
    let decays = e.statePoints.map(\.decayFactor).reduce(into: [Double]()) {
      if $0.last != $1 { $0.append($1) }
    }
    #expect(decays == [1, 0.5, 0.25, 1])
  }

  @Test func dailyLossResetsExactlyAtTheUTCBoundary() {
    let e = engine { $0.risk.maxDailyLoss = 50 }
    let p = FakePortfolio()
    _ = e.advance(to: t0 + 10 * 3_600_000, portfolio: p)
    e.recordClose(trade(pnl: -60), symbol: 0, time: t0 + 10 * 3_600_000, portfolio: p)
    #expect(code(review(e, p, time: t0 + day - 60_000)) == "daily_loss_limit")  // 23:59 still today
    #expect(qty(review(e, p, time: t0 + day)) != nil)  // 00:00 next day: reset
  }

  @Test func dailyResetHonoursTheConfiguredHour() {
    let e = engine {
      $0.risk.maxDailyLoss = 50
      $0.risk.dailyResetHourUTC = 8
    }
    let p = FakePortfolio()
    _ = e.advance(to: t0 + 9 * 3_600_000, portfolio: p)
    e.recordClose(trade(pnl: -60), symbol: 0, time: t0 + 9 * 3_600_000, portfolio: p)
    #expect(code(review(e, p, time: t0 + day)) == "daily_loss_limit")  // midnight is not the reset
    #expect(qty(review(e, p, time: t0 + day + 8 * 3_600_000)) != nil)
  }

  @Test func maxTradesPerDay() {
    let e = engine { $0.risk.maxTradesPerDay = 2 }
    let p = FakePortfolio()
    for _ in 0..<2 { e.recordOpen(position(0, .long, qty: 1, entry: 100), time: t0) }
    #expect(code(review(e, p)) == "max_trades_per_day")
    #expect(qty(review(e, p, time: t0 + day)) != nil)
  }

  /// `flatten_on_daily_loss`: the loss is marked and counted from the daily reset, so a
  /// position carried over from yesterday brings only today's move into today's limit.
  @Test func dailyLossFlattenCountsTodaysMarkedLossOnly() {
    let e = engine {
      $0.risk.maxDailyLoss = 50
      $0.risk.flattenOnDailyLoss = true
    }
    let p = FakePortfolio()
    p.positions[0] = position(0, .long, qty: 10, entry: 100)
    p.prices[0] = 97  // −30 on day 1
    #expect(e.advance(to: t0, portfolio: p).isEmpty)
    #expect(e.advance(to: t0 + day, portfolio: p).isEmpty)  // the reset marks 4 970
    p.prices[0] = 93  // −70 since entry, −40 today
    #expect(e.advance(to: t0 + day + 60_000, portfolio: p).isEmpty)
    p.prices[0] = 91.9  // −51 today
    let flatten = e.advance(to: t0 + day + 120_000, portfolio: p)
    #expect(flatten.map(\.symbol) == [0])
    #expect(flatten.first?.reason.hasPrefix("daily loss limit: s:BTCUSDT lost 5") == true)
    #expect(e.advance(to: t0 + day + 180_000, portfolio: p).isEmpty)  // once a day
    #expect(e.events.filter { $0.kind == .dailyLoss }.count == 1)
    p.positions[0] = nil
    p.cash -= 81
    guard case .refused(let r) = review(e, p, time: t0 + day + 240_000) else {
      Issue.record("an entry was accepted after the daily flatten")
      return
    }
    #expect(r.code == "daily_loss_limit" && r.detail.contains("entries resume at the daily reset"))
    #expect(qty(review(e, p, time: t0 + 2 * day)) != nil)
  }

  @Test func killSwitchAtThirtyPercentDrawdownFlattensAndStays() {
    let e = engine()
    let p = FakePortfolio()
    p.positions[0] = position(0, .long, qty: 100, entry: 100)
    p.prices[0] = 85.1  // account equity 5,000 − 1,490 = 3,510: 29.8% down
    #expect(e.advance(to: t0, portfolio: p).isEmpty)
    p.prices[0] = 84.9  // 30.2% down
    let flatten = e.advance(to: t0 + 60_000, portfolio: p)
    #expect(flatten.map(\.symbol) == [0])
    #expect(e.accounts[0].killed)
    p.positions[0] = nil
    p.prices[0] = 100
    #expect(code(review(e, p, time: t0 + 10 * day)) == "account_killed")
    #expect(e.events.contains { $0.kind == .kill })
    e.resetAccount(symbol: 0, portfolio: p)
    #expect(qty(review(e, p, time: t0 + 11 * day)) != nil)
  }

  @Test func oneAccountPerSymbolAndNoOpposingExposure() {
    var g = Governor(config: GovernorConfig())
    let p = FakePortfolio()
    g.claim(symbol: "BTCUSDT", account: "other")
    #expect(
      g.refusal(
        account: "mine", symbol: "BTCUSDT", side: .long, notional: 100, time: t0, portfolio: p)?
        .code == "symbol_owned")
    g.release(symbol: "BTCUSDT")
    p.positions[0] = position(0, .short, qty: 1, entry: 100)
    #expect(
      g.refusal(
        account: "mine", symbol: "BTCUSDT", side: .long, notional: 100, time: t0, portfolio: p)?
        .code == "opposing_exposure")
    #expect(
      g.refusal(
        account: "mine", symbol: "BTCUSDT", side: .short, notional: 100, time: t0, portfolio: p)
        == nil)
  }

  @Test func netExposureCapAndCooldown() {
    let e = engine {
      $0.governor.maxNetExposurePct = 0.42
      $0.governor.cooldownMinutes = 30
    }
    let p = FakePortfolio()
    p.positions[1] = position(1, .long, qty: 80, entry: 50)  // 4,000 long
    // A long of 5 BTC (500) would take net exposure to 4,500 > 42% of 10,000.
    #expect(code(review(e, p)) == "net_exposure_cap")
    // Breach: even a trade that reduces exposure waits for the cooldown.
    #expect(code(review(e, p, side: .short, time: t0 + 10 * 60_000)) == "cooldown")
    #expect(qty(review(e, p, side: .short, time: t0 + 31 * 60_000)) != nil)
  }

  @Test func maxConcurrentPositions() {
    let e = engine { $0.governor.maxConcurrentPositions = 1 }
    let p = FakePortfolio()
    p.positions[1] = position(1, .long, qty: 1, entry: 50)
    #expect(code(review(e, p)) == "max_positions")
  }

  @Test func leverageIsCappedAtTheMaximum() {
    let e = engine {
      $0.risk.defaultLeverage = 10
      $0.risk.maxLeverage = 5
      $0.governor.maxNetExposurePct = 10
    }
    #expect(e.leverage == 5)
    // A tight stop would size far beyond the cap: 5x of the 5,000 allocation at 100 = 250.
    #expect(qty(review(e, FakePortfolio(), stop: 99.99)) == 250)
  }

  @Test func lotStepMinQtyAndMinNotional() throws {
    let c = SizeCalculator(
      leverage: 3, instrument: InstrumentSpec(lotStep: 0.01, minQty: 0.05, minNotional: 10))
    #expect(try c.size(equity: 1_000, risk: 0.01, decay: 1, entry: 100, stop: 97).get() == 3.33)
    #expect(
      c.size(equity: 1, risk: 0.01, decay: 1, entry: 100, stop: 97)
        == .failure(Refusal("zero_size", "the size rounds to zero")))
    if case .failure(let r) = c.size(equity: 10, risk: 0.01, decay: 1, entry: 100, stop: 97) {
      #expect(r.code == "below_min_qty")
    } else {
      Issue.record("expected below_min_qty")
    }
    if case .failure(let r) = c.size(equity: 300, risk: 0.01, decay: 1, entry: 100, stop: 50) {
      #expect(r.code == "below_min_notional")
    } else {
      Issue.record("expected below_min_notional")
    }
  }

  @Test func tinyAccountCapsAndTheEmergencyStop() {
    let e = engine {
      $0.caps.maxPositionValue = 0.5
      $0.caps.maxDailyLoss = 5
      $0.caps.maxTotalLoss = 10
    }
    let p = FakePortfolio()
    #expect(abs(qty(review(e, p))! * 100 - 0.5) < 1e-12)  // capped at $0.50 of value
    p.cash = 10_000 - 6
    #expect(code(review(e, p)) == "daily_loss_cap")
    p.cash = 10_000 - 4
    p.positions[0] = position(0, .long, qty: 1, entry: 100)
    p.positions[1] = position(1, .short, qty: 1, entry: 50)
    p.prices = [94, 50]  // total loss 10: emergency stop
    let flatten = e.advance(to: t0 + day, portfolio: p)
    #expect(Set(flatten.map(\.symbol)) == [0, 1])
    #expect(e.halted)
    p.positions = [:]
    #expect(code(review(e, p, time: t0 + 5 * day)) == "emergency_stop")
    #expect(e.events.contains { $0.kind == .emergency })
  }
}
