import Testing
import WickCore
import WickRisk

@testable import WickSim

/// Isolated margin, liquidation, funding and venue rejects.
@Suite struct MarginTests {
  func run(
    _ candles: [Candle], symbol: String = "BTCUSDT", funding: FundingModel? = nil,
    rejects: Double = 0, seed: UInt64 = 1,
    strategy: Strategy
  ) throws -> BacktestResult {
    let config = BacktestConfig(
      initialEquity: 10_000,
      fills: FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
      strategyName: "t", timeframe: .oneMinute, funding: funding, rejectProbability: rejects,
      rejectSeed: seed)
    let engine = BacktestEngine(
      config: config, symbols: [symbol], strategy: strategy, risk: FixedFractionSizer(leverage: 3))
    return try engine.run(
      source: MergedCandleSource(symbols: [symbol], cursors: [ArrayCandleCursor(candles)]))
  }

  func longOnFirstCandle(stop: Double) -> ScriptedStrategy {
    ScriptedStrategy { _, c, host in
      if c.time == t0 { host.enter(OrderIntent(symbol: 0, side: .long, stop: stop)) }
    }
  }

  @Test func liquidationPriceFollowsTheTierRate() {
    let m = MarginModel()
    #expect(m.maintenanceRate(symbol: "BTCUSDT", value: 1_000) == 0.005)
    #expect(m.maintenanceRate(symbol: "BTCUSDT", value: 3_000_000) == 0.01)
    #expect(m.maintenanceRate(symbol: "DOGEUSDT", value: 1_000) == 0.01)
    #expect(
      abs(
        m.liquidationPrice(symbol: "BTCUSDT", side: .long, entry: 100, qty: 1, leverage: 3) - 100
          * (1 - 1.0 / 3 + 0.005)) < 1e-12)
    #expect(
      abs(
        m.liquidationPrice(symbol: "BTCUSDT", side: .short, entry: 100, qty: 1, leverage: 3) - 100
          * (1 + 1.0 / 3 - 0.005)) < 1e-12)
  }

  /// A stop beyond the liquidation price never fills: the position is liquidated first and
  /// loses its margin at the bankruptcy price.
  @Test func liquidationComesBeforeAStopBeyondIt() throws {
    let candles = [bar(0, 100, 101, 99, 100), bar(1, 100, 100, 99, 100), bar(2, 99, 99, 60, 62)]
    let r = try run(candles, strategy: longOnFirstCandle(stop: 50))
    let t = try #require(r.trades.first)
    #expect(t.exitReason == .liquidation)
    #expect(abs(t.exitPrice - 100 * (1 - 1.0 / 3)) < 1e-9)
    #expect(abs(t.pnl - -(t.qty * 100 / 3)) < 1e-6)  // the whole initial margin
  }

  @Test func aStopInsideTheLiquidationPriceProtects() throws {
    let candles = [bar(0, 100, 101, 99, 100), bar(1, 100, 100, 99, 100), bar(2, 99, 99, 60, 62)]
    let r = try run(candles, strategy: longOnFirstCandle(stop: 80))
    #expect(r.trades.first?.exitReason == .stop)
    #expect(r.trades.first?.exitPrice == 80)
  }

  /// Positive funding: longs pay, shorts receive; charged at 00/08/16 UTC on open positions.
  @Test(arguments: [Side.long, Side.short])
  func fundingSign(side: Side) throws {
    // 16 hours of 1m candles from 23:00 UTC: funding at 00:00 and 08:00 while the position is open.
    let start = t0 - 3_600_000
    let candles = (0..<(16 * 60)).map { i in
      Candle(
        time: start + Int64(i) * 60_000, open: 100, high: 100.5, low: 99.5, close: 100, volume: 1)
    }
    let s = ScriptedStrategy { _, c, host in
      if c.time == start {
        host.enter(OrderIntent(symbol: 0, side: side, stop: side == .long ? 50 : 150))
      }
    }
    let r = try run(candles, funding: FundingModel(rates: [], constant: 0.0001), strategy: s)
    let t = try #require(r.trades.first)
    let expected = 2 * 0.0001 * t.qty * 100 * (side == .long ? -1 : 1)
    #expect(abs(t.funding - expected) < 1e-9)
    #expect(abs(t.pnl - expected) < 1e-9)  // flat prices, no fees: funding is the whole pnl
    #expect(abs(r.finalEquity - (10_000 + expected)) < 1e-9)
  }

  @Test func storedFundingRatesWinOverTheConstant() throws {
    let start = t0 - 60_000
    let candles = (0..<5).map {
      Candle(
        time: start + Int64($0) * 60_000, open: 100, high: 100, low: 100, close: 100, volume: 1)
    }
    let s = ScriptedStrategy { _, c, host in
      if c.time == start { host.enter(OrderIntent(symbol: 0, side: .short, stop: 150)) }
    }
    // Entry fills at t0 (00:00), so the 00:00 funding does not apply to it; nothing else in range.
    let r = try run(
      candles, funding: FundingModel(rates: [[FundingRate(time: t0, rate: -0.01)]], constant: 0.5),
      strategy: s)
    #expect(r.trades.first?.funding == 0)
  }

  @Test func randomRejectsAreSeeded() throws {
    let candles = (0..<400).map { bar($0, 100, 101, 99, 100) }
    let s = {
      ScriptedStrategy { _, c, host in
        if let p = host.position(symbol: 0) {
          if c.time - p.openedAt >= 120_000 { host.exit(symbol: 0, reason: nil) }
        } else {
          host.enter(OrderIntent(symbol: 0, side: .long, stop: 90))
        }
      }
    }
    let a = try run(candles, rejects: 0.3, seed: 9, strategy: s())
    let b = try run(candles, rejects: 0.3, seed: 9, strategy: s())
    let c = try run(candles, rejects: 0.3, seed: 10, strategy: s())
    #expect((a.refusals["random_reject"] ?? 0) > 10)
    #expect(a.trades == b.trades && a.refusals == b.refusals)
    #expect(a.trades != c.trades)
  }

  @Test func sizeShrinksToTheAvailableBalance() throws {
    let candles = (0..<3).map { bar($0, 100, 101, 99, 100) }
    let config = BacktestConfig(
      initialEquity: 10_000,
      fills: FillModel(takerFeeBps: 10, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
      strategyName: "t", timeframe: .oneMinute)
    let s = ScriptedStrategy { _, c, host in
      if c.time == t0 { host.enter(OrderIntent(symbol: 0, side: .long, stop: 99.999)) }  // asks for 3x equity
    }
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: s, risk: FixedFractionSizer(leverage: 3))
    let r = try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
    let t = try #require(r.trades.first)
    let margin = t.qty * t.entryPrice / 3
    #expect(margin + t.qty * t.entryPrice * 0.001 <= 10_000 + 1e-6)
    #expect(t.qty > 290)
  }
}
