import Foundation

/// `wick optimize --search tpe` beside `--search grid` on two real sweeps, each a 12 × 10 grid
/// searched with a quarter of its sets, seed by seed, beside random search with the same budget:
///
/// - smooth: zscore_pairs on a synthetic cointegrated pair (a spread that really mean-reverts),
///   lookback × entry_z. Its Sharpe rises smoothly toward one peak: the landscape the issue's
///   target is stated for (within 1 % of the grid's best with a quarter of its evaluations).
/// - noise: ma_cross on the random-walk 1m candles, period × stop_pct. No parameter has an edge
///   there, so the Sharpe is noise around plateaus and the best is a two-set spike: no model
///   can learn where it is, and random search does as well as anything. Printed so that nobody
///   reads the first figure as a promise for every landscape.
func searchBenchmarks(wick: URL, dbPath: String, work: URL) throws {
  guard FileManager.default.isExecutableFile(atPath: wick.path) else {
    line("optimize --search tpe", "skipped", "build the wick product first")
    return
  }
  let pairs = work.appendingPathComponent("search-pair.sqlite").path
  try? FileManager.default.removeItem(atPath: pairs)
  _ = try runWick(
    wick,
    [
      "data", "synth", "--pair", "BTCUSDT,ETHUSDT", "--timeframe", "4h", "--candles", "6000",
      "--seed", "7", "--half-life", "20", "--db", pairs,
    ])
  let smooth = [
    "strategies/zscore_pairs.lua", "--symbols", "BTCUSDT,ETHUSDT", "--timeframe", "4h", "--db",
    pairs, "--param", "lookback=20:240:20", "--param", "entry_z=0.6:2.4:0.2", "--workers", "2",
  ]
  let noise = [
    "strategies/ma_cross.lua", "--symbol", "BTCUSDT", "--timeframe", "1m", "--db", dbPath,
    "--from", "2024-01-01", "--to", "2024-04-01", "--param", "period=20:240:20", "--param",
    "stop_pct=0.004:0.04:0.004", "--param", "min_quote_volume=0", "--workers", "2",
  ]
  try compareSearches(wick: wick, sweep: smooth, name: "smooth", work: work)
  try compareSearches(wick: wick, sweep: noise, name: "noise", work: work)
}

/// The grid, then TPE and random search with a quarter of the grid's sets for seeds 1 to 5: one
/// line per seed and a count of the seeds within 1 % of the grid's best.
private func compareSearches(wick: URL, sweep: [String], name: String, work: URL) throws {
  func best(_ extra: [String], _ out: String) throws -> (objective: Double, sets: Int) {
    let out = work.appendingPathComponent("search-\(name)-\(out)").path
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
  let grid = try best(["--search", "grid"], "grid")
  let trials = grid.sets / 4
  let seeds = 1...5
  var hits = (tpe: 0, random: 0)
  for seed in seeds {
    let tpe = try best(
      ["--search", "tpe", "--trials", "\(trials)", "--seed", "\(seed)"], "tpe-\(seed)")
    let random = try best(
      ["--search", "random", "--trials", "\(trials)", "--seed", "\(seed)"], "random-\(seed)")
    let gap = (grid.objective - tpe.objective) / abs(grid.objective)
    let randomGap = (grid.objective - random.objective) / abs(grid.objective)
    if gap <= 0.01 { hits.tpe += 1 }
    if randomGap <= 0.01 { hits.random += 1 }
    line(
      "tpe vs grid, \(name) landscape, seed \(seed)",
      String(format: "%d vs %d sets", tpe.sets, grid.sets),
      String(
        format: "sharpe %.4f vs %.4f (%.2f%% below; random search %.2f%% below)",
        tpe.objective, grid.objective, 100 * gap, 100 * randomGap))
  }
  let target =
    name == "smooth" ? "; target: every seed" : "; no target: no model beats chance on noise"
  line(
    "tpe seeds within 1% of grid, \(name)", "\(hits.tpe)/\(seeds.count)",
    "random search with the same budget: \(hits.random)/\(seeds.count)\(target)")
}
