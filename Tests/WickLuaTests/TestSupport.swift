import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickLua

/// A minimal `ctx` for driving a script without the engine: records intents, serves positions.
final class RecordingHost: StrategyHost {
  let symbols: [String]
  var now: Int64 = 0
  var intents: [OrderIntent] = []
  var exits: [(Int, String?)] = []
  var positions: [Int: Position] = [:] { didSet { positionsVersion += 1 } }
  var positionsVersion = 0
  var logLines: [String] = []
  var candles: [Candle] = []
  var candleExtras: CandleExtras?

  init(symbols: [String] = ["BTCUSDT"]) { self.symbols = symbols }

  func position(symbol: Int) -> Position? { positions[symbol] }
  func equity() -> Double { 10_000 }
  func enter(_ intent: OrderIntent) -> IntentOutcome {
    intents.append(intent)
    return .accepted(qty: 1)
  }
  func exit(symbol: Int, reason: String?) -> Bool {
    exits.append((symbol, reason))
    return true
  }
  func history(symbol: Int, count: Int) -> [Candle] { Array(candles.suffix(count)) }
  func log(_ message: String) { logLines.append(message) }
  func enterPair(_ pair: PairIntent) -> IntentOutcome { .accepted(qty: 1) }
  func exitPair(long: Int, short: Int, reason: String?) -> Bool { true }
}

/// A temporary folder with a strategy file (and optional plugins), removed by `cleanup`.
struct ScriptDir {
  let root: URL
  init() {
    root = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-lua-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(
      at: root.appendingPathComponent("plugins"), withIntermediateDirectories: true)
  }
  func write(_ name: String, _ text: String) -> String {
    let url = root.appendingPathComponent(name)
    try? FileManager.default.createDirectory(
      at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try? text.write(to: url, atomically: true, encoding: .utf8)
    return url.path
  }
  func cleanup() { try? FileManager.default.removeItem(at: root) }
}

/// Wraps a body into a strategy whose on_candle runs it.
func strategySource(onCandle body: String, initBody: String = "", extra: String = "") -> String {
  """
  \(extra)
  return {
    name = "probe",
    timeframe = "1m",
    symbols = { "BTCUSDT" },
    warmup = 5,
    init = function(ctx)
      \(initBody)
    end,
    on_candle = function(ctx, c)
      \(body)
    end,
  }
  """
}

func candle(_ i: Int, close: Double = 100) -> Candle {
  Candle(
    time: 1_704_067_200_000 + Int64(i) * 60_000, open: close, high: close + 1, low: close - 1,
    close: close, volume: 1)
}

/// The default limits for tests that check what a script does, not how long it may take: their
/// budgets (1 s a callback, 10 s for init) scale with `testTimeScale`, since under
/// ThreadSanitizer on shared cores a 5,000-row sort once took longer than 1 s.
let functionalLimits = LuaLimits(callbackSeconds: testTimeScale, initSeconds: 10 * testTimeScale)

/// Loads `source` from a temporary probe.lua and starts it against a fresh `RecordingHost`.
func started(_ source: String, limits: LuaLimits = functionalLimits) throws -> (
  LuaStrategy, RecordingHost
) {
  let dir = ScriptDir()
  defer { dir.cleanup() }
  let path = dir.write("probe.lua", source)
  let s = try LuaStrategy(
    path: path, limits: limits, pluginRoots: [dir.root.appendingPathComponent("plugins").path])
  let host = RecordingHost()
  try s.start(host: host)
  return (s, host)
}

/// Short limits for tests: a runaway callback is stopped within a fraction of a second. Under a
/// sanitizer (`make sanitize` sets `WICK_TEST_TIME_SCALE`) C code runs 5 to 20 times slower: the
/// bounded pattern matcher's 50 M steps outlast the 0.5 s hard deadline, and a state abandoned
/// with no handler ends the test process. The budget stays; the hard deadline stretches.
let testLimits = LuaLimits(
  memoryBytes: 16 << 20, callbackSeconds: 0.1, initSeconds: 0.1,
  hardDeadlineSeconds: 0.5 * testTimeScale)

/// Loads `source`, starts it and feeds one candle; returns the error message, if any. With
/// `polling`, the state finds the watchdog's verdict with a count hook, as under ThreadSanitizer.
func runOnce(_ source: String, limits: LuaLimits = testLimits, polling: Bool = false) -> String? {
  do {
    let (s, host) = try started(source, limits: limits)
    if polling { s.state.runtime.pointee.poll = 1 }
    try s.onCandle(symbol: 0, candle: candle(0), host: host)
    return nil
  } catch {
    return "\(error)"
  }
}
