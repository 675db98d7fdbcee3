import Foundation
import GRDB
import WickCore
import WickData
import WickNotify
import WickRisk
import WickTesting

/// A loopback receiver that keeps every request with its arrival time, and answers with
/// `reply` (which sees how many requests came before).
final class Receiver: @unchecked Sendable {
  struct Hit: @unchecked Sendable {
    var request: LoopbackRequest
    var at: Date
    var json: [String: Any]? {
      (try? JSONSerialization.jsonObject(with: Data(request.body))) as? [String: Any]
    }
    var text: String { String(decoding: request.body, as: UTF8.self) }
  }
  private let lock = NSLock()
  private var storage: [Hit] = []
  var server: LoopbackServer!
  /// When true the receiver resets every connection (a receiver that is down).
  var down: Bool {
    get { lock.withLock { _down } }
    set { lock.withLock { _down = newValue } }
  }
  private var _down = false

  init(reply: @escaping @Sendable (Int, LoopbackRequest) -> LoopbackReply = { _, _ in Receiver.ok })
    throws
  {
    server = try LoopbackServer { [unowned self] request in
      let (n, isDown) = self.lock.withLock { () -> (Int, Bool) in
        if self._down { return (0, true) }
        self.storage.append(Hit(request: request, at: Date()))
        return (self.storage.count - 1, false)
      }
      return isDown ? .reset : reply(n, request)
    }
  }

  deinit { server.stop() }

  static let ok = LoopbackReply.http(status: 200, headers: [], body: Array("ok".utf8))
  static func json(_ status: Int, _ body: String) -> LoopbackReply {
    .http(status: status, headers: [("Content-Type", "application/json")], body: Array(body.utf8))
  }

  var hits: [Hit] { lock.withLock { storage } }
  var url: String { "http://127.0.0.1:\(server.port)" }
}

/// A temporary ledger with one paper run.
final class NotifyLedger {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-notify-\(UUID().uuidString)")
  var path: String { dir.appendingPathComponent("w.sqlite").path }
  let ledger: RunLedger
  let run: Int64

  init() throws {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    ledger = try RunLedger(
      store: try CandleStore(path: dir.appendingPathComponent("w.sqlite").path))
    run = try ledger.createRun(
      RunLedger.NewRun(
        kind: "paper", strategy: "flip", scriptPath: "flip.lua", exchange: "bybit",
        paramsJSON: "{}", symbols: ["BTCUSDT"], timeframe: "1m", initialEquity: 10_000,
        argsJSON: "{\"t\":\"\(UUID().uuidString)\"}",
        accounts: [("flip:BTCUSDT", "BTCUSDT", 10_000)]))
  }

  deinit { try? FileManager.default.removeItem(at: dir) }

  /// A fresh connection to the same file: what a restarted process opens.
  func reopened() throws -> RunLedger { try RunLedger(store: try CandleStore(path: path)) }

  func rows(_ sql: String) throws -> [Row] {
    try DatabaseQueue(path: path).read { try Row.fetchAll($0, sql: sql) }
  }
}

/// Sinks from a `[notify]` text.
func sinks(_ toml: String, environment: [String: String] = [:]) throws -> [NotifySink] {
  try NotifySink.resolve(
    try WickConfig.parse(toml, path: "wick.toml").notify, environment: environment)
}

/// A dispatcher whose daily summary hour is twelve hours away: a test counting what was
/// delivered must not also get the summary, which every sink without an `events` filter
/// receives during that hour (these tests failed between 00:00 and 01:00 UTC).
func dispatcher(ledger: RunLedger, sinks: [NotifySink], runs: [Int64]?) -> NotifyDispatcher {
  let hour = Int(Date().timeIntervalSince1970 / 3600) % 24
  return NotifyDispatcher(ledger: ledger, sinks: sinks, runs: runs, dailyHourUTC: (hour + 12) % 24)
}

final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var storage: [String] = []
  func append(_ s: String) { lock.withLock { storage.append(s) } }
  var all: [String] { lock.withLock { storage } }
}

/// Lines a dispatcher logs, from its thread.
final class LineCollector: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func add(_ line: String) { lock.withLock { lines.append(line) } }
  var all: [String] { lock.withLock { lines } }
}
