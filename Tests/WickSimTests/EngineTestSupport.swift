import WickCore
import WickRisk

@testable import WickSim

/// A Swift strategy driven by a closure: the engine is tested without Lua.
final class ScriptedStrategy: Strategy {
  let name = "scripted"
  let warmup: Int
  let body: (Int, Candle, StrategyHost) -> Void
  var seen: [Candle] = []
  init(warmup: Int = 0, body: @escaping (Int, Candle, StrategyHost) -> Void) {
    self.warmup = warmup
    self.body = body
  }
  func start(host: StrategyHost) throws {}
  func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws {
    seen.append(candle)
    body(symbol, candle, host)
  }
}

let t0: Int64 = 1_704_067_200_000

func bar(_ i: Int, _ o: Double, _ h: Double, _ l: Double, _ c: Double) -> Candle {
  Candle(time: t0 + Int64(i) * 60_000, open: o, high: h, low: l, close: c, volume: 1)
}

/// Runs `strategy` over `candles` of one symbol with costs off unless given.
func backtest(
  _ candles: [Candle],
  fills: FillModel = FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
  risk: RiskGate = FixedFractionSizer(riskPerTrade: 0.01, leverage: 3), strategy: Strategy
) throws -> BacktestResult {
  try backtest(
    symbols: ["BTCUSDT"], series: [candles], fills: fills, risk: risk, strategy: strategy)
}

/// Runs `strategy` over one series per symbol, merged by time, with costs off unless given.
func backtest(
  symbols: [String], series: [[Candle]],
  fills: FillModel = FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
  risk: RiskGate = FixedFractionSizer(riskPerTrade: 0.01, leverage: 3), strategy: Strategy
) throws -> BacktestResult {
  let config = BacktestConfig(
    initialEquity: 10_000, fills: fills, strategyName: "t", timeframe: .oneMinute, historyDepth: 10)
  let engine = BacktestEngine(config: config, symbols: symbols, strategy: strategy, risk: risk)
  return try engine.run(
    source: MergedCandleSource(symbols: symbols, cursors: series.map { ArrayCandleCursor($0) }))
}
