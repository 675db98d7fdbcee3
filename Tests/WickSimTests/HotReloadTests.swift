import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// Hot reload in a running engine: the new version takes over between two candles with its
/// indicators warmed and ctx.state carried over; a broken edit leaves the running version alone.
@Suite struct HotReloadTests {
  /// Candles whose source edits the script when it reaches given indices (like a user saving).
  final class EditingSource: CandleSource {
    let symbols = ["BTCUSDT"]
    let candles: [Candle]
    var edits: [Int: () -> Void]
    var i = 0
    init(_ candles: [Candle], edits: [Int: () -> Void]) {
      self.candles = candles
      self.edits = edits
    }
    func next() throws -> SymbolCandle? {
      guard i < candles.count else { return nil }
      edits[i]?()
      defer { i += 1 }
      return SymbolCandle(symbol: 0, candle: candles[i])
    }
  }

  func script(side: String) -> String {
    """
    return { symbols = { "BTCUSDT" }, timeframe = "1m", warmup = 5,
      init = function(ctx) ctx.sma = wick.sma(5) end,
      on_candle = function(ctx, c)
        ctx.state.n = (ctx.state.n or 0) + 1
        local m = ctx.sma:update(c.close)
        local p = ctx:position(c.symbol)
        if p and c.t - p.opened_at >= 120000 then ctx:exit{ symbol = c.symbol }
        elseif not p and m then
          ctx:enter{ symbol = c.symbol, side = "\(side)", stop = "\(side)" == "long" and c.close * 0.5 or c.close * 1.5 }
        end
        ctx:log("n", ctx.state.n, "warm", m ~= nil)
      end }
    """
  }

  @Test func newVersionTakesOverWithStateAndWarmIndicators() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "reload-\(UUID().uuidString).lua")
    defer { try? FileManager.default.removeItem(at: url) }
    try script(side: "long").write(to: url, atomically: false, encoding: .utf8)
    var events: [String] = []
    let strategy = try ReloadingStrategy(checkInterval: 0) {
      try LuaStrategy(path: url.path, overrides: $0)
    }
    strategy.onEvent = { events.append($0) }
    let candles = (0..<90).map { bar($0, 100, 101, 99, 100 + Double($0 % 7)) }
    let source = EditingSource(
      candles,
      edits: [
        40: { try? self.script(side: "short").write(to: url, atomically: false, encoding: .utf8) },
        70: { try? "return { broken".write(to: url, atomically: false, encoding: .utf8) },
      ])
    let engine = BacktestEngine(
      config: BacktestConfig(strategyName: "reload", timeframe: .oneMinute, historyDepth: 5),
      symbols: ["BTCUSDT"],
      strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(source: source)
    #expect(r.error == nil)
    #expect(strategy.reloads == 1)
    #expect(events.count == 2)
    #expect(events[0].hasPrefix("reloaded") && events[1].hasPrefix("reload failed"))
    #expect(events[1].contains(".lua:1:"))
    let before = r.trades.filter { $0.entryTime < t0 + 40 * 60_000 }
    let after = r.trades.filter { $0.entryTime > t0 + 41 * 60_000 }
    #expect(!before.isEmpty && before.allSatisfy { $0.side == .long })
    #expect(!after.isEmpty && after.allSatisfy { $0.side == .short })  // v2 kept running after the broken edit
    // State carried over: the new version's first candle continues the count (candle k is the
    // (k+1)-th), and its SMA was warm at once from the replay.
    let firstNew = try #require(strategy.current.logs.first)
    let minute = Int(firstNew.dropFirst(14).prefix(2))!
    #expect(firstNew.hasSuffix("n \(minute + 1) warm true"), "\(firstNew)")
    #expect((38...41).contains(minute))
  }

  @Test func paramsOnlyReloadValidatesLikeStart() throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "reload-\(UUID().uuidString).lua")
    defer { try? FileManager.default.removeItem(at: url) }
    try """
    return { symbols = { "BTCUSDT" }, params = { k = { default = 1, min = 1, max = 5 } },
      on_candle = function(ctx, c) ctx:log("k", ctx.params.k) end }
    """.write(to: url, atomically: false, encoding: .utf8)
    let strategy = try ReloadingStrategy(checkInterval: 1_000) {
      try LuaStrategy(path: url.path, overrides: $0)
    }
    let engine = BacktestEngine(
      config: BacktestConfig(strategyName: "p", timeframe: .oneMinute), symbols: ["BTCUSDT"],
      strategy: strategy,
      risk: FixedFractionSizer())
    _ = try engine.run(
      source: MergedCandleSource(
        symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor([bar(0, 1, 1, 1, 1)])]))
    #expect(!strategy.reload(params: [("k", .number(9), "dashboard")], host: engine.kernel))
    #expect(strategy.current.params.first?.value == .number(1))
    #expect(strategy.reload(params: [("k", .number(3), "dashboard")], host: engine.kernel))
    #expect(strategy.current.params.first?.value == .number(3))
  }
}

/// A params file edited after an override (a resumed run starts from its recorded params, which
/// name every param; the dashboard's set_param overrides one): the edited param takes the file's
/// new value, and the params the edit left alone keep their overrides.
@Suite struct ParamsFileEditTests {
  @Test func anEditInTheParamsFileWinsOverAnEarlierOverrideOfThatParam() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "params-edit-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("p.lua")
    try """
    return { symbols = { "BTCUSDT" }, timeframe = "1m",
      params = { level = { default = 1, min = 0, max = 100 }, other = { default = 1, min = 0, max = 100 } },
      on_candle = function(ctx, c) end }
    """.write(to: script, atomically: true, encoding: .utf8)
    let file = dir.appendingPathComponent("params.json").path
    try #"{"level": 3, "other": 1}"#.write(toFile: file, atomically: true, encoding: .utf8)
    // The edit below keeps the file's size and lands within moments of this write: only the
    // inode (an atomic write replaces the file) or the nanoseconds of its time tell them apart.
    // As a resume starts: every param pinned to its recorded value, `other` from a set_param.
    let recorded: [(name: String, value: ParamValue, source: String)] = [
      ("level", .number(3), "recorded"), ("other", .number(9), "set_param"),
    ]
    let strategy = try ReloadingStrategy(
      overrides: recorded, paramsFile: file, checkInterval: 0
    ) { try LuaStrategy(path: script.path, overrides: try ParamsFile.load(path: file) + $0) }
    let source = HotReloadTests.EditingSource(
      (0..<30).map { bar($0, 100, 101, 99, 100) },
      edits: [
        10: {
          try? #"{"level": 5, "other": 1}"#.write(toFile: file, atomically: true, encoding: .utf8)
        }
      ])
    let engine = BacktestEngine(
      config: BacktestConfig(strategyName: "p", timeframe: .oneMinute, historyDepth: 1),
      symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(source: source)
    #expect(r.error == nil)
    #expect(strategy.reloads == 1)
    let params = Dictionary(
      uniqueKeysWithValues: strategy.current.params.map { ($0.name, $0.value) })
    #expect(params["level"] == .number(5))  // the edit wins over the recorded 3
    #expect(params["other"] == .number(9))  // untouched in the file: the set_param stays
  }
}
