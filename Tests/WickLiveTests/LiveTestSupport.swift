import Foundation
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickBybit
@testable import WickLive

/// Incidents kept in memory.
final class IncidentRecorder: LiveIncidentSink, @unchecked Sendable {
  private let lock = NSLock()
  private var list: [(kind: String, symbol: String?, detail: String)] = []
  func incident(kind: String, symbol: String?, detail: String) {
    lock.withLock { list.append((kind, symbol, detail)) }
  }
  var kinds: [String] { lock.withLock { list.map(\.kind) } }
  var details: [String] { lock.withLock { list.map(\.detail) } }
}

/// A mock exchange and a live client wired to it, with timings short enough for tests.
struct LiveRig: @unchecked Sendable {
  let bybit: MockBybitTrading
  let credentials: BybitCredentials
  let rest: BybitRESTClient
  let api: BybitTradingAPI
  let inbox = BybitEventInbox()
  let incidents = IncidentRecorder()
  let gateway: BybitGateway
  let executor: LiveExecutor
  let btc: InstrumentSpec

  init(skewMs: Int64 = 0, secret: String? = nil, requestTimeout: TimeInterval = 2) throws {
    bybit = try MockBybitTrading()
    bybit.clockSkewMs = skewMs
    credentials = BybitCredentials(apiKey: bybit.apiKey, secret: secret ?? bybit.apiSecret)
    let transport = try CurlHTTPClient(connectTimeout: 1, totalTimeout: requestTimeout)
    rest = BybitRESTClient(
      baseURL: bybit.baseURL, credentials: credentials, transport: transport,
      retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.02, maxDelay: 0.1),
      limiter: RateLimiter(rate: 1000, burst: 1000))
    api = BybitTradingAPI(rest: rest)
    var timing = ExecutionTiming()
    timing.fillTimeout = 3
    timing.stopVerifyTimeout = 0.6
    timing.pollInterval = 0.05
    timing.resolveAttempts = 3
    gateway = BybitGateway(api: api, events: inbox)
    executor = LiveExecutor(gateway: gateway, incidents: incidents, timing: timing)
    try rest.syncTime()
    btc = try api.instrument("BTCUSDT").spec
  }

  func enterLong(
    qty: Double = 0.01, stop: Double? = 59_000, take: Double? = 62_000,
    id: String = "w1-1700000000-BTCUSDT-e"
  )
    throws -> EntryOutcome
  {
    try executor.enter(
      symbol: "BTCUSDT", side: .long, qty: qty, stop: stop, take: take, clientOrderID: id,
      instrument: btc)
  }

  /// Starts the private stream and waits until it is subscribed.
  func startStream() async throws -> Task<Void, Never> {
    let rest = self.rest
    let stream = BybitPrivateStream(
      url: bybit.wsURL, credentials: credentials, inbox: inbox, serverClock: { rest.serverNow() },
      maxBackoff: 0.2)
    let task = stream.start()
    try await waitUntil { inbox.streamUp }
    return task
  }
}

struct TimedOut: Error, CustomStringConvertible {
  var description: String { "condition not met in time" }
}

/// `eventually`, throwing when `condition` did not come to hold.
func waitUntil(seconds: Double = 5, _ condition: () -> Bool) async throws {
  guard await eventually(seconds, condition) else { throw TimedOut() }
}

/// An executor for test-side stream clients.
let testStreamExecutor = ThreadExecutor(name: "wick.test.streams")

/// A live `wick run` against the loopback Bybit, in process: a folder with the flip script, the
/// mock's keys in the environment (removed again with the folder), and the run's spec.
final class LiveRunFolder {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-live-run-\(UUID().uuidString)")
  var spec: RunSpec

  init(_ bybit: MockBybitTrading) throws {
    LiveExchanges.register(BybitExchange.self)
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let script = dir.appendingPathComponent("flip.lua").path
    try flipScript.write(toFile: script, atomically: true, encoding: .utf8)
    // Keys come from the environment only.
    MockKeysInEnvironment.shared.hold(bybit)
    spec = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: .oneMinute)
    spec.mode = .live
    spec.testnet = true
    spec.baseURL = bybit.baseURL
    spec.wsURL = bybit.wsURL
    spec.dbPath = dir.appendingPathComponent("w.sqlite").path
  }

  deinit {
    MockKeysInEnvironment.shared.release()
    try? FileManager.default.removeItem(at: dir)
  }
}

/// The mock's keys in the process's environment while any `LiveRunFolder` lives: suites run in
/// parallel, and one folder's end must not take the keys from a run another test is starting.
final class MockKeysInEnvironment: @unchecked Sendable {
  static let shared = MockKeysInEnvironment()
  private let lock = NSLock()
  private var holders = 0

  func hold(_ bybit: MockBybitTrading) {
    lock.withLock {
      holders += 1
      setenv(BybitCredentials.keyVariable, bybit.apiKey, 1)
      setenv(BybitCredentials.secretVariable, bybit.apiSecret, 1)
    }
  }

  func release() {
    lock.withLock {
      holders -= 1
      if holders == 0 {
        unsetenv(BybitCredentials.keyVariable)
        unsetenv(BybitCredentials.secretVariable)
      }
    }
  }
}

/// A runner's output lines, collected from its thread.
final class OutputLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
