import Foundation
import WickCore
import WickData

/// The sweep figure: the whole `wick optimize` process for a 4 × 5 grid of the SMA
/// crossover (`Benchmarks/compare/sma_cross.lua`) on 150,000 1m candles with 2 workers, against
/// vectorbt's broadcast `Portfolio.from_signals` over the same 20 sets on the same candles
/// (`Benchmarks/compare/vectorbt_sweep.py` in the venv `make bench` prepares).
enum SweepPeerBenchmark {
  static let fasts = [5, 10, 15, 20]
  static let slows = [30, 40, 50, 60, 70]

  static func run(wick: URL, candles count: Int, work: URL, python: String?, skipped: String)
    throws
  {
    let db = work.appendingPathComponent("sweep.sqlite").path
    let key = SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute)
    var synth = CandleSynthesizer(
      seed: 7, timeframe: Timeframe.oneMinute, start: 1_704_067_200_000, startPrice: 42_000)
    let candles = (0..<count).map { _ in synth.next() }
    try CandleStore(path: db).write(candles, series: key, replace: false)
    var runs = 0
    var wickCPU = Double.infinity
    let wickSeconds = try best {
      runs += 1
      let cpuBefore = childCPUSeconds()
      defer { wickCPU = min(wickCPU, childCPUSeconds() - cpuBefore) }
      _ = try runWick(
        wick,
        [
          "optimize", PeerBenchmark.script, "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", db,
          "--param", "fast=" + fasts.map(String.init).joined(separator: ","),
          "--param", "slow=" + slows.map(String.init).joined(separator: ","),
          "--fee-bps", "0", "--spread-bps", "0", "--slippage-bps", "0", "--no-config",
          "--workers", "2", "--out", work.appendingPathComponent("sweep-\(runs)").path,
        ])
    }
    let sets = fasts.count * slows.count
    line(
      "sweep 4×5 sma_cross, 150k 1m, wick optimize", String(format: "%.2f s", wickSeconds),
      String(
        format: "whole process, 2 workers, %.1f sets/s, %.2f s CPU", Double(sets) / wickSeconds,
        wickCPU))
    guard let python, FileManager.default.isExecutableFile(atPath: python) else {
      line("sweep 4×5, vectorbt from_signals (baseline)", "skipped", skipped)
      return
    }
    let csv = work.appendingPathComponent("sweep.csv")
    FileManager.default.createFile(atPath: csv.path, contents: nil)
    let handle = try FileHandle(forWritingTo: csv)
    _ = try CSVExporter.export(ArrayCandleCursor(candles), to: handle)
    try handle.close()
    let out = work.appendingPathComponent("vectorbt.json").path
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = [
      "Benchmarks/compare/vectorbt_sweep.py", csv.path,
      fasts.map(String.init).joined(separator: ","),
      slows.map(String.init).joined(separator: ","), out,
    ]
    p.standardOutput = FileHandle.nullDevice
    try p.run()
    p.waitUntilExit()
    guard p.terminationStatus == 0,
      let object = try? JSONSerialization.jsonObject(
        with: Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any],
      let seconds = object["seconds"] as? Double, let cold = object["cold_seconds"] as? Double,
      let cpu = object["cpu_seconds"] as? Double
    else {
      line("sweep 4×5, vectorbt from_signals (baseline)", "skipped", "vectorbt_sweep.py failed")
      return
    }
    line(
      "sweep 4×5, vectorbt from_signals (baseline)", String(format: "%.2f s", seconds),
      String(
        format: "sweep alone, warm best of 3, %.2f s CPU; first run with numba compiling %.2f s",
        cpu, cold))
    // On a shared machine wall times swing with the load; CPU seconds much less. The second
    // figure is what two idle cores would give at best (wick's CPU spread over its 2 workers).
    line(
      "RATIO sweep vs vectorbt", String(format: "%.2fx", seconds / wickSeconds),
      String(
        format: "vectorbt's wall / wick's, target ≥ 1.0; by CPU seconds %.2fx (wick's CPU / 2)",
        cpu / (wickCPU / 2)))
  }
}
