import Foundation
import WickCore
import WickLua
import WickRisk
import WickSim

// Temporary in-memory figure while the store lands.
func synth(_ n: Int) -> [Candle] {
  var state: UInt64 = 42
  var price = 42_000.0
  return (0..<n).map { i in
    state = state &* 6364136223846793005 &+ 1442695040888963407
    let u = Double(state >> 11) / Double(1 << 53) - 0.5
    let open = price
    price *= 1 + u * 0.004
    return Candle(time: 1_704_067_200_000 + Int64(i) * 60_000, open: open, high: max(open, price) * 1.001, low: min(open, price) * 0.999, close: price, volume: 1)
  }
}
let candles = synth(Int(ProcessInfo.processInfo.environment["N"] ?? "1000000")!)
let strategy = try LuaStrategy(path: ProcessInfo.processInfo.environment["SCRIPT"] ?? "strategies/ma_cross.lua")
let config = BacktestConfig(strategyName: strategy.name, params: strategy.params, timeframe: .oneMinute, historyDepth: strategy.warmup)
let engine = BacktestEngine(config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
let t = Date()
let r = try engine.run(source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
let dt = Date().timeIntervalSince(t)
print("lua in-memory: \(Int(Double(candles.count) / dt)) candles/s, trades \(r.trades.count)")
