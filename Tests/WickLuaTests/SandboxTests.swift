import Testing
import WickCore

@testable import WickLua

/// Every way out of the sandbox we know of must fail with a clear error naming file:line and
/// the callback, and must never crash the host.
@Suite struct SandboxTests {
  @Test(arguments: [
    ("local f = io.open('/etc/passwd')", "'io' is not available"),
    ("os.execute('echo pwned')", "'os' is not available"),
    ("require 'os'", "module not found"),
    ("require '../x'", "module names may only contain"),
    ("package.loadlib('libc.so.6', 'system')", "'package' is not available"),
    ("load(string.dump(function() end))", "string.dump is not available"),
    ("debug.getregistry()", "'debug' is not available"),
    ("dofile('/etc/passwd')", "'dofile' is not available"),
    ("collectgarbage('stop')", "'collectgarbage' is not available"),
    ("leaked = 1", "attempt to write global 'leaked'"),
    ("string.rep = nil", "read-only table 'string'"),
    ("rawset(_ENV, 'x', 1)", "'rawset' is not available"),
    ("coroutine.wrap(function() while true do end end)()", "'coroutine' is not available"),
  ])
  func breakoutAttemptsFailClearly(code: String, expected: String) {
    let message = runOnce(strategySource(onCandle: code))
    #expect(message != nil, "\(code) should fail")
    #expect(message?.contains(expected) == true, "\(code): \(message ?? "nil")")
    #expect(message?.contains("probe.lua:") == true, "names file:line: \(message ?? "nil")")
    #expect(message?.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z") == true)
  }

  @Test func binaryChunksAreRefused() {
    // A binary chunk starts with ESC "Lua"; load must refuse it even as a string.
    let message = runOnce(
      strategySource(onCandle: #"local f, err = load("\27Lua\84\0") ; error(err)"#))
    #expect(message?.contains("binary chunk") == true, "\(message ?? "nil")")
    let viaFunction = runOnce(strategySource(onCandle: "load(function() return nil end)"))
    #expect(viaFunction?.contains("only source text") == true, "\(viaFunction ?? "nil")")
  }

  @Test func infiniteLoopHitsTheTimeLimit() {
    let message = runOnce(strategySource(onCandle: "while true do end"))
    #expect(message?.contains("probe.lua:11: time limit exceeded") == true, "\(message ?? "nil")")
    #expect(message?.contains("in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z") == true)
  }

  @Test func memoryBombsHitTheCap() {
    let stringBomb = runOnce(strategySource(onCandle: "local s = string.rep('x', 1 << 30)"))
    #expect(stringBomb?.contains("memory limit exceeded") == true, "\(stringBomb ?? "nil")")
    let tableBomb = runOnce(
      strategySource(onCandle: "local t = {} for i = 1, 1e9 do t[i] = {i} end"),
      limits: LuaLimits(memoryBytes: 8 << 20, callbackSeconds: 30))
    #expect(tableBomb?.contains("memory limit exceeded") == true, "\(tableBomb ?? "nil")")
  }

  @Test func deepRecursionIsStopped() {
    let message = runOnce(
      strategySource(onCandle: "local function f(n) return 1 + f(n + 1) end f(1)"),
      limits: LuaLimits(memoryBytes: 64 << 20, callbackSeconds: 30))
    #expect(message != nil)
    #expect(
      message!.contains("stack overflow") || message!.contains("memory limit exceeded"),
      "\(message!)")
  }

  @Test func stringMethodsStillWorkButDumpIsGone() {
    #expect(
      runOnce(
        strategySource(
          onCandle: "assert(('ab'):rep(2) == 'abab') assert(string.format('%d', 3) == '3')")) == nil
    )
    #expect(
      runOnce(strategySource(onCandle: "('x'):dump()"))?.contains("string.dump is not available")
        == true)
  }

  @Test func randomIsSeededPerRun() throws {
    let src = strategySource(onCandle: "ctx:log(math.random(1, 1000000))")
    var seen: [String] = []
    for _ in 0..<2 {
      let (s, host) = try started(src)
      try s.onCandle(symbol: 0, candle: candle(0), host: host)
      seen.append(s.logs.joined())
    }
    #expect(seen[0] == seen[1])
  }

  @Test func pluginsLoadThroughTheSandboxedRequire() throws {
    let dir = ScriptDir()
    defer { dir.cleanup() }
    _ = dir.write(
      "plugins/levels/util.lua", "local M = {} function M.double(x) return 2 * x end return M")
    let path = dir.write(
      "p.lua", strategySource(onCandle: "local u = require 'levels.util' ctx:log(u.double(21))"))
    let s = try LuaStrategy(
      path: path, pluginRoots: [dir.root.appendingPathComponent("plugins").path])
    let host = RecordingHost()
    try s.start(host: host)
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    #expect(s.logs.last?.hasSuffix("42") == true)
    #expect(s.sourceFiles.contains { $0.hasSuffix("levels/util.lua") })
  }

  @Test func pluginsCannotEscapeEither() throws {
    let dir = ScriptDir()
    defer { dir.cleanup() }
    _ = dir.write("plugins/evil.lua", "return io.open('/etc/passwd')")
    let path = dir.write("p.lua", strategySource(onCandle: "require 'evil'"))
    let s = try LuaStrategy(
      path: path, pluginRoots: [dir.root.appendingPathComponent("plugins").path])
    let host = RecordingHost()
    try s.start(host: host)
    #expect(throws: WickError.self) { try s.onCandle(symbol: 0, candle: candle(0), host: host) }
    do { try s.onCandle(symbol: 0, candle: candle(1), host: host) } catch {
      #expect("\(error)".contains("evil.lua:1"), "\(error)")
    }
  }
}
