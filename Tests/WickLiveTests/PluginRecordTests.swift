import Foundation
import Testing
import WickCore
import WickData
import WickLua
import WickTesting

@testable import WickLive

/// A strategy whose rule lives in a plugin: enters every `rule.every` candles when flat, exits
/// on the next.
let ruleScript = """
  local rule = require("rule")
  return {
    name = "ruled", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
    on_candle = function(ctx, c)
      ctx.state.n = (ctx.state.n or 0) + 1
      if ctx:position(c.symbol) then
        ctx:exit{ symbol = c.symbol, reason = "rule" }
      elseif ctx.state.n % rule.every == 0 then
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9 }
      end
    end,
  }
  """

/// Replay and resume run the plugins a version recorded, not the files on disk today.
@Suite(.serialized) struct PluginRecordTests {
  func world() throws -> (PaperWorld, String) {
    let w = try PaperWorld()
    try ruleScript.write(toFile: w.script, atomically: true, encoding: .utf8)
    let plugins = w.dir.appendingPathComponent("plugins")
    try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
    let rule = plugins.appendingPathComponent("rule.lua").path
    try "return { every = 3 }".write(toFile: rule, atomically: true, encoding: .utf8)
    return (w, rule)
  }

  @Test func editingAPluginAfterTheRunChangesNeitherItsReplayNorItsResume() async throws {
    let (w, rule) = try world()
    let first = try Runner(spec: w.spec(stopAfter: 9), output: { _ in })
    let id = try first.prepare()
    let run1 = start(first)
    await w.push(w.history..<(w.history + 9), noise: false)
    #expect(try await run1().get() == .stopAfter)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM script_versions WHERE run_id = \(id) AND plugins_json LIKE '%\"rule\":%'"
      )
        == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM script_sources WHERE path = 'plugins/rule.lua' AND text = 'return { every = 3 }'"
      )
        == 1)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent'") >= 2)

    // The plugin is edited (and then broken) after the run: the replay runs the recorded text.
    try "return { every = 2 }".write(toFile: rule, atomically: true, encoding: .utf8)
    let replay = try Runner.replay(run: id, dbPath: w.db)
    #expect(replay.identical, "\(String(describing: replay.firstDivergence))")
    try "return { every = ".write(toFile: rule, atomically: true, encoding: .utf8)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)

    // A resume re-handles the recorded candles with the recorded plugin: no divergence.
    try "return { every = 2 }".write(toFile: rule, atomically: true, encoding: .utf8)
    w.rest.candles = Array(w.candles[0..<(w.history + 9)])
    w.rest.serverTime = w.candles[w.history + 9].time + 1_000
    let second = try Runner(spec: w.spec(stopAfter: 2), output: { _ in })
    #expect(try second.prepare() == id)
    let run2 = start(second)
    await w.push((w.history + 9)..<(w.history + 11), noise: false)
    #expect(try await run2().get() == .stopAfter)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aRecordedVersionRefusesAPluginItDidNotRecord() throws {
    do {
      _ = try LuaStrategy(
        path: "/tmp/none/s.lua", source: ruleScript, symbols: ["BTCUSDT"],
        plugins: ["other": "return {}"])
      Issue.record("a require outside the recorded plugins loaded")
    } catch {
      #expect("\(error)".contains("require 'rule': not among the plugins this version recorded"))
    }
  }
}
