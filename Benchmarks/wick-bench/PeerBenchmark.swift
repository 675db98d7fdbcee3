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
