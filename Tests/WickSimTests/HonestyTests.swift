import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// A backtest must not be able to see the future, and must be reproducible.
@Suite struct HonestyTests {
  func syntheticCandles(_ n: Int, seed: UInt64) -> [Candle] {
    var state = seed
    var price = 100.0
    return (0..<n).map { i in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u = Double(state >> 11) / Double(1 << 53) - 0.5
      let open = price
      price *= 1 + u * 0.02
      let hi = max(open, price) * 1.003
      let lo = min(open, price) * 0.997
      return Candle(
        time: t0 + Int64(i) * 60_000, open: open, high: hi, low: lo, close: price, volume: 1)
    }
  }

  func runMACross(_ candles: [Candle]) throws -> BacktestResult {
    let strategy = try LuaStrategy(
      path: "strategies/ma_cross.lua",
      overrides: [
        try parseParamAssignment("period=10"), try parseParamAssignment("min_quote_volume=0"),
      ])
    let config = BacktestConfig(
      initialEquity: 10_000, strategyName: strategy.name, params: strategy.params,
      timeframe: .oneMinute,
      historyDepth: strategy.warmup)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    return try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
  }

  /// Change every candle after time T: every decision and fill before T must be identical.
  @Test func perturbingTheFutureDoesNotChangeThePast() throws {
    let candles = syntheticCandles(3_000, seed: 11)
    let cut = 1_500
    var perturbed = candles
    var state: UInt64 = 99
    for i in cut..<perturbed.count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let f = 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.05
      let c = perturbed[i]
      perturbed[i] = Candle(
        time: c.time, open: c.open * f, high: c.high * f * 1.01, low: c.low * f * 0.99,
        close: c.close * f, volume: 7)
    }
    let a = try runMACross(candles)
    let b = try runMACross(perturbed)
    let T = candles[cut].time
    // A trade still open at T may be closed differently; everything that ended before T is identical.
    let before = { (r: BacktestResult) in r.trades.filter { $0.exitTime < T } }
    #expect(before(a).count > 5)
    #expect(before(a) == before(b))
    let opensBefore = { (r: BacktestResult) in
      r.trades.filter { $0.entryTime < T }.map { [$0.entryTime, Int64($0.entryPrice * 1e6)] }
    }
    #expect(opensBefore(a) == opensBefore(b))
    #expect(a.trades != b.trades)  // the perturbation did change the future
  }

  /// A 1h trend filter over 15m momentum over 1m entries: three timeframes, each read both as
  /// candles and through ctx:history.
  static let multiTimeframeScript = """
    return {
      name = "mtf_honesty", timeframes = { "1m", "15m", "1h" },
      warmup = { ["1m"] = 5, ["15m"] = 4, ["1h"] = 3 },
      init = function(ctx)
        ctx.fast = wick.sma(5)
        ctx.trend = wick.sma(3)
      end,
      on_candle = function(ctx, c)
        if c.timeframe == "1h" then
          ctx.up = (ctx.trend:update(c.close) or c.close) <= c.close
          ctx:log("1h", c.t, c.close)
        elseif c.timeframe == "15m" then
          local h = ctx:history(c.symbol, 4, "15m")
          ctx.momentum = h[#h].close > h[1].close
          ctx:log("15m", c.t, #h)
        else
          local ma = ctx.fast:update(c.close)
          if not ma then return end
          local pos = ctx:position(c.symbol)
          if not pos and ctx.up and ctx.momentum and c.close > ma then
            ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.99 }
          elseif pos and (not ctx.momentum or c.close < ma * 0.998) then
            ctx:exit{ symbol = c.symbol, reason = "momentum" }
          end
        end
      end,
    }
    """

  /// The perturbation test over a multi-timeframe script: changing every 1m candle from T on
  /// changes nothing the script saw or did before T, on any timeframe.
  @Test func perturbingTheFutureDoesNotChangeThePastAcrossTimeframes() throws {
    let candles = syntheticCandles(3_000, seed: 21)
    // Mid-hour, mid-quarter: the hour and the quarter forming at T must not leak either.
    let cut = 1_507
    var perturbed = candles
    var state: UInt64 = 7
    for i in cut..<perturbed.count {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let f = 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.05
      let c = perturbed[i]
      perturbed[i] = Candle(
        time: c.time, open: c.open * f, high: c.high * f * 1.01, low: c.low * f * 0.99,
        close: c.close * f, volume: 7)
    }
    func run(_ candles: [Candle]) throws -> (BacktestResult, [String]) {
      let strategy = try LuaStrategy(
        path: "mtf_honesty.lua", source: Self.multiTimeframeScript, symbols: ["BTCUSDT"])
      let config = BacktestConfig(
        initialEquity: 10_000, strategyName: strategy.name, timeframe: .oneMinute,
        historyDepth: strategy.warmup)
      let engine = BacktestEngine(
        config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
      let result = try engine.run(
        source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
      #expect(result.error == nil)
      return (result, strategy.logs)
    }
    let (a, logsA) = try run(candles)
    let (b, logsB) = try run(perturbed)
    let T = candles[cut].time
    let before = { (r: BacktestResult) in r.trades.filter { $0.exitTime < T } }
    #expect(before(a).count > 5)
    #expect(before(a) == before(b))
    let opensBefore = { (r: BacktestResult) in
      r.trades.filter { $0.entryTime < T }.map { [$0.entryTime, Int64($0.entryPrice * 1e6)] }
    }
    #expect(opensBefore(a) == opensBefore(b))
    // What the script saw of the higher timeframes before T (log lines are stamped with the
    // base candle being handled) is identical; after T it differs.
    let seenBefore = { (logs: [String]) in logs.filter { $0 < UTCTime.iso(T) } }
    #expect(seenBefore(logsA).filter { $0.contains(" 1h ") }.count >= 20)
    #expect(seenBefore(logsA) == seenBefore(logsB))
    #expect(logsA != logsB)
    #expect(a.trades != b.trades)
  }

  @Test func sameInputsGiveIdenticalResults() throws {
    let candles = syntheticCandles(2_000, seed: 5)
    let a = try runMACross(candles)
    let b = try runMACross(candles)
    #expect(a.trades == b.trades)
    #expect(a.equity == b.equity)
    #expect(a.finalEquity == b.finalEquity)
  }

  @Test func scriptErrorEndsTheRunWithTheMessage() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-sim-\(UUID().uuidString).lua")
    try """
    return { name = "boom", symbols = {"BTCUSDT"}, on_candle = function(ctx, c)
      if c.t >= \(t0 + 5 * 60_000) then local x = nil; return x.field end
    end }
    """.write(to: dir, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: dir) }
    let strategy = try LuaStrategy(path: dir.path)
    let config = BacktestConfig(strategyName: "boom", timeframe: .oneMinute)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(
        symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(syntheticCandles(20, seed: 1))]))
    let error = try #require(r.error)
    #expect(error.contains(".lua:2: attempt to index a nil value"))
    #expect(error.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:05:00Z"))
    #expect(r.candles == 6)
  }
}
