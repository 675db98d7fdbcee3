import Foundation
import WickCore
import WickData

/// The whole `wick backtest` process on the bench's candles with the SMA crossover of
/// `Benchmarks/compare`, and backtesting.py on the same candles (its `Backtest.run()` time, from
/// `Benchmarks/compare/peer.py` in the venv `make bench` prepares).
enum PeerBenchmark {
  static let script = "Benchmarks/compare/sma_cross.lua"

  /// Best-of-`n` wall time of `wick backtest` on `db`, with or without `--json`.
  static func wick(_ wick: URL, db: String, json: String?, n: Int = 3) throws -> Double {
    var args = [
      "backtest", script, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db,
      "--fee-bps", "0", "--spread-bps", "0", "--slippage-bps", "0", "--no-config", "--quiet",
    ]
    if let json { args += ["--json", json] }
    return try best(n) {
      let p = Process()
      p.executableURL = wick
      p.arguments = args
      p.standardOutput = FileHandle.nullDevice
      try p.run()
      p.waitUntilExit()
      guard p.terminationStatus == 0 else {
        throw WickError.data("wick \(args.joined(separator: " ")) exited \(p.terminationStatus)")
      }
    }
  }

  /// The `sma_cross` lines of `make bench`: the whole `wick backtest` process with and without
  /// `--json` on the `count` candles of `series` in `dbPath`, and backtesting.py on the same
  /// candles when `make bench` prepared its venv.
  static func lines(
    wick: URL, dbPath: String, store: CandleStore, series: SeriesKey, count: Int, work: URL
  ) throws {
    let environment = ProcessInfo.processInfo.environment
    let json = work.appendingPathComponent("sma.json").path
    let withJSON = try Self.wick(wick, db: dbPath, json: json)
    let withoutJSON = try Self.wick(wick, db: dbPath, json: nil)
    var peer: (seconds: Double, verdict: String)? = nil
    var skipped = "no venv: " + (environment["WICK_COMPARE_SKIPPED"] ?? "run through `make bench`")
    if let python = environment["WICK_COMPARE_PYTHON"],
      FileManager.default.isExecutableFile(atPath: python)
    {
      do {
        peer = try Self.peer(
          python: python, cursor: try store.cursor(series: series), wickJSON: json, work: work)
      } catch { skipped = "backtesting.py failed: \(error)" }
    }
    func versusPeer(_ seconds: Double) -> String {
      String(format: "%.2f s", seconds)
        + (peer.map { String(format: ", %.1fx backtesting.py", $0.seconds / seconds) } ?? "")
    }
    line(
      "sma_cross, wick backtest --json (process)", rate(count, withJSON), versusPeer(withJSON))
    line(
      "sma_cross, wick backtest (process)", rate(count, withoutJSON), versusPeer(withoutJSON))
    if let peer {
      line(
        "sma_cross, backtesting.py (baseline)", rate(count, peer.seconds),
        String(format: "%.2f s Backtest.run; ", peer.seconds) + peer.verdict)
      // The issue's figure: the whole `wick backtest --json` process against backtesting.py's
      // Backtest.run on the same candles, both measured in this run.
      line(
        "RATIO sma_cross --json vs backtesting.py",
        String(format: "%.1fx", peer.seconds / withJSON),
        String(format: "without --json %.1fx; target ≥ 30x", peer.seconds / withoutJSON))
    } else {
      line("sma_cross, backtesting.py (baseline)", "skipped", skipped)
    }
  }

  /// backtesting.py's seconds for the same crossover on `cursor`'s candles, and the trade-list
  /// verdict of `compare.py` against Wick's `wickJSON`.
  static func peer(python: String, cursor: CandleCursor, wickJSON: String, work: URL) throws
    -> (seconds: Double, verdict: String)
  {
    let csv = work.appendingPathComponent("peer.csv")
    FileManager.default.createFile(atPath: csv.path, contents: nil)
    let handle = try FileHandle(forWritingTo: csv)
    _ = try CSVExporter.export(cursor, to: handle)
    try handle.close()
    let out = work.appendingPathComponent("peer.json").path
    try run(python, ["Benchmarks/compare/peer.py", csv.path, out, "5", "20"])
    let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out)))
    guard let seconds = (object as? [String: Any])?["seconds"] as? Double else {
      throw WickError.data("peer.py wrote no seconds to \(out)")
    }
    // Start of the comparison: after Wick's 60-candle warmup of the first candle's hour.
    let verdict =
      try run(
        "/usr/bin/env",
        [
          "python3", "Benchmarks/compare/compare.py", wickJSON, out, csv.path, "5", "20",
          "1704070800", "1",
        ],
        allowFailure: true
      ).split(separator: "\n").first.map(String.init) ?? "no verdict"
    return (seconds, verdict)
  }

  @discardableResult
  private static func run(_ exe: String, _ args: [String], allowFailure: Bool = false) throws
    -> String
  {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: exe)
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    try p.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard allowFailure || p.terminationStatus == 0 else {
      throw WickError.data("\(exe) \(args.joined(separator: " ")) exited \(p.terminationStatus)")
    }
    return output
  }
}
