import ArgumentParser
import Foundation
import Testing
import WickCore
import WickLua

@testable import WickCLI

/// `wick check`: good scripts pass with status 0; each kind of mistake is reported with the
/// script's file:line and status 1, without a backtest on cached data.
@Suite struct CheckCommandTests {
  typealias Fixture = BacktestCommandTests.Fixture

  /// A strategy whose on_candle body starts on line 6 (after the warmup).
  func script(_ body: String, top: String = "", params: String = "") -> String {
    """
    return {
      timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 10,\(top)
      params = { \(params) },
      init = function(ctx) ctx.n = 0 end,
      on_candle = function(ctx, c)
        ctx.n = ctx.n + 1 if ctx.n > 20 then \(body) end
      end,
    }
    """
  }

  func problems(_ f: Fixture, _ source: String, db: String? = nil) throws -> [String] {
    let path = f.path("s.lua")
    try source.write(toFile: path, atomically: true, encoding: .utf8)
    return ScriptCheck(path: path, dbPath: db).run().problems
  }

  @Test func shippedAndTemplateScriptsPass() throws {
    let f = try Fixture()
    _ = try StrategyTemplate.create(name: "fresh", in: f.dir.path)
    for s in ["strategies/ma_cross.lua", f.path("strategies/fresh.lua")] {
      let report = ScriptCheck(path: s, dbPath: f.db).run()
      #expect(report.problems.isEmpty, "\(s): \(report.problems)")
      #expect(report.candles >= 300)
    }
    #expect(ScriptCheck(path: f.path("strategies/fresh.lua")).run().trades > 0)
    try CheckCommand.parse(["strategies/ma_cross.lua", f.path("strategies/fresh.lua")]).run()
  }

  @Test func aPairsScriptRunsOnACointegratedPair() throws {
    let report = ScriptCheck(path: "strategies/zscore_pairs.lua").run()
    #expect(report.problems.isEmpty, "\(report.problems)")
  }

  @Test func anUnknownModuleFieldIsNamedWithItsLine() throws {
    let f = try Fixture()
    let p = try problems(f, script("", top: "\n  on_candel = 1,"))
    #expect(p.count == 1)
    #expect(p.first?.hasPrefix(f.path("s.lua") + ":3: unknown field 'on_candel'") == true, "\(p)")
  }

  @Test func aBadParamDefaultIsNamedWithItsLine() throws {
    let f = try Fixture()
    let p = try problems(
      f,
      script(
        "",
        params: "\n    fast = { default = 12 },\n    slow = { default = 900, min = 5, max = 400 },")
    )
    #expect(
      p.first?.hasPrefix(
        f.path("s.lua") + ":5: default: param 'slow': 900 is above the maximum 400") == true, "\(p)"
    )
  }

  @Test func aWronglyTypedIntentIsNamedWithItsLineAndCandle() throws {
    let f = try Fixture()
    var p = try problems(
      f, script("ctx:enter{ symbol = c.symbol, side = 'long', stop = 'below' }"))
    #expect(p.first?.contains("s.lua:6: ctx:enter: 'stop' must be a number") == true, "\(p)")
    #expect(p.first?.contains("in on_candle for BTCUSDT at candle") == true, "\(p)")
    p = try problems(f, script("ctx:exit{ symbol = c.symbol, why = 'x' }"))
    #expect(p.first?.contains("s.lua:6: ctx:exit: unknown field 'why'") == true, "\(p)")
    p = try problems(f, script("local x = nil + 1"))
    #expect(
      p.first?.contains("s.lua:6: attempt to perform arithmetic on a nil value") == true, "\(p)")
  }

  @Test func aSyntaxErrorIsNamedWithItsLine() throws {
    let f = try Fixture()
    let p = try problems(f, script("if then"))
    #expect(p.first?.contains("s.lua:6: ") == true, "\(p)")
  }

  @Test func aTimeframeMissingFromTheCacheIsNamedWithItsLine() throws {
    let f = try Fixture()
    let p = try problems(f, script("").replacingOccurrences(of: "\"1m\"", with: "\"5m\""), db: f.db)
    #expect(p.count == 1)
    #expect(
      p.first?.hasPrefix(f.path("s.lua") + ":2: timeframe 5m: no candles for BTCUSDT 5m") == true,
      "\(p)")
    #expect(p.first?.contains("BTCUSDT is stored as: local 1m") == true, "\(p)")
    #expect(try problems(f, script(""), db: f.db).isEmpty)
    #expect(
      try problems(f, script(""), db: f.path("missing.sqlite")).first?.contains("no candle cache")
        == true)
  }

  @Test func oneBadScriptAmongGoodOnesExitsWithStatusOne() throws {
    let f = try Fixture()
    try script("ctx:enter{ side = 1 }").write(
      toFile: f.path("bad.lua"), atomically: true, encoding: .utf8)
    #expect(throws: ExitCode(1)) {
      try CheckCommand.parse(["strategies/ma_cross.lua", f.path("bad.lua")]).run()
    }
  }
}

extension CheckCommandTests {
  /// A Latin-1 string literal (Lua takes any bytes) passes `wick check` and backtests.
  @Test func aLatin1ScriptIsChecked() throws {
    let f = try Fixture()
    var bytes = Array(script("ctx:log(#s)").utf8)
    bytes.insert(contentsOf: Array("local s = \"caf".utf8) + [0xE9] + Array("\"\n".utf8), at: 0)
    try Data(bytes).write(to: URL(fileURLWithPath: f.path("latin1.lua")))
    #expect(ScriptCheck(path: f.path("latin1.lua")).run().problems.isEmpty)
    let outcome = try BacktestCommand.parse([f.path("latin1.lua"), "--db", f.db, "--quiet"]).job()
      .run()
    #expect(outcome.result.error == nil)
    #expect(outcome.result.logs.first?.hasSuffix(" 4") == true, "\(outcome.result.logs.prefix(2))")
  }
}
