import Testing
import WickCore
import WickRisk

@testable import WickSim

/// MAE and MFE: the worst and best prices a position lived through, entry and exit included.
@Suite struct ExcursionTests {
  @Test func longTradeRecordsTheLowestLowAndHighestHighWhileOpen() throws {
    // Entered at the open of bar 1 (100); bars 1–3 are lived through; bar 4 stops it at 96.
    // Bar 0 (before the entry) reaches 90 and 120 and must not count.
    let candles = [
      bar(0, 100, 120, 90, 100), bar(1, 100, 104, 98, 103), bar(2, 103, 107, 97, 101),
      bar(3, 101, 102, 99, 100), bar(4, 100, 100, 95, 95.5), bar(5, 95, 130, 80, 95),
    ]
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .long, stop: 96))
    #expect(r.trades.count == 1)
    #expect(r.trades[0].exitPrice == 96)
    #expect(r.trades[0].mae == 96)  // the stop fill, below every low while open (97)
    #expect(r.trades[0].mfe == 107)
  }

  @Test func shortTradeAdverseIsTheHighestHigh() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 103, 97, 98), bar(2, 98, 99, 92, 93),
      bar(3, 93, 94, 91, 93),
    ]
    let r = try backtest(candles, entering: OrderIntent(symbol: 0, side: .short, stop: 110))
    #expect(r.trades[0].exitReason == .endOfData)
    #expect(r.trades[0].mae == 103)
    #expect(r.trades[0].mfe == 91)
  }

  @Test func takeExitCountsTheTakeLevelNotTheRestOfTheCandle() throws {
    let candles = [
      bar(0, 100, 101, 99, 100), bar(1, 100, 101, 99.5, 100.5), bar(2, 100.5, 110, 99, 109),
    ]
    let r = try backtest(
      candles, entering: OrderIntent(symbol: 0, side: .long, stop: 95, take: 102))
    #expect(r.trades[0].exitReason == .take)
    #expect(r.trades[0].mfe == 102)
    #expect(r.trades[0].mae == 99.5)
  }
}

private func backtest(_ candles: [Candle], entering intent: OrderIntent) throws -> BacktestResult {
  try backtest(
    candles,
    strategy: ScriptedStrategy { _, c, host in
      if c.time == t0 { host.enter(intent) }
    })
}
