import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// What the `wick run` process tests (paper and live) share: a temporary folder with the flip
/// script and the run's ledger, the `wick` binary they launch, what they read from the ledger
/// while it works, and how they wait for it.
protocol RunProcessWorld: AnyObject {
  /// The temporary folder holding `flip.lua` and the ledger.
  var dir: URL { get }
}

/// Creates `dir` with `flip.lua` in it; returns the `count` one-minute candles the exchange
/// serves.
func prepareRunFolder(_ dir: URL, count: Int = 80) throws -> [Candle] {
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  try flipScript.write(
    to: dir.appendingPathComponent("flip.lua"), atomically: true, encoding: .utf8)
  var synth = CandleSynthesizer(
    seed: 5, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 100)
  return (0..<count).map { _ in synth.next() }
}

extension RunProcessWorld {
  /// The ledger database the launched `wick run` writes.
  var db: String { dir.appendingPathComponent("w.sqlite").path }
  /// The `wick` binary built next to the test bundle.
  var wick: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("wick")
  }

  /// The last candle time run `run` has committed (nil before the first).
  func lastHandled(run: Int = 1) -> Int64? {
    (try? ledgerReader(db).read {
      try Int64.fetchOne($0, sql: "SELECT last_time FROM runs WHERE id = ?", arguments: [run])
    }) ?? nil
  }

  /// The rows of a one-column query, one a line (for failure messages).
  func dump(_ sql: String) -> String {
    ((try? ledgerReader(db).read { try String.fetchAll($0, sql: sql) }) ?? []).joined(
      separator: "\n")
  }

  /// A scalar query's integer (-1 for no row).
  func int(_ sql: String) throws -> Int {
    try ledgerReader(db).read { try Int.fetchOne($0, sql: sql) ?? -1 }
  }

  /// Starts `wick` with `arguments`, its stdout and stderr in `stdout-N.log` and `stderr-N.log`
  /// under `dir`; returns it with its stdout file and its first `lines` output lines (waiting up
  /// to 10 s for them).
  func startWick(_ arguments: [String], log n: Int, lines: Int = 1) throws -> (
    Process, URL, [String]
  ) {
    let p = Process()
    p.executableURL = wick
    p.arguments = arguments
    let out = dir.appendingPathComponent("stdout-\(n).log")
    let err = dir.appendingPathComponent("stderr-\(n).log")
    FileManager.default.createFile(atPath: out.path, contents: nil)
    FileManager.default.createFile(atPath: err.path, contents: nil)
    p.standardOutput = try FileHandle(forWritingTo: out)
    p.standardError = try FileHandle(forWritingTo: err)
    try p.runWithDeadline()
    var first: [String] = []
    _ = wait(10) {
      let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
      let all = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
      guard all.count >= lines else { return false }
      first = all.prefix(lines).map(String.init)
      return true
    }
    return (p, out, first)
  }

  /// Runs `wick` with `args` to the end (stdin closed; stderr with stdout) and returns its exit
  /// status and output. `environment` nil: this process's environment; `directory` nil: this
  /// process's current directory.
  func runWick(
    _ args: [String], environment: [String: String]? = nil, directory: URL? = nil
  ) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = wick
    p.arguments = args
    if let environment { p.environment = environment }
    if let directory { p.currentDirectoryURL = directory }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    try p.runWithDeadline()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
  }

  /// After a `kill -9` and resume of `runs`: no order filled twice, no decision written twice
  /// (each run's decisions are numbered without a gap), nothing diverged on the resume.
  func expectNothingDoubled(runs: [Int]) throws {
    #expect(
      try int(
        "SELECT COUNT(*) FROM (SELECT order_id FROM fills GROUP BY order_id HAVING COUNT(*) > 1)")
        == 0)
    for run in runs {
      #expect(
        try int("SELECT COUNT(*) FROM decisions WHERE run_id = \(run)")
          == (try int("SELECT MAX(seq) + 1 FROM decisions WHERE run_id = \(run)")))
    }
    #expect(try int("SELECT COUNT(*) FROM incidents WHERE kind = 'resume_divergence'") == 0)
  }

  /// What the launched processes wrote (every `.log` file in `dir`, in name order), for failure
  /// messages.
  var errors: String {
    let names =
      ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
      .filter { $0.hasSuffix(".log") }.sorted()
    return names.map { name in
      "== \(name)\n"
        + ((try? String(contentsOf: dir.appendingPathComponent(name), encoding: .utf8)) ?? "")
    }.joined(separator: "\n")
  }

  /// Waits up to 20 s (scaled as `wait` is) for the runner to listen on the kline stream before
  /// a candle is pushed. A run that has not subscribed by then is a failure of its own: a candle
  /// pushed to nobody would only show as a commit that never came.
  func awaitKlineSubscription(_ subscribed: () -> Bool) -> Bool {
    guard wait(20, subscribed) else {
      Issue.record(
        "the run did not subscribe to the kline stream within \(20 * testTimeScale) s:\n\(errors)")
      return false
    }
    return true
  }

  /// Polls `condition` every 20 ms for up to `seconds` (times `testTimeScale`: a TSan-built
  /// `wick` starts and subscribes several times slower); whether it came true.
  func wait(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds * testTimeScale)
    while Date() < deadline {
      if condition() { return true }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
  }
}

/// A paper session's world: the flip script in a temporary folder, a loopback REST exchange and
/// kline stream, and the `wick` processes launched against them (killed when the world goes).
class PaperRunWorld: RunProcessWorld {
  let dir: URL
  let candles: [Candle]
  let rest: MockExchange
  let ws: MockKlineStream
  /// Candles the exchange has closed so far.
  var pushed = 20
  var launches = 0
  var processes: [Process] = []

  init(prefix: String, count: Int = 80) throws {
    dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "\(prefix)-\(UUID().uuidString)")
    candles = try prepareRunFolder(dir, count: count)
    rest = try MockExchange(
      candles: Array(candles[0..<20]), timeframe: .oneMinute, serverTime: candles[20].time + 1_000)
    ws = try MockKlineStream()
  }

  deinit {
    for p in processes where p.isRunning { kill(p.processIdentifier, SIGKILL) }
    ws.stop()
    rest.stop()
    try? FileManager.default.removeItem(at: dir)
  }

  /// Starts `wick` with `arguments` once REST has every candle pushed so far (the exchange's
  /// clock one candle later); returns it with its output file and first `lines` output lines.
  func launch(lines: Int, arguments: [String]) throws -> (Process, URL, [String]) {
    rest.candles = Array(candles[0..<pushed])
    rest.serverTime = candles[pushed].time + 1_000
    let (p, out, first) = try startWick(arguments, log: launches, lines: lines)
    launches += 1
    processes.append(p)
    return (p, out, first)
  }
}

extension Process {
  /// Starts the process with a deadline. A process that a test waits for (`waitUntilExit`, or
  /// the end of its output) but that never ends, such as a `wick run` whose candles never came,
  /// is killed after `seconds`: the test then fails on its exit status instead of hanging the
  /// whole suite.
  func runWithDeadline(_ seconds: Double = 300) throws {
    try run()
    DispatchQueue.global().asyncAfter(deadline: .now() + seconds) { [self] in
      if isRunning { kill(processIdentifier, SIGKILL) }
    }
  }
}

/// A read-only connection to a ledger a `wick` process is writing: it waits out the runner's
/// locks (a checkpoint, a write opening the WAL) instead of failing with "database is locked",
/// and cannot block the runner's writes.
func ledgerReader(_ path: String) throws -> DatabaseQueue {
  var config = Configuration()
  config.readonly = true
  config.busyMode = .timeout(10)
  return try DatabaseQueue(path: path, configuration: config)
}
