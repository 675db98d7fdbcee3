import Foundation

/// `wick optimize` figures, from the real command (child processes of the built `wick`):
/// parameter sets per second for ma_cross on a year of 1m candles with 1 and 2 workers, and the
/// sweep's candle evaluations per second beside one `wick backtest` of the default set.
func optimizeBenchmarks(wick: URL, dbPath: String, work: URL) throws {
  guard FileManager.default.isExecutableFile(atPath: wick.path) else {
    line("wick optimize", "skipped", "build the wick product first")
    return
  }
  let year = ["--from", "2024-01-01", "--to", "2025-01-01"]
  let common =
    ["strategies/ma_cross.lua", "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", dbPath] + year
  // 8 sets: small enough for the bench, enough for two workers to share evenly.
  let sweep = common + ["--param", "period=20:160:20"]

  /// The command's own line: "ran N sets in S s: R sets/s, C candle evaluations/s (W workers)",
  /// and the cores the process kept busy (its CPU time over its wall time): on a shared machine
  /// a second worker can only help as far as a second core is free.
  func optimize(workers: Int) throws -> (
    setsPerSecond: Double, candlesPerSecond: Double, cores: Double, cpuSeconds: Double
  ) {
    let out = work.appendingPathComponent("optimize-\(workers)").path
    let cpuBefore = childCPUSeconds()
    let start = DispatchTime.now().uptimeNanoseconds
    let text = try runWick(wick, ["optimize"] + sweep + ["--workers", "\(workers)", "--out", out])
    let wall = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    let cpu = childCPUSeconds() - cpuBefore
    let cores = cpu / wall
    guard let ran = text.split(separator: "\n").first(where: { $0.hasPrefix("ran ") }) else {
      throw BenchFailure(message: "wick optimize printed no timing line:\n\(text)")
    }
    let numbers = ran.split(whereSeparator: { $0 == " " || $0 == ":" || $0 == "," }).compactMap {
      Double($0)
    }
    // ran N sets in S s: R sets/s, C candle evaluations/s (W workers)
    return (numbers[2], numbers[3], cores, cpu)
  }

  let one = try optimize(workers: 1)
  let two = try optimize(workers: 2)
  for (n, r) in [(1, one), (2, two)] {
    line(
      "optimize ma_cross, 1y of 1m, \(n) worker\(n > 1 ? "s" : "")",
      String(format: "%.2f sets/s", r.setsPerSecond),
      String(format: "%.0f candle evaluations/s, %.2f cores busy", r.candlesPerSecond, r.cores))
  }
  line(
    "optimize scaling (2 workers / 1 worker)",
    String(format: "%.2f", two.setsPerSecond / one.setsPerSecond),
    "target ≥ 1.8; at most the ratio of cores busy on a shared machine")

  // One backtest of one set over the same year, as a user runs it.
  let text = try runWick(wick, ["backtest"] + common + ["--quiet"])
  if let ran = text.split(separator: "\n").first(where: { $0.hasPrefix("ran ") }) {
    // "ran N candles in S s"
    let n = ran.split(separator: " ").compactMap { Double($0) }
    line(
      "wick backtest of one set, same year", String(format: "%.0f candles/s", n[0] / n[1]),
      "beside the sweep's candle evaluations/s")
  }
  line(
    "1,000-set sweep, 1y of 1m, 2 workers (est.)",
    String(format: "%.0f s", 1_000 / two.setsPerSecond), "from the 8 sets above; target < 30 s")
  // CPU time does not depend on what else the machine runs: the same estimate for two idle
  // cores. The process ran 9 sets (the 8 and the winner's own run) and loaded the year once.
  let cpuPerSet = one.cpuSeconds / 9
  line(
    "optimize CPU per set (incl. load, 1 worker)", String(format: "%.3f s", cpuPerSet),
    String(format: "1,000 sets on 2 idle cores ≈ %.0f s", 1_000 * cpuPerSet / 2))
}

/// User + system CPU seconds of the children waited for so far.
func childCPUSeconds() -> Double {
  var usage = rusage()
  getrusage(RUSAGE_CHILDREN.rawValue, &usage)
  return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
    + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
}

struct BenchFailure: Error, CustomStringConvertible {
  var message: String
  var description: String { message }
}

/// Runs `wick` with `arguments` and returns its standard output; a failure throws with its output.
func runWick(_ wick: URL, _ arguments: [String]) throws -> String {
  let p = Process()
  p.executableURL = wick
  p.arguments = arguments
  let pipe = Pipe()
  p.standardOutput = pipe
  p.standardError = FileHandle.nullDevice
  try p.run()
  let data = pipe.fileHandleForReading.readDataToEndOfFile()
  p.waitUntilExit()
  let text = String(decoding: data, as: UTF8.self)
  guard p.terminationStatus == 0 else {
    throw BenchFailure(message: "wick \(arguments.joined(separator: " ")) failed:\n\(text)")
  }
  return text
}
