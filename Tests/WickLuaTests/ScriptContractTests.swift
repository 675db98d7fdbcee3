import Testing
import WickCore

@testable import WickLua

@Suite struct ScriptContractTests {
  func load(_ source: String, overrides: [(name: String, value: ParamValue, source: String)] = [])
    throws -> LuaStrategy
  {
    let dir = ScriptDir()
    defer { dir.cleanup() }
    return try LuaStrategy(path: dir.write("s.lua", source), overrides: overrides)
  }

  @Test func manifestIsRead() throws {
    let s = try LuaStrategy(path: "strategies/ma_cross.lua")
    #expect(s.manifest.name == "ma_cross")
    #expect(s.manifest.timeframe?.description == "1m")
    #expect(s.warmup == 1440)  // its 24 h volume sum (WarmupFunctionTests)
    #expect(
      s.params.map(\.name) == [
        "allow_short", "eval_every", "min_quote_volume", "period", "stop_pct", "take_pct",
        "threshold", "volume_window",
      ])
    #expect(s.params.first { $0.name == "period" }?.value == .number(60))
  }

  @Test func paramOverridesAreValidated() throws {
    let path = "strategies/ma_cross.lua"
    let ok = try LuaStrategy(path: path, overrides: [try parseParamAssignment("period=120")])
    #expect(ok.params.first { $0.name == "period" }?.value == .number(120))
    for (text, expected) in [
      ("period=3", "below the minimum 5"), ("period=501", "above the maximum 500"),
      ("period=62", "not on the grid"), ("perod=60", "unknown param 'perod'"),
      ("allow_short=maybe", "expected true or false"), ("threshold=abc", "expected a number"),
    ] {
      #expect(throws: WickError.self, "\(text)") {
        try LuaStrategy(path: path, overrides: [try parseParamAssignment(text)])
      }
      do { _ = try LuaStrategy(path: path, overrides: [try parseParamAssignment(text)]) } catch {
        #expect("\(error)".contains(expected), "\(text): \(error)")
      }
    }
  }

  @Test func choicesAndListsAreValidated() throws {
    let src = """
      return { name = "c", symbols = {"A"}, on_candle = function() end,
        params = { mode = { default = "fixed", choices = { "fixed", "trailing" } },
                   pairs = { default = { { a = "A", b = "B" } } } } }
      """
    let s = try load(src, overrides: [("mode", .string("trailing"), "test")])
    #expect(s.params.first { $0.name == "mode" }?.value == .string("trailing"))
    #expect(
      s.params.first { $0.name == "pairs" }?.value
        == .list([.table([("a", .string("A")), ("b", .string("B"))])]))
    #expect(throws: WickError.self) {
      try load(src, overrides: [("mode", .string("random"), "test")])
    }
    #expect(throws: WickError.self) { try load(src, overrides: [("pairs", .number(3), "test")]) }
  }

  @Test func moduleMistakesAreNamed() {
    let cases: [(String, String)] = [
      ("return 42", "must return the strategy table"),
      ("return { on_candel = function() end }", "unknown field 'on_candel'"),
      ("return { name = 'x' }", "needs an on_candle"),
      ("return { on_candle = function() end, timeframe = '7x' }", "timeframe '7x'"),
      ("return { on_candle = function() end, warmup = -1 }", "'warmup' must be"),
      (
        "return { on_candle = function() end, params = { p = { default = 1, min = 5 } } }",
        "below the minimum"
      ),
      ("return { on_candle = function( end }", "s.lua:1:"),
    ]
    for (src, expected) in cases {
      do {
        _ = try load(src)
        Issue.record("\(src) loaded")
      } catch {
        #expect("\(error)".contains(expected), "\(src): \(error)")
      }
    }
  }

  @Test func emptyOrMissingParamsMeanNoParams() throws {
    for src in [
      "return { symbols = { \"X\" }, on_candle = function() end, params = {} }",
      "return { symbols = { \"X\" }, on_candle = function() end }",
    ] {
      #expect(try load(src).params.isEmpty, "\(src)")
    }
    #expect(throws: WickError.self) {
      try load("return { symbols = { \"X\" }, on_candle = function() end, params = { 5 } }")
    }
  }

  @Test func paramsAreReadOnlyAndContextIsWritable() {
    #expect(runOnce(strategySource(onCandle: "ctx.counter = (ctx.counter or 0) + 1")) == nil)
    let m = runOnce(strategySource(onCandle: "ctx.params.x = 1"))
    #expect(m?.contains("read-only table 'params'") == true, "\(m ?? "nil")")
  }

  @Test func enterValidatesItsTable() {
    let cases: [(String, String)] = [
      ("ctx:enter{ side = 'long', stop = 1, stopp = 2 }", "unknown field 'stopp'"),
      ("ctx:enter{ side = 'up', stop = 1 }", "'side' must be"),
      ("ctx:enter{ side = 'long', stop = 'low' }", "'stop' must be a number"),
      ("ctx:enter{ symbol = 'ETHUSDT', side = 'long', stop = 1 }", "unknown symbol 'ETHUSDT'"),
      ("ctx:enter('long')", "expects a table"),
    ]
    for (code, expected) in cases {
      let m = runOnce(strategySource(onCandle: code))
      #expect(m?.contains(expected) == true, "\(code): \(m ?? "nil")")
    }
  }

  @Test func intentsReachTheHostWithTheirFields() throws {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local ok, qty = ctx:enter{ symbol = c.symbol, side = "short", stop = c.close + 5, take = c.close - 10, tag = "t1" }
          assert(ok == true and qty == 1)
          """))
    try s.onCandle(symbol: 0, candle: candle(0, close: 200), host: host)
    #expect(host.intents == [OrderIntent(symbol: 0, side: .short, stop: 205, take: 190, tag: "t1")])
  }

  @Test func positionTableReflectsTheHost() throws {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local p = ctx:position(c.symbol)
          if p then ctx:log(p.side, p.qty, p.entry, p.stop) else ctx:log("flat") end
          """))
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    host.positions[0] = Position(
      symbol: 0, side: .long, qty: 2, entry: 100.5, stop: 98, take: nil, trail: nil, openedAt: 0,
      initialRisk: 5,
      entryFees: 0, entrySpread: 0, entrySlippage: 0)
    try s.onCandle(symbol: 0, candle: candle(1), host: host)
    try s.onCandle(symbol: 0, candle: candle(2), host: host)
    host.positions[0]!.stop = 99
    try s.onCandle(symbol: 0, candle: candle(3), host: host)
    #expect(
      s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) } == [
        "flat", "long 2 100.5 98", "long 2 100.5 98", "long 2 100.5 99",
      ])
  }

  /// `ctx:position` asks for a symbol, or the run's only one when given none (nil or false);
  /// an unknown symbol is an error at the script's line that names what the run trades.
  @Test func positionLooksUpItsSymbolAndNamesAnUnknownOne() throws {
    let flat = """
      assert(ctx:position() == nil and ctx:position(c.symbol) == nil and ctx:position(nil) == nil)
      assert(ctx:position(false) == nil and ctx.position(ctx) == nil and select("#", ctx:position()) == 1)
      local ok, e = pcall(ctx.position, ctx, "X")
      assert(not ok and e == "ctx:position: unknown symbol 'X'; this run trades BTCUSDT", e)
      """
    #expect(runOnce(strategySource(onCandle: flat)) == nil)
    for (code, expected) in [
      ("ctx:position('ETHUSDT')", "unknown symbol 'ETHUSDT'; this run trades BTCUSDT"),
      ("ctx:position(7)", "unknown symbol '7'; this run trades BTCUSDT"),
      ("ctx:position({})", "unknown symbol 'table: 0x"),
    ] {
      let m = runOnce(strategySource(onCandle: code))
      #expect(
        m?.contains("probe.lua:11: ctx:position: " + expected) == true, "\(code): \(m ?? "nil")")
    }
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local p = ctx:position()
          assert(rawequal(p, ctx:position(c.symbol)) and rawequal(p, ctx:position(false)))
          ctx:log(p and p.side or "flat")
          """))
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    host.positions[0] = Position(
      symbol: 0, side: .short, qty: 1, entry: 100, stop: 101, take: nil, trail: nil, openedAt: 0,
      initialRisk: 1, entryFees: 0, entrySpread: 0, entrySlippage: 0)
    try s.onCandle(symbol: 0, candle: candle(1), host: host)
    #expect(s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) } == ["flat", "short"])

    // With several symbols there is no default.
    let dir = ScriptDir()
    defer { dir.cleanup() }
    let pair = try LuaStrategy(
      path: dir.write(
        "pair.lua",
        strategySource(onCandle: "assert(ctx:position('ETHUSDT') == nil); ctx:position()")))
    try pair.start(host: RecordingHost(symbols: ["BTCUSDT", "ETHUSDT"]))
    #expect {
      try pair.onCandle(
        symbol: 0, candle: candle(0), host: RecordingHost(symbols: ["BTCUSDT", "ETHUSDT"]))
    } throws: { error in
      "\(error)".contains(
        "pair.lua:11: ctx:position: unknown symbol 'nil'; this run trades BTCUSDT, ETHUSDT")
    }
  }

  @Test func historyIsBoundedByWarmup() {
    #expect(runOnce(strategySource(onCandle: "local h = ctx:history(c.symbol, 5)")) == nil)
    let m = runOnce(strategySource(onCandle: "ctx:history(c.symbol, 6)"))
    #expect(m?.contains("between 1 and the strategy's warmup (5)") == true, "\(m ?? "nil")")
  }

  @Test func stateSurvivesExportAndImport() throws {
    let source = strategySource(onCandle: "ctx.state.n = (ctx.state.n or 0) + 1")
    let (a, host) = try started(source)
    for i in 0..<3 { try a.onCandle(symbol: 0, candle: candle(i), host: host) }
    let saved = try #require(a.exportState())
    #expect(saved == .table([("n", .number(3))]))
    let (b, _) = try started(source)
    b.importState(saved)
    try b.onCandle(symbol: 0, candle: candle(3), host: host)
    #expect(b.exportState() == .table([("n", .number(4))]))
  }
}
