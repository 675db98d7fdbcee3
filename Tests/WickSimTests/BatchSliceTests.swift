import Testing
import WickCore
import WickRisk
import WickTesting

@testable import WickSim

/// One series from a batch cursor (the backtest's usual source: the candle cache) takes the
/// engine's batch path; it must run exactly as candle by candle, also where the source is bad.
@Suite struct BatchSliceTests {
  /// Candles that rise and fall so the strategy below opens, stops out and exits.
  static let candles: [Candle] = (0..<300).map { i in
    let mid = 100 + 10 * Double((i / 25) % 2 == 0 ? i % 25 : 25 - i % 25)
    return bar(i, mid, mid + 3, mid - 3, mid + (i % 3 == 0 ? 1 : -1))
  }

  static func strategy() -> ScriptedStrategy {
    ScriptedStrategy(warmup: 5) { symbol, candle, host in
      if host.position(symbol: symbol) == nil, Int((candle.time - t0) / 60_000) % 7 == 0 {
        host.enter(
          OrderIntent(
            symbol: symbol, side: .long, stop: candle.close - 8, take: candle.close + 12, tag: nil))
      } else if host.position(symbol: symbol) != nil,
        Int((candle.time - t0) / 60_000) % 11 == 0
      {
        _ = host.exit(symbol: symbol, reason: "time")
      }
    }
  }

  static func run(_ candles: [Candle], batch: Int?, strategy: ScriptedStrategy) throws
    -> BacktestResult
  {
    let config = BacktestConfig(
      initialEquity: 10_000,
      fills: FillModel(takerFeeBps: 4, makerFeeBps: 0, spreadBps: 1, slippageBps: 1),
      strategyName: "t", timeframe: .oneMinute, historyDepth: 10)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy,
      risk: FixedFractionSizer(riskPerTrade: 0.01, leverage: 3))
    let cursor: CandleCursor =
      batch.map { ReusedBufferCursor(candles, batch: $0) } ?? ArrayCandleCursor(candles)
    return try engine.run(source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [cursor]))
  }

  @Test(arguments: [1, 2, 7, 64, 1_000])
  func batchesRunAsCandleByCandle(batch: Int) throws {
    let (one, batched) = (Self.strategy(), Self.strategy())
    let a = try Self.run(Self.candles, batch: nil, strategy: one)
    let b = try Self.run(Self.candles, batch: batch, strategy: batched)
    #expect(!a.trades.isEmpty)
    #expect(b.candles == a.candles && b.candles == Self.candles.count)
    #expect(b.trades == a.trades)
    #expect(b.equity == a.equity && b.dailyEquity == a.dailyEquity)
    #expect(b.finalEquity == a.finalEquity && b.maxDrawdown == a.maxDrawdown)
    #expect(batched.seen == one.seen)
  }

  /// A time delivered twice (inside a batch, or as a batch's first candle after the previous
  /// batch's last) fails with the same error after the same candles.
  @Test(arguments: [3, 7, 8, 13])
  func aRepeatedTimeFailsAsCandleByCandle(at k: Int) throws {
    var candles = Array(Self.candles.prefix(20))
    candles.insert(candles[k], at: k + 1)
    let (one, batched) = (Self.strategy(), Self.strategy())
    let expected = try errorMessage { try Self.run(candles, batch: nil, strategy: one) }
    let got = try errorMessage { try Self.run(candles, batch: 8, strategy: batched) }
    #expect(expected.hasPrefix("two candles for BTCUSDT at "))
    #expect(got == expected)
    #expect(batched.seen == one.seen && one.seen.count == k)
  }

  private func errorMessage(_ body: () throws -> BacktestResult) throws -> String {
    do {
      _ = try body()
    } catch WickError.data(let message) {
      return message
    }
    Issue.record("the run did not fail")
    return ""
  }
}
