import FuzzSupport
import WickCore
import WickLua
import WickRisk
import WickSim

/// A strategy script, as a user hands one over: the manifest and its `params` declarations are
/// decoded at load, then 40 candles of a backtest run its callbacks, so that every intent it
/// sends (`ctx:enter`, `ctx:exit`, `ctx:cancel`, pairs, indicators, history) crosses the host
/// boundary. Tight limits keep a looping or allocating script from stalling the fuzzer: the
/// sandbox stops it with an error, which is the behaviour under test.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzLuaHost(_ data: UnsafePointer<UInt8>?, _ count: Int) -> CInt {
  guard let source = FuzzInput(data, count).strictText else { return 0 }
  let limits = LuaLimits(
    memoryBytes: 16 << 20, callbackSeconds: 0.25, initSeconds: 0.5, hardDeadlineSeconds: 1,
    patternSteps: 200_000)
  guard
    let strategy = try? LuaStrategy(
      path: "fuzz.lua", source: source, symbols: ["BTCUSDT"], limits: limits)
  else { return 0 }
  let config = BacktestConfig(
    initialEquity: 10_000, strategyName: "fuzz", timeframe: .oneMinute, historyDepth: 10)
  let engine = BacktestEngine(
    config: config, symbols: ["BTCUSDT"], strategy: strategy,
    risk: FixedFractionSizer(riskPerTrade: 0.01, leverage: 3))
  _ = try? engine.run(
    source: MergedCandleSource(
      symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(FuzzCandles.series)]))
  return 0
}

/// A deterministic zig-zag around 100 with real ranges, so stops and targets can trigger.
enum FuzzCandles {
  nonisolated(unsafe) static let series: [Candle] = (0..<40).map { i in
    let close = 100 + Double((i * 7) % 11) - 5
    return Candle(
      time: 1_704_067_200_000 + Int64(i) * 60_000, open: close - 0.5, high: close + 2,
      low: close - 2, close: close, volume: 10)
  }
}

/// The process's entry point: SwiftPM links `main` to `fuzz_lua_host_main`.
@_cdecl("fuzz_lua_host_main")
public func fuzzMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>)
  -> CInt
{
  runFuzzer(argc, argv, fuzzLuaHost)
}
