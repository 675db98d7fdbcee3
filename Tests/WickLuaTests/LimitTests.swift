import CLua
import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickLua

/// The limits no script can catch, dodge or stall: each attack ends in bounded time with an
/// error naming what happened, the callback and the candle.
@Suite struct LimitTests {
  /// Runs `body` as on_candle with the short test limits; returns the error and the seconds taken.
  func attack(
    _ body: String, initBody: String = "", limits: LuaLimits = testLimits, polling: Bool = false
  ) -> (message: String, seconds: Double) {
    let start = Date()
    let message = runOnce(
      strategySource(onCandle: body, initBody: initBody), limits: limits, polling: polling)
    return (message ?? "(no error)", Date().timeIntervalSince(start))
  }

  func expectStopped(
    _ body: String, initBody: String = "", limits: LuaLimits = testLimits, polling: Bool = false,
    saying expected: String, sourceLocation: SourceLocation = #_sourceLocation
  ) {
    let (message, seconds) = attack(body, initBody: initBody, limits: limits, polling: polling)
    #expect(message.contains(expected), "\(message)", sourceLocation: sourceLocation)
    #expect(
      message.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z"), "\(message)",
      sourceLocation: sourceLocation)
    // Bounded: well under the 10 s a user would wait (debug builds run the C matcher slower;
    // under ThreadSanitizer everything does, so the bound scales with `testTimeScale` there).
    #expect(seconds < 10 * testTimeScale, "took \(seconds) s", sourceLocation: sourceLocation)
  }

  /// Scripts that try to outlast the time limit: loops, and errors swallowed by the script's own
  /// pcall, xpcall, error handler, `__close` method, gsub callback or sort comparator.
  static let swallowers = [
    "while true do pcall(function() while true do end end) end",
    "while true do xpcall(function() while true do end end, function(e) return e end) end",
    "xpcall(function() while true do end end, function() while true do end end) while true do end",
    // An error handler that swallows and retries forever.
    "local function again() return xpcall(function() while true do end end, again) end again()",
    // __close runs while the error unwinds; its own error would replace the limit's.
    """
    while true do pcall(function()
      local guard <close> = setmetatable({}, { __close = function() error("swallowed") end })
      while true do end
    end) end
    """,
    """
    pcall(function()
      local guard <close> = setmetatable({}, { __close = function() while true do end end })
      while true do end
    end)
    """,
    // Errors are caught inside string.gsub's callback and inside table.sort's comparator.
    "while true do pcall(string.gsub, ('x'):rep(100), 'x', function() while true do end end) end",
    "local t = {3, 1, 2} while true do pcall(table.sort, t, function(a, b) while true do end end) end",
  ]

  @Test(arguments: swallowers)
  func timeLimitCannotBeSwallowed(body: String) {
    expectStopped(body, saying: "time limit exceeded")
  }

  /// Under ThreadSanitizer the watchdog's signal would wait for a libc call that a pure Lua loop
  /// never makes, so states poll for the verdict instead (`Watchdog.signalsAreDeferred`). The
  /// same attacks end the same way in that mode; this runs it in every build.
  @Test(arguments: ["while true do end"] + swallowers)
  func pollingForTheWatchdogStopsTheSameAttacks(body: String) {
    expectStopped(body, polling: true, saying: "time limit exceeded")
  }

  @Test func memoryLimitCannotBeSwallowed() {
    let limits = LuaLimits(memoryBytes: 16 << 20, callbackSeconds: 30)
    expectStopped(
      """
      local function grow() local t = {} while true do t[#t + 1] = ('x'):rep(64) .. #t end end
      while true do pcall(grow) end
      """, limits: limits,
      saying: "memory limit exceeded: the strategy allocated more than its 16 MB cap")
    expectStopped(
      "while true do pcall(string.rep, 'x', 1 << 30) end", limits: limits,
      saying: "memory limit exceeded")
    expectStopped(
      "local t = {} xpcall(function() while true do t[#t + 1] = {} end end, function() while true do end end)",
      limits: limits, saying: "memory limit exceeded")
  }

  @Test func hostMemoryCountsAgainstTheCap() {
    // Indicator buffers are Swift memory: a million-slot SMA per call would exhaust the host.
    expectStopped(
      "for i = 1, 1e5 do pcall(wick.sma, 1000000) end", saying: "memory limit exceeded")
    let (s, host) = try! started(
      strategySource(onCandle: "ctx:log(string.rep('x', 100000))"), limits: testLimits)
    try? s.onCandle(symbol: 0, candle: candle(0), host: host)
    #expect(s.logs.last.map { $0.utf8.count < 4200 } == true)
    #expect(s.logs.last?.hasSuffix("(cut at 4096 bytes)") == true)
  }

  @Test func garbageAloneNeverTripsTheMemoryLimit() {
    // 200 MB of short-lived strings through a 16 MB cap: the collector keeps up (an emergency
    // collection runs before the limit trips).
    #expect(
      runOnce(
        strategySource(onCandle: "for i = 1, 200 do local s = ('x'):rep(1 << 20) .. i end"),
        limits: LuaLimits(memoryBytes: 16 << 20, callbackSeconds: 30)) == nil)
  }

  @Test(arguments: ["find", "match", "gmatch", "gsub"])
  func patternStallsEndAsStuck(function: String) {
    let call: String
    switch function {
    case "gmatch": call = "for m in s:gmatch(p) do end"
    case "gsub": call = "s:gsub(p, '')"
    default: call = "string.\(function)(s, p)"
    }
    let body = "local s, p = string.rep('a', 5000), '.-.-.-.-.-.-.-.-b' \(call)"
    // The step budget is sticky too: catching the error and trying again does not get far.
    expectStopped(
      "while true do pcall(function() \(body) end) end",
      limits: LuaLimits(memoryBytes: 16 << 20, callbackSeconds: 30, patternSteps: 2_000_000),
      saying: "probe.lua:11: stuck in string.\(function)")
    // With a short budget the time limit stops it first, and says where.
    expectStopped(body, saying: "time limit exceeded: stuck in string.\(function)")
  }

  @Test func otherLoopsInCAreBounded() {
    #expect(runOnce(strategySource(onCandle: "assert(string.rep('', 1e15) == '')")) == nil)
    #expect(runOnce(strategySource(onCandle: "assert(('ab'):rep(3, ',') == 'ab,ab,ab')")) == nil)
    expectStopped("table.move({}, 1, 1e15, 1)", saying: "time limit exceeded: stuck in table.move")
    expectStopped(
      "table.sort(ctx.big)",
      initBody: "ctx.big = {} for i = 1, 1e6 do ctx.big[i] = (i * 7919) % 1000003 end",
      limits: LuaLimits(
        memoryBytes: 64 << 20, callbackSeconds: 0.05, initSeconds: 30, hardDeadlineSeconds: 5),
      saying: "time limit exceeded: stuck in table.sort")
  }

  @Test func sandboxedTableFunctionsBehaveLikeLuas() {
    let checks = """
      local t = {5, 3, 9, 1} table.sort(t) assert(table.concat(t, ',') == '1,3,5,9')
      local big = {} for i = 1, 5000 do big[i] = (i * 37) % 5003 end table.sort(big)
      for i = 2, #big do assert(big[i - 1] <= big[i]) end
      table.sort(t, function(a, b) return a > b end) assert(table.concat(t, ',') == '9,5,3,1')
      local ok, err = pcall(table.sort, {1, 'x', 2, 3, 4, 5, 6})
      assert(not ok and err:find('attempt to compare'), err)
      local m = table.move({1, 2, 3, 4, 5}, 2, 4, 1) assert(table.concat(m, ',') == '2,3,4,4,5')
      m = table.move({1, 2, 3, 4, 5}, 1, 3, 3) assert(table.concat(m, ',') == '1,2,1,2,3')
      local dst = table.move({1, 2}, 1, 2, 2, {}) assert(dst[1] == nil and dst[3] == 2)
      local ok2, err2 = pcall(table.move, {}, 1, math.maxinteger, 2)
      assert(not ok2 and err2:find('destination wrap around'), err2)
      assert(getmetatable(setmetatable({}, { __index = {} })) ~= nil)
      """
    #expect(runOnce(strategySource(onCandle: checks)) == nil)
  }

  @Test func finalizersAreRefused() {
    expectStopped(
      "setmetatable({}, { __gc = function() while true do end end }) for i = 1, 1e6 do local t = {} end",
      saying: "probe.lua:11: setmetatable: a metatable with '__gc' is not allowed")
    expectStopped(
      "setmetatable({}, { __gc = false })", saying: "'__gc' is not allowed")
    // Adding __gc after the metatable is set does not mark the object (Lua 5.4), so it never runs.
    // The loop that drives the collector gets a budget stretched like the build (a sanitizer's
    // allocator is slow): what is tested is that no finalizer runs, not how fast tables are made.
    var stretched = testLimits
    stretched.callbackSeconds = testTimeScale  // 1 s; 20 s under ThreadSanitizer
    #expect(
      runOnce(
        strategySource(
          onCandle: """
            local mt = {} setmetatable({}, mt) mt.__gc = function() while true do end end
            for i = 1, 1e5 do local t = {} end
            """), limits: stretched) == nil)
  }

  @Test(
    .disabled(
      if: Watchdog.signalsAreDeferred,
      "under ThreadSanitizer every callback runs with the watchdog's poll hook"))
  func callbacksWithinBudgetRunWithNoHook() throws {
    let (s, host) = try started(
      strategySource(onCandle: "ctx:log('hi')"), limits: testLimits)
    var hooked: [Bool] = []
    s.onLog = { _ in hooked.append(lua_gethook(s.state.L) != nil) }
    for i in 0..<5 { try s.onCandle(symbol: 0, candle: candle(i), host: host) }
    #expect(hooked == [false, false, false, false, false])
  }

  @Test func aStateThatTrippedRunsAgainNextCall() throws {
    // The limit stays tripped until control is back in the host, and no longer.
    let (s, host) = try started(
      strategySource(onCandle: "if c.t == 1704067200000 then while true do end end ctx:log('ok')"),
      limits: testLimits)
    #expect(throws: WickError.self) { try s.onCandle(symbol: 0, candle: candle(0), host: host) }
    try s.onCandle(symbol: 0, candle: candle(1), host: host)
    #expect(s.logs.last?.hasSuffix("ok") == true)
  }

  @Test func errorsInInitNameInit() {
    let message = runOnce(strategySource(onCandle: "", initBody: "while true do end"))
    #expect(message?.contains("time limit exceeded") == true, "\(message ?? "nil")")
    #expect(message?.contains("in init") == true, "\(message ?? "nil")")
  }

  @Test func aCallbackStuckInCIsAbandonedAtTheHardDeadline() throws {
    // Compiling a few MB of source runs in C with no hook and no step count: it stands for C
    // code the sandbox did not foresee.
    let limits = LuaLimits(
      memoryBytes: 256 << 20, callbackSeconds: 0.02, initSeconds: 5, hardDeadlineSeconds: 0.05)
    let (s, host) = try started(
      strategySource(
        onCandle: "load(ctx.source)",
        initBody: "ctx.source = string.rep('a = 1 ', 3e6)"), limits: limits)
    let reported = ReportBox()
    s.onStuck = { reported.set($0) }
    let start = Date()
    do {
      try s.onCandle(symbol: 0, candle: candle(0), host: host)
      Issue.record("a stuck callback must fail")
    } catch {
      #expect("\(error)".contains("the strategy's Lua state was abandoned"), "\(error)")
      #expect("\(error)".contains("in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z"))
    }
    // Under ThreadSanitizer the 18 MB compile took 10.8 s on shared cores: the bound scales there.
    #expect(Date().timeIntervalSince(start) < 10 * testTimeScale)
    // The state is never run again.
    #expect(throws: WickError.self) { try s.onCandle(symbol: 0, candle: candle(1), host: host) }
    let message = try #require(reported.value)
    #expect(
      message.contains(
        "probe.lua: time limit exceeded: still running 0.05 s past its 0.02 s budget"), "\(message)"
    )
    #expect(message.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z"))
  }

  @Test func aTrippedLimitIsToldFromTheScriptsOwnError() {
    // `wick optimize` records a set the sandbox stopped and goes on; the script's own error ends
    // the sweep. The message is all it has to tell them apart.
    func message(_ body: String) -> String {
      do {
        let (s, host) = try started(strategySource(onCandle: body), limits: testLimits)
        try s.onCandle(symbol: 0, candle: candle(0), host: host)
        return "(no error)"
      } catch WickError.script(let m) { return m } catch { return "\(error)" }
    }
    for limit in [
      "while true do end", "local t = {} for i = 1, 1e8 do t[i] = i end",
      "string.find(string.rep('a', 5000), '.-.-.-.-.-.-.-.-b')",
    ] {
      let m = message(limit)
      #expect(SandboxLimit.stopped(m), "\(limit): \(m)")
    }
    for own in ["error('x=2 breaks')", "local t = nil; t.x = 1", "ctx:enter{}"] {
      let m = message(own)
      #expect(m != "(no error)" && !SandboxLimit.stopped(m), "\(own): \(m)")
    }
  }
}

/// Collects the watchdog's report (it arrives on the watchdog's thread).
final class ReportBox: @unchecked Sendable {
  private let lock = NSLock()
  private var message: String?
  func set(_ m: String) { lock.withLock { message = m } }
  var value: String? { lock.withLock { message } }
}
