import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// Each shipped strategy trades on data built to trigger it and respects its own rules.
@Suite struct ShippedStrategyTests {
  func run(
    _ script: String, _ series: [String: [Candle]], timeframe: Timeframe, params: [String] = [],
    expectError: Bool = false, decisionGrid: Timeframe? = nil
  ) throws -> BacktestResult {
    let symbols = series.keys.sorted()
    let strategy = try LuaStrategy(
      path: "strategies/\(script).lua", overrides: try params.map(parseParamAssignment),
      symbols: symbols)
    var config = BacktestConfig(
      initialEquity: 10_000,
      fills: FillModel(takerFeeBps: 0, makerFeeBps: 0, spreadBps: 0, slippageBps: 0),
      strategyName: strategy.name, params: strategy.params, timeframe: timeframe,
      historyDepth: strategy.warmup)
    config.decisionGrid = decisionGrid
    let engine = BacktestEngine(
      config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    let source = MergedCandleSource(
      symbols: symbols, cursors: symbols.map { ArrayCandleCursor(series[$0]!) })
    let result = try engine.run(source: source)
    if let e = result.error, !expectError { Issue.record("script error: \(e)") }
    return result
  }

  /// Candles following a path of closes: open = previous close, a small range around both.
  func path(_ closes: [Double], tf: Int64, wick: Double = 0.001, volume: Double = 100) -> [Candle] {
    var out: [Candle] = []
    var prev = closes[0]
    for (i, c) in closes.enumerated() {
      out.append(
        Candle(
          time: t0 + Int64(i) * tf, open: prev, high: max(prev, c) * (1 + wick),
          low: min(prev, c) * (1 - wick),
          close: c, volume: volume))
      prev = c
    }
    return out
  }

  // MARK: vol_breakout (seed 001)

  func breakoutSeries() -> [Candle] {
    // 40 candles ranging ±0.3% around 100, then a breakout up and a steady climb.
    var closes = (0..<40).map { 100 + ($0 % 2 == 0 ? 0.3 : -0.3) }
    closes += [102, 102.5, 103, 104, 105, 106, 107, 108, 109, 110]
    return path(closes, tf: 300_000)
  }

  @Test func volBreakoutEntersOnTheBreakoutWithAStopAndFixedTake() throws {
    let r = try run(
      "vol_breakout", ["BTCUSDT": breakoutSeries()], timeframe: try Timeframe(parsing: "5m"))
    let t = try #require(r.trades.first)
    #expect(t.side == .long)
    #expect(t.entryTime == t0 + 41 * 300_000)  // signal on candle 40's close, fill at 41's open
    #expect(t.tag == "vol_breakout_5m_closed")
    #expect(t.exitReason == .take)
    #expect(abs(t.r! - 1.8) < 0.05)  // the take sits at 1.8 R (from the signal close)
  }

  @Test func volBreakoutTrailingModeTrails() throws {
    var candles = breakoutSeries()
    candles += path([110, 108, 105, 100, 95], tf: 300_000).enumerated().map { i, c in
      var c = c
      c.time = t0 + Int64(50 + i) * 300_000
      return c
    }
    let r = try run(
      "vol_breakout", ["BTCUSDT": candles], timeframe: try Timeframe(parsing: "5m"),
      params: ["tp_mode=trailing"])
    let t = try #require(r.trades.first)
    #expect(t.exitReason == .trail)
    #expect(t.pnl > 0)
  }

  // MARK: peak_reversal (seed 000)

  func peakSeries(after: [Double]) -> [Candle] {
    let rise = (0..<60).map { 100 + Double($0) * 0.2 }  // a steady climb to a peak at ~111.8
    return path(rise + [112.5, 111.0, 110.0] + after, tf: 300_000)
  }

  @Test(arguments: ["fixed_r", "time", "opposite", "trailing"])
  func peakReversalShortsTheFailedPeakWithStopAboveIt(exitType: String) throws {
    let after: [Double]
    switch exitType {
    case "fixed_r": after = (1...20).map { 110 - Double($0) * 0.4 }
    case "time": after = Array(repeating: 109.8, count: 30)
    case "opposite": after = [110, 111, 112, 113, 114, 115, 116]
    default: after = (1...10).map { 110 - Double($0) * 0.5 } + [108, 110, 112, 114]
    }
    let candles = peakSeries(after: after)
    let r = try run(
      "peak_reversal", ["BTCUSDT": candles], timeframe: try Timeframe(parsing: "5m"),
      params: ["exit_type=\(exitType)", "highest_high_lookback=20", "max_hold_candles=10"])
    let t = try #require(r.trades.first, "no trade for \(exitType)")
    #expect(t.side == .short)
    let peakHigh = candles[60].high
    #expect(t.tag == "peak_breakdown")
    // The stop sits above the peak: any stop-out fills at or above the peak's high.
    if t.exitReason == .stop { #expect(t.exitPrice >= peakHigh) }
    switch exitType {
    case "fixed_r": #expect(t.exitReason == .take)
    case "time":
      #expect(t.exitReason == .signal && t.exitNote == "time")
      #expect((t.exitTime - t.entryTime) / 300_000 == 10)
    case "opposite":
      #expect(t.exitReason == .signal && t.exitNote == "opposite" || t.exitReason == .stop)
    default: #expect(t.exitReason == .trail)
    }
  }

  // MARK: ma_cross (seed 004)

  /// A noisy 1m walk with slow swings that ma_cross trades often.
  func maCrossSeries() -> [Candle] {
    var state: UInt64 = 3
    var price = 100.0
    let closes = (0..<3_000).map { i -> Double in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      price *=
        1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.01 + 0.0003 * sin(Double(i) / 50)
      return price
    }
    return path(closes, tf: 60_000, volume: 1e6)
  }

  @Test func maCrossEvaluatesOnlyOnQuarterHoursWhenAsked() throws {
    let candles = maCrossSeries()
    let every = try run("ma_cross", ["BTCUSDT": candles], timeframe: .oneMinute)
    let quarter = try run(
      "ma_cross", ["BTCUSDT": candles], timeframe: .oneMinute, params: ["eval_every=15"])
    #expect(every.trades.count > 10)
    #expect(quarter.trades.count > 3)
    // A decision on the candle closing at hh:15 fills at the open of the candle opening at hh:15.
    #expect(quarter.trades.allSatisfy { ($0.entryTime - t0) % 900_000 == 0 })
    #expect(!every.trades.allSatisfy { ($0.entryTime - t0) % 900_000 == 0 })
    #expect(every.trades.allSatisfy { $0.exitReason != .endOfData || $0 == every.trades.last })
  }

  @Test func maCrossSkipsIlliquidMarkets() throws {
    let closes = (0..<600).map { 100 + 5 * sin(Double($0) / 40) }
    let thin = path(closes, tf: 60_000, volume: 0.001)
    #expect(try run("ma_cross", ["BTCUSDT": thin], timeframe: .oneMinute).trades.isEmpty)
    #expect(
      !(try run(
        "ma_cross", ["BTCUSDT": thin], timeframe: .oneMinute, params: ["min_quote_volume=0"]
      ).trades.isEmpty))
  }

  // MARK: zscore_pairs (seed 002)

  /// b is a random walk; a = 2·b + an AR(1) spread that mean-reverts with a half-life of ~2 bars.
  func cointegratedPair(_ n: Int, seed: UInt64) -> (a: [Candle], b: [Candle]) {
    var source = PairSource(seed: seed)
    let (a, b) = source.closes(n)
    return (path(a, tf: 14_400_000, wick: 0.002), path(b, tf: 14_400_000, wick: 0.002))
  }

  @Test func zscorePairsRefusesPairsOutsideTheRun() throws {
    let (a, b) = cointegratedPair(100, seed: 21)
    let r = try run(
      "zscore_pairs", ["AAA": a, "BBB": b], timeframe: try Timeframe(parsing: "4h"),
      expectError: true)
    #expect(r.error?.contains("not in this run's symbols") == true)
  }

  /// Pair legs go through the same account and portfolio rules as single entries, and a pair is
  /// one position toward the cap (seed 002's "Maximum 5 concurrent positions" are pairs): with
  /// room for one position, one pair (two legs) at a time; with room for two, both pairs.
  @Test(arguments: [1, 2])
  func aPairIsOnePositionTowardThePortfolioCap(cap: Int) throws {
    let (a, b) = cointegratedPair(1_000, seed: 21)
    let (c, d) = cointegratedPair(1_000, seed: 22)
    let symbols = ["AAA", "BBB", "CCC", "DDD"]
    let pairs = ParamValue.list([
      .table([("a", .string("AAA")), ("b", .string("BBB"))]),
      .table([("a", .string("CCC")), ("b", .string("DDD"))]),
    ])
    let strategy = try LuaStrategy(
      path: "strategies/zscore_pairs.lua", overrides: [("pairs", pairs, "test")], symbols: symbols)
    var risk = WickConfig()
    risk.governor.maxConcurrentPositions = cap
    let gate = RiskEngine(
      config: risk, strategy: strategy.name, symbols: symbols, initialEquity: 10_000)
    let config = BacktestConfig(
      strategyName: strategy.name, params: strategy.params, timeframe: try Timeframe(parsing: "4h"),
      historyDepth: 60)
    let engine = BacktestEngine(config: config, symbols: symbols, strategy: strategy, risk: gate)
    let r = try engine.run(
      source: MergedCandleSource(
        symbols: symbols, cursors: [a, b, c, d].map { ArrayCandleCursor($0) }))
    #expect(r.error == nil)
    #expect(r.trades.count >= 4)
    if cap == 1 {
      #expect((r.refusals["max_positions"] ?? 0) > 0)
      #expect(mostLegsOpen(r.trades) == 2)
    } else {
      #expect(r.refusals["max_positions"] == nil)
      #expect(mostLegsOpen(r.trades) == 4)
    }
  }

  @Test func zscorePairsOpensAndClosesLegsAsOneUnit() throws {
    let (a, b) = cointegratedPair(1_000, seed: 21)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "pairs-\(UUID().uuidString).json")
    try #"{"pairs": [{"a": "AAA", "b": "BBB"}]}"#.write(to: dir, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: dir) }
    let overrides = try ParamsFile.load(path: dir.path)
    let symbols = ["AAA", "BBB"]
    let strategy = try LuaStrategy(
      path: "strategies/zscore_pairs.lua", overrides: overrides, symbols: symbols)
    let config = BacktestConfig(
      strategyName: strategy.name, params: strategy.params, timeframe: try Timeframe(parsing: "4h"),
      historyDepth: 60)
    let engine = BacktestEngine(
      config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(
        symbols: symbols, cursors: [ArrayCandleCursor(a), ArrayCandleCursor(b)]))
    #expect(r.error == nil, "\(r.error ?? "")")
    let legsA = r.trades.filter { $0.symbol == "AAA" }
    let legsB = r.trades.filter { $0.symbol == "BBB" }
    #expect(legsA.count > 5)
    #expect(legsA.count == legsB.count)
    for (x, y) in zip(legsA, legsB) {
      #expect(x.entryTime == y.entryTime && x.exitTime == y.exitTime)
      #expect(x.side != y.side)
      #expect(x.tag == "AAA/BBB")
    }
    // Mean reversion on a planted cointegrated pair should pay.
    #expect(r.trades.map(\.pnl).reduce(0, +) > 0)
  }
}

/// on_bars alignment and the strategy's own pair cap.
@Suite struct BarsAlignmentTests {
  /// A time at which one symbol has no candle is skipped and reported, never filled in.
  @Test func missingCandlesSkipOnBarsAndAreReported() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "bars-\(UUID().uuidString).lua")
    try """
    return { symbols = { "AAA", "BBB" }, timeframe = "1m",
      on_bars = function(ctx, t, bars) ctx:log("bars", t, bars.AAA.close, bars.BBB.close) end }
    """.write(to: dir, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: dir) }
    let a = (0..<5).map { bar($0, 100, 101, 99, 100 + Double($0)) }
    let b = (0..<5).filter { $0 != 2 }.map { bar($0, 50, 51, 49, 50 + Double($0)) }
    let strategy = try LuaStrategy(path: dir.path)
    let engine = BacktestEngine(
      config: BacktestConfig(strategyName: "bars", timeframe: .oneMinute), symbols: ["AAA", "BBB"],
      strategy: strategy,
      risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(
        symbols: ["AAA", "BBB"], cursors: [ArrayCandleCursor(a), ArrayCandleCursor(b)]))
    let delivered = strategy.logs.map { $0.split(separator: " ")[2] }
    #expect(delivered == ["\(t0)", "\(t0 + 60_000)", "\(t0 + 180_000)", "\(t0 + 240_000)"])
    #expect(strategy.logs[2].hasSuffix("103 53"))  // the candles of the same time, never a stale one
    #expect(
      r.logs.contains { $0.contains("on_bars skipped at 2024-01-01T00:02:00Z: no candle for BBB") })
    #expect(r.limitsInForce.contains { $0.contains("on_bars skipped 1 times") })
  }

  /// zscore_pairs' max_open: with two cointegrated pairs and max_open = 1, never more than one
  /// pair (two legs) is open.
  @Test func zscorePairsRespectsMaxOpen() throws {
    let tf = try Timeframe(parsing: "4h")
    var first = PairSource(seed: 31)
    var second = PairSource(seed: 32)
    let (a, b) = first.series(800, tf: tf)
    let (c, d) = second.series(800, tf: tf)
    let symbols = ["AAA", "BBB", "CCC", "DDD"]
    let pairs = ParamValue.list([
      .table([("a", .string("AAA")), ("b", .string("BBB"))]),
      .table([("a", .string("CCC")), ("b", .string("DDD"))]),
    ])
    let strategy = try LuaStrategy(
      path: "strategies/zscore_pairs.lua",
      overrides: [("pairs", pairs, "test"), ("max_open", .number(1), "test")], symbols: symbols)
    let engine = BacktestEngine(
      config: BacktestConfig(
        strategyName: strategy.name, params: strategy.params, timeframe: tf, historyDepth: 60),
      symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(
        symbols: symbols, cursors: [a, b, c, d].map { ArrayCandleCursor($0) }))
    #expect(r.error == nil)
    #expect(Set(r.trades.map(\.symbol)) == Set(symbols))  // both pairs traded, at different times
    let most = mostLegsOpen(r.trades)
    #expect(most == 2)
  }
}

/// A seeded cointegrated pair: b a random walk, a = 2·b + 50 + an AR(1) spread.
struct PairSource {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func normal() -> Double {
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let u1 = max(Double(state >> 11) / Double(1 << 53), 1e-12)
    state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
    let u2 = Double(state >> 11) / Double(1 << 53)
    return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
  }
  /// Closes of b (a random walk) and a = 2·b + 50 + an AR(1) spread with a half-life of ~2 bars.
  mutating func closes(_ n: Int) -> (a: [Double], b: [Double]) {
    var b = 100.0
    var spread = 0.0
    var out: (a: [Double], b: [Double]) = ([], [])
    for _ in 0..<n {
      b *= 1 + 0.01 * normal()
      spread = 0.7 * spread + 0.5 * normal()
      out.a.append(2 * b + 50 + spread)
      out.b.append(b)
    }
    return out
  }

  mutating func series(_ n: Int, tf: Timeframe) -> (a: [Candle], b: [Candle]) {
    let (a, b) = closes(n)
    func candle(_ i: Int, _ p: Double) -> Candle {
      Candle(
        time: t0 + Int64(i) * tf.milliseconds, open: p, high: p * 1.002, low: p * 0.998, close: p,
        volume: 1)
    }
    return (a.enumerated().map(candle), b.enumerated().map(candle))
  }
}

/// The most positions (legs) open at the same time over a run's trades.
func mostLegsOpen(_ trades: [Trade]) -> Int {
  let events = trades.flatMap { [($0.entryTime, 1), ($0.exitTime, -1)] }.sorted {
    ($0.0, $0.1) < ($1.0, $1.1)
  }
  var open = 0
  var most = 0
  for (_, delta) in events {
    open += delta
    most = max(most, open)
  }
  return most
}
