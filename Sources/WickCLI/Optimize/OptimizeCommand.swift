import ArgumentParser
import Foundation
import WickCore
import WickData
import WickLua
import WickOptimize

/// `wick optimize`: a sweep (the default subcommand, so `wick optimize STRATEGY.lua …` runs one)
/// or `wick optimize merge DIR... --out DIR`.
public struct OptimizeCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "optimize",
    abstract: "Sweep a strategy's params (grid, random, walk-forward) and pick the best set.",
    discussion: """
      wick optimize STRATEGY.lua [options] --out DIR runs a sweep (see wick optimize sweep --help); wick optimize merge DIR... --out DIR combines the shards of one.
      """,
    subcommands: [OptimizeSweep.self, OptimizeMerge.self],
    defaultSubcommand: OptimizeSweep.self)
  public init() {}
}

/// `wick optimize STRATEGY.lua … --out DIR`: parameter sweeps (grid or seeded random) and
/// walk-forward analysis over the same engine, risk and costs as `wick backtest`.
struct OptimizeSweep: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "sweep",
    abstract: "Sweep a strategy's params (grid, random, walk-forward) and pick the best set.",
    discussion: """
      Writes DIR/results.csv (one row per set, per window with --walk-forward), DIR/best_params.json (for wick backtest --params), DIR/summary.json and DIR/queue.json. Ctrl-C keeps the rows that finished; the same command with the same --out continues.

      Examples:
        wick optimize strategies/ma_cross.lua --param period=20:200:20 --param threshold=0:0.004:0.001 --out out/sweep
        wick optimize strategies/ma_cross.lua --random 200 --seed 7 --walk-forward 90d:30d --out out/wf
        wick optimize strategies/ma_cross.lua --search tpe --trials 60 --seed 7 --out out/tpe
        wick optimize strategies/ma_cross.lua --param period --shard 3/8 --out out/shard-3
        wick optimize merge out/shard-* --out out/sweep
        wick optimize --queue out/sweep/queue.json
      """)

  @Argument(help: "The strategy script (.lua).") var strategy: String?
  @Option(help: "Symbol to trade (default: the script's symbols).") var symbol: String?
  @Option(help: "Comma-separated symbols (multi-symbol strategies, pairs).") var symbols: String?
  @Option(help: "Candle timeframe (default: the script's).") var timeframe: String?
  @Option(help: "Exchange of the cached series (needed only when several have it).") var exchange:
    String?
  @Option(help: "Start time (ISO-8601 UTC, inclusive).") var from: String?
  @Option(help: "End time (ISO-8601 UTC, exclusive).") var to: String?
  @Option(help: "Candle cache (SQLite); sweeps are recorded in it too.") var db: String =
    CandleStore.defaultPath
  @Option(
    name: .customLong("param"),
    help:
      "Sweep a param: NAME=LO:HI:STEP, NAME=a,b,c, NAME=v (fixed) or NAME (its declared range). Default: every declared range."
  )
  var params: [String] = []
  @Option(name: .customLong("params"), help: "Params file for the values not swept.")
  var paramsFile: String?
  @Option(
    help:
      "How to choose the sets: grid (every combination, the default), random (--trials N distinct sets) or tpe (--trials N sets chosen by a Tree-structured Parzen Estimator)."
  )
  var search: String?
  @Option(help: "Sets to run with --search random or --search tpe.") var trials: Int?
  @Option(
    help:
      "With --search tpe: sets proposed per round (default \(Self.defaultBatch)); the round, not --workers, shapes the search."
  )
  var batch: Int?
  @Flag(help: "Every combination of the ranges (the same as --search grid).") var grid = false
  @Option(help: "Sample N distinct sets from the grid (the same as --search random --trials N).")
  var random: Int?
  @Option(help: "Seed of --search random and --search tpe (default 1).") var seed: UInt64?
  @Option(
    help:
      "What to maximise: \(Objective.allCases.map(\.rawValue).joined(separator: ", ")).")
  var objective: String = Objective.sharpe.rawValue
  @Option(help: "Sets with fewer trades never win.") var minTrades: Int = 1
  @Option(help: "TRAIN:TEST[:STEP] durations such as 90d:30d.") var walkForward: String?
  @Option(help: "Parallel backtests (default: the number of cores).") var workers: Int?
  @Option(help: "Run slice I of N (0-based), for many machines; combine with `merge`.") var shard:
    String?
  @OptionGroup var simulation: SimulationOptions
  @Option(help: "Output directory (re-run with the same one to resume).") var out: String?
  @Option(help: "Run the sweeps queued in this queue.json, removing each when it finishes.")
  var queue: String?

  func run() throws {
    do {
      if let queue {
        guard strategy == nil else {
          throw WickError.invalidArgument("--queue \(queue): give either a strategy or --queue")
        }
        return try drain(queue)
      }
      // A sweep with failed sets wrote every output; the status says sets are missing from them.
      if try execute(try prepare()) > 0 { throw ExitCode(1) }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }

  struct Prepared {
    var runner: SweepRunner
    var evaluator: SweepEvaluator
    var plan: SweepPlan
  }

  /// Validates every flag, the params against the script and the data range; writes nothing.
  func prepare() throws -> Prepared {
    guard let strategy else {
      throw WickError.invalidArgument("give the strategy script (or --queue FILE)")
    }
    guard let out else { throw WickError.invalidArgument("--out DIR is required") }
    let objective = try Objective(parsing: self.objective)
    let shard = try shard.map { try Shard(parsing: $0) } ?? .whole
    let walk = try walkForward.map { try WalkForward(parsing: $0) }
    let mode = try searchMode()
    if case .tpe = mode {
      if walk != nil {
        throw WickError.invalidArgument(
          "--search tpe does not combine with --walk-forward (each window would need a search of its own): use --search grid or --search random"
        )
      }
      if shard.count > 1 {
        throw WickError.invalidArgument(
          "--search tpe cannot be sharded (each round learns from the ones before it): run it on one machine with more --workers and a larger --batch"
        )
      }
    }
    guard minTrades >= 0 else {
      throw WickError.invalidArgument("--min-trades \(minTrades): expected 0 or more")
    }
    let workers = self.workers ?? ProcessInfo.processInfo.activeProcessorCount
    guard workers >= 1, workers <= 1024 else {
      throw WickError.invalidArgument("--workers \(workers): expected 1 to 1024")
    }
    if symbol != nil && symbols != nil {
      throw WickError.invalidArgument("give --symbol or --symbols, not both")
    }
    var job = BacktestJob(
      strategyPath: strategy, symbols: symbolList,
      timeframe: try timeframe.map { try Timeframe(parsing: $0) }, exchange: exchange,
      from: try parseTime(from, option: "--from"), to: try parseTime(to, option: "--to"),
      paramsFile: paramsFile,
      dbPath: db)
    try simulation.apply(to: &job)
    let probe = try job.loadStrategy()
    let specs = probe.manifest.params
    var axes: [SweepAxis] = []
    if params.isEmpty {
      axes = specs.filter { if case .bool = $0.kind { false } else { true } }.compactMap(
        SweepAxis.declared)
      guard !axes.isEmpty else {
        throw WickError.invalidArgument(
          "\(strategy) declares no param ranges (min, max and step, or choices): give --param NAME=LO:HI:STEP"
        )
      }
    } else {
      for text in params {
        let axis = try SweepAxis.parse(text, specs: specs)
        if axes.contains(where: { $0.name == axis.name }) {
          throw WickError.invalidArgument("--param \(text): '\(axis.name)' is given twice")
        }
        axes.append(axis)
      }
    }
    let plan = try SweepPlan(axes: axes, mode: mode)
    let evaluator = try SweepEvaluator(job: job, axisNames: axes.map(\.name))
    var windows: [WalkForward.Window] = []
    if let walk {
      let span = evaluator.span
      let lower = job.from ?? span.from
      let upper = job.to ?? span.to
      windows = walk.windows(from: lower, to: upper)
      guard !windows.isEmpty else {
        throw WickError.invalidArgument(
          "--walk-forward \(walk.text): the data from \(UTCTime.iso(lower)) to \(UTCTime.iso(upper)) is shorter than one training plus test period"
        )
      }
    }
    let spec = SweepSpec(
      strategy: strategy, strategyName: probe.name, symbols: evaluator.market.symbols,
      timeframe: evaluator.market.timeframe.description, from: from, to: to, plan: plan,
      specs: specs, objective: objective, minTrades: minTrades, walkForward: walk,
      windows: windows.count, shard: shard, arguments: baseArguments(strategy))
    let runner = SweepRunner(
      spec: spec, plan: plan, windows: windows, walkForward: walk, from: job.from, to: job.to,
      outDir: out, workers: workers)
    // A directory holding another sweep is refused before anything runs.
    _ = try runner.existingRows()
    return Prepared(runner: runner, evaluator: evaluator, plan: plan)
  }

  /// Sets proposed per TPE round unless `--batch` says otherwise.
  static let defaultBatch = 4

  /// `--search`, `--trials`, `--batch`, `--seed` and the older `--grid` / `--random N`, checked
  /// against each other.
  func searchMode() throws -> SweepPlan.Mode {
    let kind: String
    switch search {
    case nil: kind = random != nil ? "random" : "grid"
    case let name? where ["grid", "random", "tpe"].contains(name): kind = name
    case let name?:
      throw WickError.invalidArgument("--search \(name): expected grid, random or tpe")
    }
    if grid && kind != "grid" {
      throw WickError.invalidArgument("give --grid or --search \(kind), not both")
    }
    if random != nil && (grid || search == "tpe" || trials != nil) {
      throw WickError.invalidArgument(
        grid
          ? "give --grid or --random N, not both"
          : "give --random N or --search \(kind) --trials N, not both")
    }
    if seed != nil && kind == "grid" {
      throw WickError.invalidArgument("--seed applies to --search random and --search tpe")
    }
    if batch != nil && kind != "tpe" {
      throw WickError.invalidArgument("--batch applies to --search tpe")
    }
    switch kind {
    case "grid":
      if trials != nil {
        throw WickError.invalidArgument(
          "--trials applies to --search random and --search tpe (a grid runs every set)")
      }
      return .grid
    default:
      guard let count = random ?? trials else {
        throw WickError.invalidArgument(
          "--search \(kind) needs --trials N, the number of sets to run")
      }
      return kind == "random"
        ? .random(count: count, seed: seed ?? 1)
        : .tpe(trials: count, seed: seed ?? 1, batch: batch ?? Self.defaultBatch)
    }
  }

  var symbolList: [String]? {
    if let symbols {
      return symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
    }
    return symbol.map { [$0] }
  }

  /// This command without its sweep flags: what a queued follow-up sweep starts from.
  func baseArguments(_ strategy: String) -> [String] {
    var args = [strategy]
    let options: [(String, String?)] = [
      ("--symbol", symbol), ("--symbols", symbols), ("--timeframe", timeframe),
      ("--exchange", exchange), ("--from", from), ("--to", to), ("--db", db),
      ("--params", paramsFile), ("--objective", objective), ("--min-trades", String(minTrades)),
      ("--walk-forward", walkForward),
    ]
    for case (let flag, let value?) in options { args += [flag, value] }
    return args + simulation.arguments
  }

  /// Runs the sweep and reports it; returns how many sets the sandbox stopped (0: none).
  func execute(_ p: Prepared) throws -> Int {
    let spec = p.runner.spec
    let cancel = CancellationFlag()
    // Ctrl-C (and SIGTERM, which a cluster sends before evicting a pod): no new set starts;
    // those running finish and are kept.
    let interrupts = InterruptSignals { cancel.cancel() }
    defer { interrupts.restore() }
    let trials = spec.shard.range(of: spec.trials).count
    print(
      "sweep: \(spec.sets) sets"
        + (spec.windows > 0 ? " × \(spec.windows) windows" : "")
        + (spec.shard.count > 1 ? ", shard \(spec.shard.description) (\(trials) rows)" : "")
        + ", \(p.runner.workers) workers → \(p.runner.outDir)")
    fflush(nil)
    let bar = ProgressBar(enabled: isatty(STDERR_FILENO) != 0)
    let outcome = try p.runner.run(evaluator: p.evaluator, cancel: cancel) { done, total in
      bar.update(done: done, total: total)
    }
    bar.finish()
    switch outcome {
    case .interrupted(let done, let total):
      print(
        "interrupted: \(done) of \(total) rows kept in \(p.runner.outDir)/results.csv; run the same command again to continue"
      )
      throw ExitCode(130)
    case .finished(let f):
      // With walk-forward each row is a set on one training window.
      let unit = spec.walkForward == nil ? "sets" : "training runs"
      if f.resumed > 0 { print("resumed: \(f.resumed) rows were already done, ran \(f.ran)") }
      if f.ran > 0 {
        print(
          String(
            format: "ran %d %@ in %.2f s: %.2f %@/s, %.0f candle evaluations/s (%d workers)",
            f.ran, unit, f.sweepSeconds, Double(f.ran) / f.sweepSeconds, unit,
            Double(f.candleEvaluations) / f.sweepSeconds, p.runner.workers))
      }
      try record(f, outDir: p.runner.outDir)
      Self.report(f.results, summary: f.summary, warnings: f.warnings, outDir: p.runner.outDir)
      if !f.failed.isEmpty {
        printError(
          "error: \(f.failed.count) of \(trials) \(unit) failed (summary.json lists them with the sandbox's error); run the same command again to retry them"
        )
      }
      return f.failed.count
    }
  }

  /// The sweep and its rows into the cache's ledger tables, for the dashboard.
  func record(_ f: SweepRunner.Finished, outDir: String) throws {
    try Self.record(f.results, summary: f.summary, outDir: outDir, db: db)
  }

  static func record(_ results: SweepResults, summary: JSONValue, outDir: String, db: String)
    throws
  {
    let spec = results.spec
    let table = results.table
    let objectiveColumn = table.column(spec.objective.key)!
    let ledger = try Ledger(store: try CandleStore(path: db))
    let specJSON = String(decoding: try spec.encoded(), as: UTF8.self)
    let winner = results.winner.map { w -> String in
      JSONValue.object([
        ("set", .number(Double(w.set))), ("window", .number(Double(w.window))),
        ("params", results.params(w)),
      ]).compactText
    }
    try ledger.saveSweep(
      Ledger.SweepRecord(
        strategy: spec.strategyName, symbol: spec.symbols.joined(separator: ","),
        timeframe: spec.timeframe, objective: spec.objective.rawValue, specJSON: specJSON,
        outDir: outDir, winnerJSON: winner, summaryJSON: summary.compactText),
      results: results.rows.map { row in
        let score = spec.objective.score(cell: row.cells[objectiveColumn])
        return Ledger.SweepResultRecord(
          rowIndex: row.set, windowIndex: row.window,
          paramsJSON: results.params(row).compactText, trades: table.trades(row),
          objectiveValue: score.isFinite ? score : nil,
          metricsJSON: results.metrics(row).compactText)
      })
  }

  /// What a person reads at the end: the winner, the warnings and where the files are.
  static func report(
    _ results: SweepResults, summary: JSONValue, warnings: [String], outDir: String
  ) {
    for line in summaryLines(results, summary: summary, warnings: warnings, outDir: outDir) {
      print(line)
    }
  }

  /// The printed summary, rounded for reading (`sharpe -19.41`); results.csv and summary.json
  /// keep full precision.
  static func summaryLines(
    _ results: SweepResults, summary: JSONValue, warnings: [String], outDir: String
  ) -> [String] {
    var lines: [String] = []
    let spec = results.spec
    if let w = results.winner {
      let values = results.table.axisNames.map {
        "\($0)=\(ReadableNumber.param(w.cells[results.table.column($0)!]))"
      }
      let objective = ReadableNumber.metric(w.cells[results.table.column(spec.objective.key)!])
      lines.append(
        "winner: set \(w.set)"
          + (spec.walkForward != nil ? " (window \(w.window), the last)" : "")
          + ": \(values.joined(separator: " ")) — \(spec.objective.rawValue) \(objective), \(results.table.trades(w)) trades"
      )
    }
    if case .object(let fields) = summary {
      if case .object(let wf)? = fields.first(where: { $0.0 == "walk_forward" })?.1,
        case .object(let oos)? = wf.first(where: { $0.0 == "out_of_sample" })?.1,
        case .object(let ins)? = wf.first(where: { $0.0 == "in_sample" })?.1
      {
        for key in ["sharpe", "net_return", "max_drawdown"] {
          let a = ReadableNumber.metric(ins.first { $0.0 == key }?.1.compactText ?? "null")
          let b = ReadableNumber.metric(oos.first { $0.0 == key }?.1.compactText ?? "null")
          lines.append("\(key): in-sample \(a), out-of-sample (stitched) \(b)")
        }
      }
      if case .object(let dsr)? = fields.first(where: { $0.0 == "deflated_sharpe" })?.1,
        let p = dsr.first(where: { $0.0 == "probability" })?.1.compactText
      {
        lines.append(
          "deflated Sharpe ratio: \(ReadableNumber.metric(p)) (probability that the true Sharpe is above 0)"
        )
      }
    }
    if case .object(let fields) = summary,
      case .object(let plateau)? = fields.first(where: { $0.0 == "plateau" })?.1,
      let score = plateau.first(where: { $0.0 == "score" })?.1.compactText, score != "null",
      let count = plateau.first(where: { $0.0 == "neighbours" })?.1.compactText
    {
      lines.append(
        "plateau score: \(ReadableNumber.metric(score)) (the mean \(spec.objective.rawValue) of the winner's \(count) grid neighbours over its own; 1 is a flat plateau)"
      )
    }
    for w in warnings { lines.append("warning: \(w)") }
    let heatmap =
      FileManager.default.fileExists(
        atPath: (outDir as NSString).appendingPathComponent("heatmap.html"))
      ? ", heatmap.html" : ""
    lines.append(
      "results: \(outDir)/results.csv, summary.json, best_params.json, queue.json\(heatmap)")
    return lines
  }

  /// Runs queued sweeps in order; each entry is removed once its sweep has finished (one with
  /// failed sets too: it would fail the same way again and hold the queue; the status is 1).
  func drain(_ path: String) throws {
    var ran = 0
    var withFailedSets = 0
    while let entry = try SweepQueue.load(path: path).entries.first {
      print("queue: \(entry.reason)")
      let command: OptimizeSweep
      do {
        command = try OptimizeSweep.parse(entry.args)
      } catch {
        throw WickError.invalidFile(
          path: path, line: nil,
          reason: "queue entry '\(entry.reason)': \(OptimizeSweep.message(for: error))")
      }
      guard command.queue == nil else {
        throw WickError.invalidFile(
          path: path, line: nil, reason: "queue entry '\(entry.reason)' itself names a --queue")
      }
      if try command.execute(try command.prepare()) > 0 { withFailedSets += 1 }
      var queue = try SweepQueue.load(path: path)
      if queue.entries.first == entry { queue.entries.removeFirst() }
      try queue.save(path: path)
      ran += 1
    }
    print("queue \(path): \(ran) sweeps run, none left")
    if withFailedSets > 0 {
      printError("error: \(withFailedSets) of the \(ran) sweeps had failed sets (see above)")
      throw ExitCode(1)
    }
  }
}

/// `wick optimize merge DIR... --out DIR`.
struct OptimizeMerge: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "merge",
    abstract: "Combine the shard directories of one sweep into the single-machine result.")

  @Argument(help: "The shard directories (every I of --shard I/N, any order).") var dirs: [String] =
    []
  @Option(help: "Output directory.") var out: String
  @Option(help: "Also record the merged sweep in this cache's ledger.") var db: String?

  func run() throws {
    do {
      let (results, summary, warnings) = try SweepMerge.merge(dirs, into: out)
      print("merged \(dirs.count) shards: \(results.rows.count) rows → \(out)")
      if let db { try OptimizeSweep.record(results, summary: summary, outDir: out, db: db) }
      OptimizeSweep.report(results, summary: summary, warnings: warnings, outDir: out)
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }
}

/// A one-line progress bar with the rate and ETA, on a terminal only (stderr), redrawn at most
/// five times a second.
final class ProgressBar {
  let enabled: Bool
  private let started = Date()
  private var lastDraw = Date.distantPast
  private var first: Int? = nil

  init(enabled: Bool) { self.enabled = enabled }

  func update(done: Int, total: Int) {
    guard enabled else { return }
    if first == nil { first = done }
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= 0.2 || done == total else { return }
    lastDraw = now
    let width = 30
    let filled = total > 0 ? width * done / total : width
    let elapsed = now.timeIntervalSince(started)
    let ranNow = done - (first ?? 0)
    let rate = elapsed > 0 ? Double(ranNow) / elapsed : 0
    let eta = rate > 0 ? Int((Double(total - done) / rate).rounded()) : nil
    let etaText = eta.map { String(format: "%d:%02d", $0 / 60, $0 % 60) } ?? "--:--"
    let line = String(
      format: "\r[%@%@] %d/%d  %.1f sets/s  ETA %@ ", String(repeating: "#", count: filled),
      String(repeating: "-", count: width - filled), done, total, rate, etaText)
    FileHandle.standardError.write(Data(line.utf8))
  }

  func finish() {
    if enabled { FileHandle.standardError.write(Data("\n".utf8)) }
  }
}

/// Numbers as a person reads them in the printed summary. Text that is not a number (`null`,
/// a choice) passes through unchanged.
enum ReadableNumber {
  /// A metric to 4 significant digits, without an exponent above 1000: `-19.406064968816416`
  /// reads `-19.41`, `0.012345678` reads `0.01235`, `12345.678` reads `12346`.
  static func metric(_ text: String) -> String {
    guard let v = Double(text), v.isFinite, v != v.rounded() else { return text }
    return abs(v) >= 1000 ? String(format: "%.0f", v) : String(format: "%.4g", v)
  }

  /// A param value to 10 significant digits: the float noise of a stepped grid goes
  /// (`0.30000000000000004` reads `0.3`), the value a person would copy stays.
  static func param(_ text: String) -> String {
    guard let v = Double(text), v.isFinite, v != v.rounded() else { return text }
    return String(format: "%.10g", v)
  }
}
