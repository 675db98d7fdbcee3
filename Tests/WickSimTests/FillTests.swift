import Testing
import WickCore
import WickRisk

@testable import WickSim

@Suite struct FillTests {
  /// An intent made on candle k fills at the open of k+1, never inside k.
  @Test func entryFillsAtNextOpen() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 103, 104, 102, 103), bar(2, 103, 104, 102, 103),
    ]
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .long, stop: 90))
    #expect(r.trades.count == 1)
    #expect(r.trades[0].entryTime == candles[1].time)
    #expect(r.trades[0].entryPrice == 103)
    #expect(r.trades[0].exitReason == .endOfData)
  }

  @Test func stopIsLiveOnTheFillCandleAndFillsAtTheLevel() throws {
    let candles = [bar(0, 100, 101, 99, 100), bar(1, 100, 100.5, 94, 95), bar(2, 95, 96, 94, 95)]
    let r = try backtest(
      candles, entering: OrderIntent(symbol: 0, side: .long, stop: 96, take: 110))
    #expect(r.trades.count == 1)
    #expect(r.trades[0].exitTime == candles[1].time)
    #expect(r.trades[0].exitPrice == 96)
    #expect(r.trades[0].exitReason == .stop)
    #expect(abs(r.trades[0].r! - -1) < 1e-9)
  }

  @Test func gapThroughStopFillsAtTheOpen() throws {
    let candles = [bar(0, 100, 101, 99, 100), bar(1, 100, 100, 99, 99.5), bar(2, 90, 91, 89, 90)]
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .long, stop: 95))
    #expect(r.trades[0].exitPrice == 90)
    #expect(r.trades[0].exitTime == candles[2].time)
    #expect(r.trades[0].exitNote == "gap through stop")
  }

  @Test func candleTouchingBothLevelsTakesTheStop() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 100.5, 99.5, 100), bar(2, 100, 112, 90, 100),
    ]
    let r = try backtest(
      candles, entering: OrderIntent(symbol: 0, side: .short, stop: 105, take: 95))
    #expect(r.trades[0].exitReason == .stop)
    #expect(r.trades[0].exitPrice == 105)
  }

  @Test func takeProfitFillsAtTheLevel() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 100.5, 99.5, 100), bar(2, 100, 103, 99, 102),
    ]
    let r = try backtest(
      candles, entering: OrderIntent(symbol: 0, side: .long, stop: 95, take: 102.5))
    #expect(r.trades[0].exitReason == .take)
    #expect(r.trades[0].exitPrice == 102.5)
  }

  @Test func trailingStopFollowsTheBestClose() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 101, 99.5, 100), bar(2, 100, 106, 100, 105),
      bar(3, 105, 105, 100, 101),
    ]
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .long, stop: 95, trail: 3))
    // After candle 2 closes at 105 the stop is 102; candle 3 trades down through it.
    #expect(r.trades[0].exitReason == .trail)
    #expect(r.trades[0].exitPrice == 102)
    #expect(r.trades[0].exitTime == candles[3].time)
  }

  /// Costs: half spread and slippage move both fills against us, fees on notional; each is
  /// reported separately and the PnL is net of all of them.
  @Test func costsAreChargedAndReportedSeparately() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 101, 99, 100), bar(2, 110, 111, 109, 110),
    ]
    let s = ScriptedStrategy { _, c, host in
      if c.time == t0 { host.enter(OrderIntent(symbol: 0, side: .long, stop: 50, risk: 0.01)) }
      if c.time == candles[1].time { host.exit(symbol: 0, reason: "done") }
    }
    let fills = FillModel(takerFeeBps: 10, makerFeeBps: 0, spreadBps: 20, slippageBps: 5)
    let r = try backtest(candles, fills: fills, strategy: s)
    let t = r.trades[0]
    let qty = 10_000 * 0.01 / 50.0  // risk 1% of equity over a 50-point stop
    #expect(abs(t.qty - qty) < 1e-9)
    #expect(abs(t.entryPrice - 100 * 1.0015) < 1e-9)
    #expect(abs(t.exitPrice - 110 * 0.9985) < 1e-9)
    #expect(abs(t.spreadCost - qty * (100 + 110) * 0.001) < 1e-9)
    #expect(abs(t.slippageCost - qty * (100 + 110) * 0.0005) < 1e-9)
    #expect(abs(t.fees - qty * (t.entryPrice + t.exitPrice) * 0.001) < 1e-9)
    #expect(abs(t.pnl - (qty * (t.exitPrice - t.entryPrice) - t.fees)) < 1e-9)
    #expect(abs(r.finalEquity - (10_000 + t.pnl)) < 1e-9)
    #expect(t.exitNote == "done")
  }

  @Test func intentsDuringWarmupAreSuppressed() throws {
    let candles = (0..<5).map { bar($0, 100, 101, 99, 100) }
    var outcomes: [IntentOutcome] = []
    let s = ScriptedStrategy(warmup: 3) { _, _, host in
      if host.position(symbol: 0) == nil {
        outcomes.append(host.enter(OrderIntent(symbol: 0, side: .long, stop: 90)))
      }
    }
    let r = try backtest(candles, strategy: s)
    #expect(
      outcomes.prefix(2).allSatisfy {
        if case .refused(let x) = $0 { x.code == "warmup" } else { false }
      })
    #expect(r.trades.first?.entryTime == candles[3].time)
    #expect(r.refusals["warmup"] == nil)
  }

  @Test func entryWithoutStopIsRefusedWithAReason() throws {
    let candles = (0..<3).map { bar($0, 100, 101, 99, 100) }
    var outcome: IntentOutcome?
    let s = ScriptedStrategy { _, c, host in
      if c.time == t0 { outcome = host.enter(OrderIntent(symbol: 0, side: .long, stop: nil)) }
    }
    let r = try backtest(candles, strategy: s)
    #expect(r.trades.isEmpty)
    #expect(r.refusals == ["missing_stop": 1])
    if case .refused(let x)? = outcome {
      #expect(x.code == "missing_stop")
    } else {
      Issue.record("not refused")
    }
  }

  @Test func leverageCapsTheSize() throws {
    let candles = (0..<3).map { bar($0, 100, 101, 99, 100) }
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .long, stop: 99.99))
    #expect(abs(r.trades[0].qty - 10_000 * 3 / 100) < 1e-9)
  }
}

/// A symbol without a candle at some time must not be handled with its previous candle again.
@Suite struct MissingCandleTests {
  @Test func anEntryWaitsForTheSymbolsNextCandleWhenOneIsMissing() throws {
    let a = (0..<5).map { bar($0, 100, 101, 99, 100) }
    // B has no candle at minute 2.
    let b = [
      bar(0, 50, 51, 49, 50), bar(1, 50, 51, 49, 50), bar(3, 60, 61, 59, 60),
      bar(4, 60, 61, 59, 60),
    ]
    let strategy = ScriptedStrategy { symbol, c, host in
      if symbol == 1 && c.time == t0 + 60_000 {
        host.enter(OrderIntent(symbol: 1, side: .long, stop: 40))
      }
    }
    let result = try backtest(
      symbols: ["AAAUSDT", "BBBUSDT"], series: [a, b], strategy: strategy)
    #expect(result.trades.count == 1)
    #expect(result.trades.first?.entryTime == t0 + 3 * 60_000)
    #expect(result.trades.first?.entryPrice == 60)
    #expect(result.candles == 9)
  }
}

/// Backtests `candles` (costs off) with `intent` made on the first candle.
private func backtest(_ candles: [Candle], entering intent: OrderIntent) throws -> BacktestResult {
  try backtest(
    candles,
    strategy: ScriptedStrategy { _, c, host in
      if c.time == t0 { host.enter(intent) }
    })
}
