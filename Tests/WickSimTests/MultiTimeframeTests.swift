import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// A random walk of `n` candles of `tf` from `start` (deterministic per seed).
func walk(_ n: Int, _ tf: Timeframe, from start: Int64 = t0, seed: UInt64, price: Double = 100)
  -> [Candle]
{
  var state = seed
  var p = price
  return (0..<n).map { i in
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let open = p
    p *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.02
    return Candle(
      time: start + Int64(i) * tf.milliseconds, open: open, high: max(open, p) * 1.002,
      low: min(open, p) * 0.998, close: p, volume: Double(i % 7 + 1))
  }
}

let fiveMinutes = Timeframe(milliseconds: 300_000)
let fifteenMinutes = Timeframe(milliseconds: 900_000)
let oneHour = Timeframe(milliseconds: 3_600_000)

/// Runs a script's text over per-symbol base series, with costs off; `stored` gives higher
/// timeframes as if read from the cache.
func runScript(
  _ text: String, symbols: [String], base: Timeframe, series: [[Candle]],
  stored: [(Timeframe, Int, [Candle])] = []
) throws -> (result: BacktestResult, strategy: LuaStrategy) {
  let strategy = try LuaStrategy(path: "mtf_test.lua", source: text, symbols: symbols)
  let config = BacktestConfig(
    initialEquity: 10_000,
    fills: FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
    strategyName: strategy.name, timeframe: base, historyDepth: max(strategy.warmup, 1))
  let engine = BacktestEngine(
    config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
  for (tf, symbol, candles) in stored {
    engine.kernel.useStored(timeframe: tf, symbol: symbol, candles: candles)
  }
  let result = try engine.run(
    source: MergedCandleSource(symbols: symbols, cursors: series.map { ArrayCandleCursor($0) }))
  return (result, strategy)
}

/// The script's `ctx:log` lines without the time prefix.
func logged(_ s: LuaStrategy) -> [String] {
  s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
}

/// Logs "timeframe symbol open-time" for every candle it is handed.
let deliveryLogger = """
  return {
    timeframes = { TFS },
    on_candle = function(ctx, c) ctx:log(c.timeframe, c.symbol, c.t) end,
  }
  """

/// A Swift strategy that records every delivery (timeframe index, symbol, candle).
final class RecordingTimeframes: Strategy {
  let name = "recording"
  let warmup = 0
  let timeframes: [Timeframe]
  var seen: [(timeframe: Int, symbol: Int, candle: Candle)] = []
  var onHigher: ((Int, Candle, StrategyHost) -> Void)?
  init(_ timeframes: [Timeframe]) { self.timeframes = timeframes }
  func start(host: StrategyHost) throws {}
  func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws {
    seen.append((0, symbol, candle))
  }
  func onCandle(symbol: Int, timeframe: Int, candle: Candle, host: StrategyHost) throws {
    seen.append((timeframe, symbol, candle))
    onHigher?(symbol, candle, host)
  }
}

@Suite struct MultiTimeframeTests {
  let symbols = ["AAA", "BBB", "CCC"]

  /// The order the issue pins: by close time; at equal close times the shorter timeframe first;
  /// symbols in their order; a higher candle only after its last base candle.
  func expectedOrder(base: [Int64], timeframes: [Timeframe]) -> [String] {
    var out: [String] = []
    let first = base.first!
    for t in base {
      let close = t + timeframes[0].milliseconds
      for (k, tf) in timeframes.enumerated() {
        if k > 0 {
          // Delivered when it closes now and its whole bucket lies in the data.
          guard close % tf.milliseconds == 0, close - tf.milliseconds >= first else { continue }
        }
        for s in symbols { out.append("\(tf) \(s) \(close - tf.milliseconds)") }
      }
    }
    return out
  }

  @Test(arguments: [["5m", "1h"], ["5m", "15m", "1h"]])
  func deliveryOrderAtEqualCloseTimes(declared: [String]) throws {
    let tfs = try declared.map { try Timeframe(parsing: $0) }
    // Starts at 00:30: the 00:00 hour is partial and must never be delivered.
    let start = t0 + 30 * 60_000
    let series = symbols.indices.map {
      walk(12 * 3 + 3, fiveMinutes, from: start, seed: UInt64($0 + 1))
    }
    let script = deliveryLogger.replacingOccurrences(
      of: "TFS", with: declared.map { "\"\($0)\"" }.joined(separator: ", "))
    let (_, strategy) = try runScript(script, symbols: symbols, base: fiveMinutes, series: series)
    let got = logged(strategy)
    #expect(got == expectedOrder(base: series[0].map(\.time), timeframes: tfs))
    // The 00:00 hour began before the data: the first hour seen is 01:00, delivered at 02:00
    // right after the 01:55 5m candles (and the 01:45 15m ones).
    let hour1 = t0 + 3_600_000
    let lastBase = got.firstIndex(of: "5m CCC \(hour1 + 55 * 60_000)")!
    let firstHour = got.firstIndex(of: "1h AAA \(hour1)")!
    #expect(firstHour > lastBase)
    #expect(got[lastBase + 1].hasPrefix(declared.count == 3 ? "15m AAA" : "1h AAA"))
    #expect(!got.contains("1h AAA \(t0)"))  // partial at the start
    // The data ends at 03:45: the 03:00 hour is partial and never delivered.
    #expect(!got.contains { $0.hasPrefix("1h") && $0.hasSuffix(" \(t0 + 3 * 3_600_000)") })
    #expect(got.contains("1h CCC \(t0 + 2 * 3_600_000)"))
  }

  /// At 10:00 the script sees the 09:55 5m candle, then the 09:00 1h candle; while handling a
  /// higher candle nothing later than its close exists for the strategy.
  @Test func higherCandleNeverBeforeItCloses() throws {
    let base = walk(12 * 5, fiveMinutes, seed: 3)
    let s = RecordingTimeframes([fiveMinutes, oneHour])
    var violations = 0
    s.onHigher = { symbol, c, host in
      // The kernel's clock is the base candle that closed with it: same close time.
      if host.now + fiveMinutes.milliseconds != c.time + oneHour.milliseconds { violations += 1 }
      // The base history ends with the candle closing at the same moment, never later.
      if host.history(symbol: symbol, count: 1).last!.time
        != c.time + oneHour.milliseconds - fiveMinutes.milliseconds
      {
        violations += 1
      }
    }
    _ = try backtestTimeframes(base: [base], strategy: s)
    #expect(violations == 0)
    #expect(s.seen.filter { $0.timeframe == 1 }.count == 5)
    let ten = s.seen.firstIndex { $0.timeframe == 1 }!
    #expect(s.seen[ten - 1].candle.time == t0 + 55 * 60_000)
    #expect(s.seen[ten].candle.time == t0)
  }

  /// The higher candles a run sees are exactly what `wick data resample` writes (the same
  /// `Resampler.resample`), gaps included: a bucket missing a base candle is never delivered.
  @Test func resampledCandlesEqualDataResample() throws {
    var base = walk(12 * 6, fiveMinutes, seed: 9)
    base.remove(at: 12 * 2 + 5)  // a gap in the third hour
    let s = RecordingTimeframes([fiveMinutes, oneHour])
    _ = try backtestTimeframes(base: [base], strategy: s)
    let (expected, resampler) = try Resampler.resample(
      ArrayCandleCursor(base), from: fiveMinutes, to: oneHour)
    #expect(resampler.incompleteBuckets == 1)
    #expect(expected.count == 5)
    #expect(s.seen.filter { $0.timeframe == 1 }.map(\.candle) == expected)
  }

  /// A higher timeframe stored in the cache is used rather than resampled; past its end the
  /// resampled candles take over.
  @Test func storedHigherTimeframePreferred() throws {
    let base = walk(12 * 4, fiveMinutes, seed: 4)
    let resampled = try Resampler.resample(ArrayCandleCursor(base), from: fiveMinutes, to: oneHour)
      .candles
    // The "exchange's" 1h candles differ from the resampled ones (volume), and end an hour early.
    let stored = resampled.dropLast().map {
      Candle(
        time: $0.time, open: $0.open, high: $0.high, low: $0.low, close: $0.close, volume: 12_345)
    }
    let engineStrategy = RecordingTimeframes([fiveMinutes, oneHour])
    _ = try backtestTimeframes(
      base: [base], strategy: engineStrategy, stored: [(oneHour, 0, Array(stored))])
    let hours = engineStrategy.seen.filter { $0.timeframe == 1 }.map(\.candle)
    #expect(hours == Array(stored) + [resampled.last!])
  }

  @Test func perTimeframeWarmupAndHistory() throws {
    let base = walk(12 * 5, fiveMinutes, seed: 6)
    let script = """
      return {
        timeframes = { "5m", "1h" },
        warmup = { ["5m"] = 3, ["1h"] = 2 },
        on_candle = function(ctx, c)
          if c.timeframe == "1h" then
            local h = ctx:history(c.symbol, 2, "1h")
            ctx:log("h1", #h, h[#h].t, h[#h].timeframe, h[#h].close == c.close)
          else
            local h = ctx:history(c.symbol, 3)
            ctx:log("h5", #h, h[#h].t, h[#h].timeframe)
          end
          if not ctx:position(c.symbol) then
            local ok = ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9 }
            if ok then ctx:log("entered", c.timeframe, c.t) end
          end
        end,
      }
      """
    let (result, strategy) = try runScript(
      script, symbols: ["AAA"], base: fiveMinutes, series: [base])
    let lines = logged(strategy)
    #expect(strategy.warmup(timeframe: 0) == 3)
    #expect(strategy.warmup(timeframe: 1) == 2)
    // Intents are suppressed until two 1h candles closed (at 02:00): the first accepted one
    // is made on the 1h candle delivered then, and fills at the next 5m open.
    let entered = lines.first { $0.hasPrefix("entered") }
    #expect(entered == "entered 1h \(t0 + 3_600_000)")
    #expect(result.trades.first?.entryTime == t0 + 2 * 3_600_000)
    #expect(result.trades.first?.entryPrice == base[24].open)
    #expect(lines.contains("h1 2 \(t0 + 3_600_000) 1h true"))
    #expect(lines.contains("h1 1 \(t0) 1h true"))
    #expect(lines.contains("h5 3 \(base[10].time) 5m"))
  }

  @Test func historyBeyondATimeframesWarmupOrUndeclaredIsAnError() throws {
    for (call, words) in [
      ("ctx:history(c.symbol, 3, '1h')", "warmup for 1h (2)"),
      ("ctx:history(c.symbol, 1, '4h')", "timeframe '4h' is not one the strategy declares"),
    ] {
      let script = """
        return {
          timeframes = { "5m", "1h" }, warmup = { ["1h"] = 2 },
          on_candle = function(ctx, c) \(call) end,
        }
        """
      let (result, _) = try runScript(
        script, symbols: ["AAA"], base: fiveMinutes, series: [walk(30, fiveMinutes, seed: 1)])
      #expect(result.error?.contains(words) == true, "\(result.error ?? "no error")")
    }
  }

  /// An intent made on a higher candle fills at the next base candle's open.
  @Test func intentOnHigherCandleFillsAtNextBaseOpen() throws {
    let base = walk(12 * 3, fiveMinutes, seed: 8)
    let s = RecordingTimeframes([fiveMinutes, oneHour])
    s.onHigher = { symbol, c, host in
      if host.position(symbol: symbol) == nil {
        host.enter(OrderIntent(symbol: symbol, side: .long, stop: c.close * 0.9))
      }
    }
    let r = try backtestTimeframes(base: [base], strategy: s)
    #expect(r.trades.first?.entryTime == t0 + 3_600_000)
    #expect(r.trades.first?.entryPrice == base[12].open)
  }

  @Test func onBarsGetsEachTimeframe() throws {
    let series = symbols.indices.map { walk(12 * 2, fiveMinutes, seed: UInt64($0 + 20)) }
    let script = """
      return {
        timeframes = { "5m", "1h" },
        on_bars = function(ctx, t, bars)
          ctx:log(bars.AAA.timeframe, t, bars.CCC.timeframe, bars.CCC.t)
        end,
      }
      """
    let (_, strategy) = try runScript(
      script, symbols: symbols, base: fiveMinutes, series: series)
    let lines = logged(strategy)
    #expect(lines.count == 24 + 2)
    #expect(lines[12] == "1h \(t0) 1h \(t0)")
    #expect(lines[13] == "5m \(t0 + 3_600_000) 5m \(t0 + 3_600_000)")
  }

  @Test func runTimeframeMustBeTheDeclaredBase() throws {
    let script = deliveryLogger.replacingOccurrences(of: "TFS", with: "\"5m\", \"1h\"")
    #expect(throws: WickError.self) {
      _ = try runScript(
        script, symbols: ["AAA"], base: .oneMinute, series: [walk(10, .oneMinute, seed: 1)])
    }
  }

  func backtestTimeframes(
    base: [[Candle]], strategy: Strategy, stored: [(Timeframe, Int, [Candle])] = []
  ) throws -> BacktestResult {
    let symbols = Array(self.symbols.prefix(base.count))
    let config = BacktestConfig(
      initialEquity: 10_000,
      fills: FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
      strategyName: "t", timeframe: fiveMinutes, historyDepth: 10)
    let engine = BacktestEngine(
      config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    for (tf, symbol, candles) in stored {
      engine.kernel.useStored(timeframe: tf, symbol: symbol, candles: candles)
    }
    return try engine.run(
      source: MergedCandleSource(symbols: symbols, cursors: base.map { ArrayCandleCursor($0) }))
  }
}
