import Testing
import WickCore
import WickRisk

@testable import WickSim

/// `[schedule] eval_every` in the kernel: decisions only on the grid, everything else every candle.
@Suite struct ScheduleKernelTests {
  let quarter = try! Timeframe(parsing: "15m")

  func run(_ candles: [Candle], grid: Timeframe?, strategy: Strategy) throws -> BacktestResult {
    let config = {
      var c = BacktestConfig(
        initialEquity: 10_000,
        fills: FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
        strategyName: "t", timeframe: .oneMinute, historyDepth: 60)
      c.decisionGrid = grid
      return c
    }()
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy,
      risk: FixedFractionSizer(riskPerTrade: 0.01, leverage: 3))
    return try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
  }

  @Test func theStrategyDecidesOnlyOnCandlesClosingOnTheGridButSeesEveryCandle() throws {
    // A steady climb: the strategy asks to enter on every candle it is flat on, and exits after
    // three candles in the trade.
    let candles = (0..<120).map {
      bar($0, 100 + Double($0), 101 + Double($0), 99 + Double($0), 100.5 + Double($0))
    }
    var decidedAt: [Int64] = []
    var histories: [Int] = []
    let s = ScriptedStrategy { sym, c, host in
      histories.append(host.history(symbol: sym, count: 60).count)
      if let p = host.position(symbol: sym) {
        if c.time - p.openedAt >= 180_000 { host.exit(symbol: sym, reason: "held") }
      } else if case .accepted = host.enter(
        OrderIntent(symbol: sym, side: .long, stop: c.close * 0.5))
      {
        decidedAt.append(c.time)
      }
    }
    let r = try run(candles, grid: quarter, strategy: s)
    #expect(s.seen.count == 120)  // every candle reached the strategy
    #expect(histories.last == 60)  // and its history: 60 one-minute candles
    #expect(decidedAt.count >= 3)
    // Entries were accepted only on candles closing at :00, :15, :30, :45.
    #expect(decidedAt.allSatisfy { ($0 + 60_000) % 900_000 == 0 }, "\(decidedAt.map(UTCTime.iso))")
    // Exits asked off the grid were refused too: each trade ends on a candle closing on it.
    #expect(
      r.trades.dropLast().allSatisfy { ($0.exitTime) % 900_000 == 0 },
      "\(r.trades.map { UTCTime.iso($0.exitTime) })")
    // Without the grid the same strategy decides on any candle.
    var anyTime: [Int64] = []
    let free = ScriptedStrategy { sym, c, host in
      if host.position(symbol: sym) == nil,
        case .accepted = host.enter(OrderIntent(symbol: sym, side: .long, stop: c.close * 0.5))
      {
        anyTime.append(c.time)
      }
    }
    _ = try run(candles, grid: nil, strategy: free)
    #expect(!anyTime.allSatisfy { ($0 + 60_000) % 900_000 == 0 })
  }

  @Test func stopsAreManagedOnEveryCandle() throws {
    // Entered on the candle closing at 00:15 (fills at 00:15's open); at 00:17 the price falls
    // through the stop, off the grid: the stop fills there, not at the next grid candle.
    var candles = (0..<30).map { bar($0, 100, 100.5, 99.5, 100) }
    candles[17] = bar(17, 100, 100, 90, 91)
    let s = ScriptedStrategy { sym, c, host in
      if host.position(symbol: sym) == nil {
        host.enter(OrderIntent(symbol: sym, side: .long, stop: 95))
      }
    }
    let r = try run(candles, grid: quarter, strategy: s)
    let first = try #require(r.trades.first)
    #expect(first.entryTime == candles[15].time)
    #expect(first.exitReason == .stop)
    #expect(first.exitTime == candles[17].time)
    #expect(first.exitPrice == 95)
  }
}

extension ShippedStrategyTests {
  /// `[schedule] eval_every = "15m"` on ma_cross with its default params trades exactly like
  /// ma_cross's own `eval_every = 15` param: its streaming MA still sees every 1m candle.
  @Test func theScheduleGridEqualsMaCrossOwnEvalEveryParam() throws {
    let candles = maCrossSeries()
    let byParam = try run(
      "ma_cross", ["BTCUSDT": candles], timeframe: .oneMinute, params: ["eval_every=15"])
    let bySchedule = try run(
      "ma_cross", ["BTCUSDT": candles], timeframe: .oneMinute,
      decisionGrid: try Timeframe(parsing: "15m"))
    let everyCandle = try run("ma_cross", ["BTCUSDT": candles], timeframe: .oneMinute)
    #expect(byParam.trades.count > 3)
    #expect(bySchedule.trades == byParam.trades)
    #expect(bySchedule.finalEquity == byParam.finalEquity)
    #expect(everyCandle.trades != byParam.trades)
  }
}
