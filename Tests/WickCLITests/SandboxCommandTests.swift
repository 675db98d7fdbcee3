import ArgumentParser
import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickCLI

/// `wick backtest` with scripts that attack the sandbox or make mistakes: each run ends quickly
/// with exit status 1 and an error that names the script's line, the callback and the candle.
@Suite struct SandboxCommandTests {
  typealias Fixture = BacktestCommandTests.Fixture

  /// A strategy whose on_candle (line 4) runs `body` from the 3rd candle on.
  func script(onCandle body: String, initBody: String = "", extra: String = "") -> String {
    """
    return { symbols = { "BTCUSDT" }, timeframe = "1m", \(extra)
      init = function(ctx) \(initBody) end,
      on_candle = function(ctx, c)
        if c.t >= 1704067320000 then \(body) end
      end }
    """
  }

  /// Runs the command on `source`; returns the error it ended with and the seconds it took.
  func failingRun(_ f: Fixture, _ source: String, name: String = "attack.lua") throws -> (
    error: String, seconds: Double
  ) {
    try source.write(toFile: f.path(name), atomically: true, encoding: .utf8)
    let args = [f.path(name), "--db", f.db, "--quiet", "--no-config"]
    #expect(throws: ExitCode.self) { try BacktestCommand.parse(args).run() }
    let start = Date()
    do {
      let outcome = try BacktestCommand.parse(args).job().run()
      return (outcome.result.error ?? "(no error)", Date().timeIntervalSince(start))
    } catch {
      return ("\(error)", Date().timeIntervalSince(start))
    }
  }

  @Test(needsWatchdogSignal) func aPcallLoopEndsWithTheTimeLimit() throws {
    let f = try Fixture()
    let (error, seconds) = try failingRun(
      f, script(onCandle: "while true do pcall(function() while true do end end) end"))
    #expect(
      error.contains("attack.lua:4: time limit exceeded (the budget is 1 s per call)"), "\(error)")
    #expect(error.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:02:00Z"), "\(error)")
    #expect(seconds < 5)
  }

  @Test func aPatternStallEndsAsStuck() throws {
    let f = try Fixture()
    let (error, seconds) = try failingRun(
      f, script(onCandle: "string.find(string.rep('a', 5000), '.-.-.-.-.-.-.-.-b')"))
    // The step budget or, in a slow debug build, the 1 s time limit stops it first.
    #expect(error.contains("attack.lua:4: "), "\(error)")
    #expect(error.contains("stuck in string.find"), "\(error)")
    #expect(error.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:02:00Z"), "\(error)")
    #expect(seconds < 5)
  }

  @Test func aFinalizerIsRefused() throws {
    let f = try Fixture()
    let (error, _) = try failingRun(
      f,
      script(
        onCandle:
          "setmetatable({}, { __gc = function() while true do end end }) local t = {} for i = 1, 1e6 do t = {} end"
      ))
    #expect(
      error.contains("attack.lua:4: setmetatable: a metatable with '__gc' is not allowed"),
      "\(error)")
  }

  @Test func anErrorInInitIsTheErrorReported() throws {
    let f = try Fixture()
    let (error, _) = try failingRun(f, script(onCandle: "", initBody: "error('bad setup')"))
    #expect(error.contains("attack.lua:2: bad setup"), "\(error)")
    #expect(error.contains("in init"), "\(error)")
    #expect(!error.contains("no candles"), "\(error)")
  }

  @Test func emptyOrMissingParamsAreAccepted() throws {
    let f = try Fixture()
    for extra in ["params = {},", ""] {
      try script(onCandle: "", extra: extra).write(
        toFile: f.path("p.lua"), atomically: true, encoding: .utf8)
      let outcome = try BacktestCommand.parse([f.path("p.lua"), "--db", f.db, "--no-config"]).job()
        .run()
      #expect(outcome.result.error == nil)
      #expect(outcome.result.candles == 20_000)
    }
  }

  @Test func aTakeOnTheWrongSideIsRefusedAndCounted() throws {
    let f = try Fixture()
    try script(
      onCandle: """
        if not ctx:position() then
          local ok, why = ctx:enter{ side = "long", stop = c.close * 0.98, take = c.close * 0.99 }
          if not ok then ctx:log(why) end
        end
        """
    ).write(toFile: f.path("take.lua"), atomically: true, encoding: .utf8)
    var lines: [String] = []
    var job = try BacktestCommand.parse([f.path("take.lua"), "--db", f.db, "--no-config"]).job()
    job.onLog = { lines.append($0) }
    let outcome = try job.run()
    #expect(outcome.result.trades.isEmpty)
    #expect(outcome.result.refusals["take_wrong_side"] == 19_998)
    #expect(lines.first?.contains("take_wrong_side: take ") == true, "\(lines.first ?? "")")
    #expect(lines.first?.contains("is not on the winning side of") == true)
  }

  /// The hard deadline ends the process: run the real binary on a callback stuck in C code (a
  /// large `load`, which no limit interrupts) with a short budget.
  @Test func aCallbackStuckInCEndsTheProcessWithStatusOne() throws {
    let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("wick")
    guard FileManager.default.isExecutableFile(atPath: binary.path) else {
      Issue.record("build the wick product first (swift build): \(binary.path)")
      return
    }
    let f = try Fixture()
    try script(
      onCandle: "load(ctx.source)", initBody: "ctx.source = string.rep('a = 1 ', 3e6)"
    ).write(toFile: f.path("stuck.lua"), atomically: true, encoding: .utf8)
    try """
    [sandbox]
    callback_seconds = 0.02
    hard_deadline_seconds = 0.05
    memory_mb = 512
    """.write(toFile: f.path("w.toml"), atomically: true, encoding: .utf8)
    let p = Process()
    p.executableURL = binary
    p.arguments = ["backtest", f.path("stuck.lua"), "--db", f.db, "--config", f.path("w.toml")]
    let stderr = Pipe()
    p.standardError = stderr
    p.standardOutput = FileHandle.nullDevice
    let start = Date()
    try p.runWithDeadline()
    let output = String(decoding: stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    #expect(p.terminationStatus == 1)
    #expect(Date().timeIntervalSince(start) < 10)
    #expect(
      output.contains(
        "stuck.lua: time limit exceeded: still running 0.05 s past its 0.02 s budget"), "\(output)")
    #expect(output.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:02:00Z"), "\(output)")
  }
}

/// In-process runs whose script must be interrupted in a pure Lua loop by the watchdog's signal:
/// not under ThreadSanitizer, which holds that signal until libc is called (`ThreadSanitizer`).
let needsWatchdogSignal = ConditionTrait.disabled(
  if: ThreadSanitizer.isActive, Comment(rawValue: ThreadSanitizer.reason))
