import Foundation

/// `wick optimize --search tpe` beside `--search grid` on the same real sweep (ma_cross on a
/// quarter of 1m candles, a 12 × 10 grid of period and stop): how many sets each ran and how
/// close the TPE's best came to the grid's, read from their summary.json files.
func searchBenchmarks(wick: URL, dbPath: String, work: URL) throws {
  guard FileManager.default.isExecutableFile(atPath: wick.path) else {
    line("optimize --search tpe", "skipped", "build the wick product first")
    return
  }
  let sweep = [
    "strategies/ma_cross.lua", "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", dbPath,
    "--from", "2024-01-01", "--to", "2024-04-01", "--param", "period=20:240:20", "--param",
    "stop_pct=0.004:0.04:0.004", "--param", "min_quote_volume=0", "--workers", "2",
  ]
  func best(_ extra: [String], _ name: String) throws -> (objective: Double, sets: Int) {
    let out = work.appendingPathComponent(name).path
    _ = try runWick(wick, ["optimize"] + sweep + extra + ["--out", out])
    let data = try Data(contentsOf: URL(fileURLWithPath: out + "/summary.json"))
    let summary = try JSONSerialization.jsonObject(with: data) as? [String: Any]
    let winner = summary?["winner"] as? [String: Any]
    let counts = summary?["counts"] as? [String: Any]
    guard let objective = (winner?["objective"] as? NSNumber)?.doubleValue,
      let sets = (counts?["rows"] as? NSNumber)?.intValue
    else { throw BenchFailure(message: "\(out)/summary.json has no winner") }
    return (objective, sets)
  }
  let grid = try best(["--search", "grid"], "search-grid")
  let trials = grid.sets / 4
  for seed in 1...3 {
    let tpe = try best(
      ["--search", "tpe", "--trials", "\(trials)", "--seed", "\(seed)"], "search-tpe-\(seed)")
    let gap = (grid.objective - tpe.objective) / abs(grid.objective)
    line(
      "optimize --search tpe vs grid, seed \(seed)",
      String(format: "%d vs %d sets", tpe.sets, grid.sets),
      String(
        format: "sharpe %.4f vs %.4f (%.2f%% below; target within 1%%)", tpe.objective,
        grid.objective, 100 * gap))
  }
}
