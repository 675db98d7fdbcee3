import Testing
import WickCore
import WickRisk

@testable import WickSim

/// A time slice holds only the symbols that have a candle at that time: a symbol whose series
/// has ended (or has a gap) is not replayed from an earlier slice.
@Suite struct SliceTests {
  @Test func aSymbolWithoutACandleAtThisTimeIsNotReplayed() throws {
    let a = (0..<10).map { bar($0, 100, 101, 99, 100) }
    let b = (0..<5).map { bar($0, 50, 51, 49, 50) }
    // B's last candle leaves an entry for the next open, which never comes for B.
    let strategy = ScriptedStrategy { symbol, candle, host in
      if symbol == 1 && candle.time == b[4].time {
        host.enter(OrderIntent(symbol: 1, side: .long, stop: 45, take: 1_000, tag: "b"))
      }
    }
    let result = try backtest(
      symbols: ["AAAUSDT", "BBBUSDT"], series: [a, b], strategy: strategy)
    #expect(result.candles == 15)
    #expect(result.trades.isEmpty)  // no fill at a replayed (and already past) open of B
    #expect(strategy.seen.count == 15)
  }
}
