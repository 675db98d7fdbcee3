import Foundation

/// `wick optimize --search tpe` beside `--search grid` on the same real sweep (ma_cross on a
/// quarter of 1m candles, a 12 × 10 grid of period and stop): how many sets each ran and how
/// close the TPE's best came to the grid's, read from their summary.json files, seed by seed,
/// beside random search with the same budget.
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
  // Every seed is printed, each beside random search with the same budget and seed: on a rugged
  // landscape (this one's best is a two-set spike among plateaus) one seed says little.
  let seeds = 1...5
  var hits = (tpe: 0, random: 0)
  for seed in seeds {
    let tpe = try best(
      ["--search", "tpe", "--trials", "\(trials)", "--seed", "\(seed)"], "search-tpe-\(seed)")
    let random = try best(
      ["--search", "random", "--trials", "\(trials)", "--seed", "\(seed)"],
      "search-random-\(seed)")
    let gap = (grid.objective - tpe.objective) / abs(grid.objective)
    let randomGap = (grid.objective - random.objective) / abs(grid.objective)
    if gap <= 0.01 { hits.tpe += 1 }
    if randomGap <= 0.01 { hits.random += 1 }
    line(
      "optimize --search tpe vs grid, seed \(seed)",
      String(format: "%d vs %d sets", tpe.sets, grid.sets),
      String(
        format: "sharpe %.4f vs %.4f (%.2f%% below; random search %.2f%% below)",
        tpe.objective, grid.objective, 100 * gap, 100 * randomGap))
  }
  line(
    "optimize --search tpe, seeds within 1% of grid",
    "\(hits.tpe)/\(seeds.count)",
    "random search with the same budget: \(hits.random)/\(seeds.count)")
}
