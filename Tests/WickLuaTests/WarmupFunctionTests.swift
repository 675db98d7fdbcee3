import Foundation
import Testing
import WickCore

@testable import WickLua

/// `warmup = function(p) ... end`: the warmup follows the resolved params, and whatever the
/// function does wrong is refused at load with the script and the field named.
@Suite struct WarmupFunctionTests {
  func load(
    _ warmup: String, overrides: [(name: String, value: ParamValue, source: String)] = [],
    extra: String = "", limits: LuaLimits = LuaLimits()
  ) throws -> LuaStrategy {
    try LuaStrategy(
      path: "strategies/w.lua",
      source: """
        return { symbols = { 'X' }, on_candle = function() end, warmup = \(warmup), \(extra)
          params = { n = { default = 20, min = 1, max = 5000, step = 1 } } }
        """, overrides: overrides, limits: limits)
  }

  @Test func theWarmupFollowsTheParams() throws {
    let f = "function(p) return math.max(10, p.n * 2) end"
    #expect(try load(f).warmup == 40)
    #expect(try load(f, overrides: [("n", .number(3), "test")]).warmup == 10)
    #expect(try load(f, overrides: [("n", .number(700), "test")]).warmup == 1400)
    #expect(try load(f).manifest.warmupFromParams)
    #expect(try !load("15").manifest.warmupFromParams)
    // By timeframe too, like a literal.
    let mtf = try load(
      #"function(p) return { ["5m"] = p.n, ["1h"] = 3 } end"#,
      extra: #"timeframes = { "5m", "1h" },"#)
    #expect((0..<2).map { mtf.warmup(timeframe: $0) } == [20, 3])
  }

  /// The shipped seed-004 bot warms on its longest window: its 24 h volume sum while the filter
  /// is on, its MA's 60 candles when it is off.
  @Test func maCrossDeclaresItsTrueWarmup() throws {
    let path = "strategies/ma_cross.lua"
    #expect(try LuaStrategy(path: path).warmup == 1440)
    #expect(
      try LuaStrategy(path: path, overrides: [try parseParamAssignment("min_quote_volume=0")])
        .warmup == 60)
    #expect(
      try LuaStrategy(path: path, overrides: [try parseParamAssignment("volume_window=2000")])
        .warmup == 2000)
    #expect(
      try LuaStrategy(
        path: "strategies/zscore_pairs.lua",
        overrides: [
          try parseParamAssignment("lookback=500")
        ]
      ).warmup == 500)
  }

  @Test(arguments: [
    ("function(p) return nil end", "'warmup' (the function's result) must be a whole number"),
    ("function(p) return -1 end", "(got -1.0)"),
    ("function(p) return 2.5 end", "(got 2.5)"),
    ("function(p) return 2000000 end", "between 0 and 1000000"),
    ("function(p) return 'lots' end", "(got string)"),
    ("function(p) return { ['4h'] = 3 } end", "names timeframe '4h'"),
    ("function(p) error('no window') end", "no window"),
    ("function(p) p.n = 3 return 3 end", "read-only"),
    ("function(p) return os.time() end", "os"),
  ])
  func badWarmupsAreRefusedNamingTheScript(warmup: String, expected: String) {
    do {
      _ = try load(warmup, extra: #"timeframe = "5m","#)
      Issue.record("\(warmup) loaded")
    } catch {
      let text = "\(error)"
      #expect(text.contains("strategies/w.lua"), "\(text)")
      #expect(text.contains("warmup"), "\(text)")
      #expect(text.contains(expected), "\(text)")
    }
  }

  /// A warmup function that never returns is stopped by the load budget, like the chunk itself.
  @Test func aRunawayWarmupIsStoppedByTheBudget() {
    do {
      _ = try load("function(p) while true do end end", limits: LuaLimits(initSeconds: 0.2))
      Issue.record("loaded")
    } catch {
      #expect("\(error)".contains("strategies/w.lua"), "\(error)")
      #expect("\(error)".contains("in warmup"), "\(error)")
    }
  }
}
