import Foundation
import GRDB
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

/// Creates `dir` with `flip.lua` in it; returns the 80 one-minute candles the exchange serves.
func prepareRunFolder(_ dir: URL) throws -> [Candle] {
  try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
  try flipScript.write(
    to: dir.appendingPathComponent("flip.lua"), atomically: true, encoding: .utf8)
  var synth = CandleSynthesizer(
    seed: 5, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 100)
  return (0..<80).map { _ in synth.next() }
}

extension RunProcessWorld {
  /// The ledger database the launched `wick run` writes.
  var db: String { dir.appendingPathComponent("w.sqlite").path }
  /// The `wick` binary built next to the test bundle.
  var wick: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("wick")
  }

  /// The last candle time the run has committed (nil before the first).
  func lastHandled() -> Int64? {
    (try? DatabaseQueue(path: db).read {
      try Int64.fetchOne($0, sql: "SELECT last_time FROM runs WHERE id = 1")
    }) ?? nil
  }

  /// The rows of a one-column query, one a line (for failure messages).
  func dump(_ sql: String) -> String {
    ((try? DatabaseQueue(path: db).read { try String.fetchAll($0, sql: sql) }) ?? []).joined(
      separator: "\n")
  }

  /// A scalar query's integer (-1 for no row).
  func int(_ sql: String) throws -> Int {
    try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: sql) ?? -1 }
  }

  /// Runs `wick` with `args` to the end (stdin closed; stderr with stdout) and returns its exit
  /// status and output. `environment` nil: this process's environment.
  func runWick(_ args: [String], environment: [String: String]? = nil) throws -> (Int32, String) {
    let p = Process()
    p.executableURL = wick
    p.arguments = args
    if let environment { p.environment = environment }
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    p.standardInput = FileHandle.nullDevice
    try p.run()
    let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    return (p.terminationStatus, text)
  }

  /// Polls `condition` every 20 ms for up to `seconds`; whether it came true.
  func wait(_ seconds: Double = 20, _ condition: () -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while Date() < deadline {
      if condition() { return true }
      Thread.sleep(forTimeInterval: 0.02)
    }
    return condition()
  }
}
