import Foundation
import WickCore
import WickReport

/// Runs one parameter set on [from, to) (nil: the whole loaded range) with the same engine,
/// risk and costs as `wick backtest`. Called from several worker threads at once: every call
/// must use its own strategy state.
public protocol TrialEvaluator: Sendable {
  func evaluate(values: [ParamValue], from: Int64?, to: Int64?) throws -> BacktestResult
}

/// One sweep (or shard of one) into an output directory, resumable:
///
/// - `sweep.json` is written first; a later run with the same spec continues from the rows
///   already in `results.csv` and `results.partial.csv` (the journal each finished row is
///   appended to the moment it finishes), a different spec is refused;
/// - on completion: `results.csv` in sweep order, `selected.json` (the winners' runs),
///   `summary.json`, `best_params.json` and `queue.json`;
/// - on cancellation (Ctrl-C) or a script error: `results.csv` with the rows that finished;
/// - a set the sandbox stopped (`TrialStopped`) is recorded as failed and the sweep goes on:
///   every output is written without it, summary.json lists it, and the same command retries it.
public struct SweepRunner: Sendable {
  public var spec: SweepSpec
  public var plan: SweepPlan
  public var windows: [WalkForward.Window]
  public var walkForward: WalkForward?
  public var from: Int64?
  public var to: Int64?
  public var outDir: String
  public var workers: Int

  public init(
    spec: SweepSpec, plan: SweepPlan, windows: [WalkForward.Window], walkForward: WalkForward?,
    from: Int64?, to: Int64?, outDir: String, workers: Int
  ) {
    self.spec = spec
    self.plan = plan
    self.windows = windows
    self.walkForward = walkForward
    self.from = from
    self.to = to
    self.outDir = outDir
    self.workers = workers
  }

  public struct Finished: Sendable {
    public var results: SweepResults
    public var selected: [SelectedRun]
    public var summary: JSONValue
    public var warnings: [String]
    public var queue: SweepQueue
    /// Rows run now (the rest came from an earlier, interrupted run).
    public var ran: Int
    public var resumed: Int
    /// Wall time of the rows run now, and the candles they went through.
    public var sweepSeconds: Double
    public var candleEvaluations: Int
    /// Sets the sandbox stopped, in sweep order (not in `results`).
    public var failed: [FailedSet]
  }

  /// What one trial gave: its row, or the sandbox's error.
  enum TrialOutcome: Sendable {
    /// The set's result comes along so the collector can keep the run of a possible winner.
    case row(SweepRow, result: BacktestResult)
    case failed(FailedSet)
  }

  public enum Outcome: Sendable {
    case finished(Finished)
    case interrupted(done: Int, total: Int)
  }

  func path(_ name: String) -> String { (outDir as NSString).appendingPathComponent(name) }

  /// The rows this directory already holds for this sweep. Refuses a directory holding another.
  public func existingRows() throws -> [SweepRow] {
    let specPath = path("sweep.json")
    if let saved = try SweepSpec.load(path: specPath) {
      guard saved == spec else {
        throw WickError.invalidArgument(
          "--out \(outDir) holds a different sweep (its sweep.json does not match this command): choose another --out or remove the directory"
        )
      }
    } else if FileManager.default.fileExists(atPath: path("results.csv")) {
      throw WickError.invalidArgument(
        "--out \(outDir) has a results.csv but no sweep.json: choose another --out or remove the directory"
      )
    }
    let table = spec.table
    var rows: [Int: SweepRow] = [:]
    for name in ["results.csv", "results.partial.csv"] {
      guard let text = OutputFile.read(path(name)) else { continue }
      for row in try table.parse(text, path: path(name)) { rows[trialIndex(row)] = row }
    }
    let mine = spec.shard.range(of: spec.trials)
    return rows.filter { mine.contains($0.key) }.values.sorted {
      trialIndex($0) < trialIndex($1)
    }
  }

  func trialIndex(_ row: SweepRow) -> Int { row.window * spec.sets + row.set }

  /// What a TPE maximises for a row: the objective, or -infinity for a set that cannot win
  /// (fewer trades than `--min-trades`).
  func score(_ row: SweepRow) -> Double {
    let table = spec.table
    guard table.trades(row) >= spec.minTrades else { return -.infinity }
    return spec.objective.score(cell: row.cells[table.column(spec.objective.key)!])
  }

  public func run(
    evaluator: TrialEvaluator, cancel: CancellationFlag,
    progress: ((_ done: Int, _ total: Int) -> Void)? = nil
  ) throws -> Outcome {
    let started = Date()
    let existing = try existingRows()
    try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
    try OutputFile.write(
      String(decoding: try spec.encoded(), as: UTF8.self) + "\n", to: path("sweep.json"))
    let table = spec.table
    var rows: [Int: SweepRow] = [:]
    for r in existing { rows[trialIndex(r)] = r }
    let mine = Array(spec.shard.range(of: spec.trials))
    let remaining = mine.filter { rows[$0] == nil }
    let journal = try Journal(path: path("results.partial.csv"), header: table.header)
    progress?(rows.count, mine.count)

    let plan = self.plan
    let windows = self.windows
    let sets = spec.sets
    let (from, to) = (self.from, self.to)
    var failure: Error? = nil
    var failed: [Int: FailedSet] = [:]
    var candles = 0
    // Without walk-forward a winner's own run is its sweep run again (same set, same range, and
    // runs are deterministic): the runs of the rows that could still win are kept, so the winner
    // is not simulated twice. Only the best score's rows are kept (memory stays flat in the
    // number of sets); a winner not among them (a resumed row, say) is run again as before.
    let objectiveColumn = table.column(spec.objective.key)!
    var bestScore = -Double.infinity
    var contenders: [Int: SelectedRun] = [:]
    let sweepStarted = Date()
    /// Runs `trials` (whose axis values `values` gives) on the workers, journaling each row.
    func runTrials(_ trials: [Int], values: @escaping @Sendable (Int) -> [ParamValue]) throws {
      try WorkerPool.run(
        items: trials, workers: workers, cancel: cancel,
        work: { trial -> TrialOutcome in
          let set = trial % sets
          let window = windows.isEmpty ? nil : windows[trial / sets]
          let values = values(set)
          let params = zip(plan.axes, values).map { (name: $0.name, value: $1) }
          let result: BacktestResult
          do {
            result = try evaluator.evaluate(
              values: values, from: window?.trainFrom ?? from, to: window?.trainTo ?? to)
          } catch let stopped as TrialStopped {
            return .failed(
              FailedSet(set: set, window: trial / sets, params: params, error: stopped.message))
          }
          if let error = result.error {
            throw WickError.script("\(FailedSet.name(set: set, params: params)): \(error)")
          }
          let row = table.row(
            set: set, window: window, values: values, metrics: Metrics.compute(result))
          return .row(row, result: result)
        },
        collect: { trial, outcome in
          switch outcome {
          case .row(let row, let result):
            candles += result.candles
            rows[trial] = row
            try journal.append(row.cells)
            let score = spec.objective.score(cell: row.cells[objectiveColumn])
            if windows.isEmpty, table.trades(row) >= spec.minTrades, score.isFinite,
              score >= bestScore
            {
              if score > bestScore { contenders.removeAll() }
              bestScore = score
              contenders[row.set] = SelectedRun(window: row.window, set: row.set, result: result)
            }
          case .failed(let set):
            failed[trial] = set
          }
          progress?(rows.count + failed.count, mine.count)
        })
    }
    // The sets' axis values by set: fixed for a grid or random sweep, proposed round by round
    // for a TPE (and read back from the rows of an earlier run).
    var points: [Int: [Int]] = [:]
    do {
      if case .tpe(_, let seed, let batch) = plan.mode {
        let sampler = TPESampler(axes: plan.axes, seed: seed)
        for (t, row) in rows {
          guard let p = plan.point(ofRow: row, table: table) else {
            throw WickError.invalidFile(
              path: path("results.csv"), line: nil,
              reason: "set \(row.set) has a value outside this sweep's ranges")
          }
          points[t] = p
        }
        var start = 0
        while start < mine.count && !cancel.isCancelled {
          let round = start..<min(start + batch, mine.count)
          start = round.upperBound
          let missing = round.filter { rows[$0] == nil }
          if missing.isEmpty { continue }
          let scores = rows.mapValues(score)
          sampler.proposeRound(round, points: &points, scores: scores)
          let chosen = points
          try runTrials(missing.filter { chosen[$0] != nil }) { plan.values(ofPoint: chosen[$0]!) }
        }
      } else {
        try runTrials(remaining) { plan.values(of: $0) }
      }
    } catch {
      failure = error
    }
    let sweepSeconds = Date().timeIntervalSince(sweepStarted)
    let sorted = rows.keys.sorted().map { rows[$0]! }
    try OutputFile.write(table.csv(sorted), to: path("results.csv"))
    journal.remove()
    if let failure { throw failure }
    if cancel.isCancelled && rows.count + failed.count < mine.count {
      return .interrupted(done: rows.count, total: mine.count)
    }
    let failedSets = failed.keys.sorted().map { failed[$0]! }

    // The winners' own runs: over the whole range, or each window's test period.
    let results = SweepResults(spec: spec, rows: sorted)
    let winners = results.winners
    let proposed = points
    let isTPE = if case .tpe = plan.mode { true } else { false }
    @Sendable func valuesOfSet(_ set: Int) -> [ParamValue] {
      isTPE ? plan.values(ofPoint: proposed[set]!) : plan.values(of: set)
    }
    var runs: [Int: SelectedRun] = [:]
    let kept = contenders
    try WorkerPool.run(
      items: Array(winners.indices), workers: workers, cancel: CancellationFlag(),
      work: { i -> SelectedRun in
        let w = winners[i]
        if windows.isEmpty, let run = kept[w.set] { return run }
        let window = windows.isEmpty ? nil : windows[w.window]
        do {
          let result = try evaluator.evaluate(
            values: valuesOfSet(w.set), from: window?.testFrom ?? from,
            to: window?.testTo ?? to)
          return SelectedRun(window: w.window, set: w.set, result: result)
        } catch let stopped as TrialStopped {
          throw WickError.script("the run of the winner, set \(w.set): \(stopped.message)")
        }
      },
      collect: { i, run in runs[i] = run })
    let selected = winners.indices.map { runs[$0]! }
    let finished = try Self.writeOutputs(
      results: results, selected: selected, failed: failedSets, outDir: outDir,
      seconds: Date().timeIntervalSince(started))
    return .finished(
      Finished(
        results: results, selected: selected, summary: finished.summary,
        warnings: finished.warnings, queue: finished.queue, ran: remaining.count,
        resumed: existing.count, sweepSeconds: sweepSeconds, candleEvaluations: candles,
        failed: failedSets))
  }

  /// selected.json, summary.json, best_params.json and queue.json of a sweep that ran every set
  /// (`failed`: those the sandbox stopped).
  static func writeOutputs(
    results: SweepResults, selected: [SelectedRun], failed: [FailedSet] = [], outDir: String,
    seconds: Double
  ) throws -> (summary: JSONValue, warnings: [String], queue: SweepQueue) {
    func path(_ name: String) -> String { (outDir as NSString).appendingPathComponent(name) }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    try OutputFile.write(
      String(decoding: try encoder.encode(selected), as: UTF8.self) + "\n",
      to: path("selected.json"))
    let (summary, warnings) = results.summary(
      selected: selected, seconds: seconds, complete: true, failed: failed)
    try OutputFile.write(summary.text, to: path("summary.json"))
    if let heatmap = SweepHeatmap.html(results) {
      try OutputFile.write(heatmap, to: path("heatmap.html"))
    } else {
      try? FileManager.default.removeItem(atPath: path("heatmap.html"))
    }
    if let best = results.bestParams(selected) {
      try OutputFile.write(best, to: path("best_params.json"))
    } else {
      try? FileManager.default.removeItem(atPath: path("best_params.json"))
    }
    // A shard's winner is only the best of its slice: the queue comes from the merged sweep.
    let queue =
      results.spec.shard.count > 1
      ? SweepQueue(entries: []) : SweepQueue.refining(results, outDir: outDir)
    try queue.save(path: path("queue.json"))
    return (summary, warnings, queue)
  }
}

/// Appends each finished row to `results.partial.csv` as it finishes (one write per row, so a
/// killed process loses at most the rows still running).
final class Journal {
  private let handle: FileHandle
  private let path: String

  init(path: String, header: [String]) throws {
    self.path = path
    if !FileManager.default.fileExists(atPath: path) {
      try OutputFile.write(ResultsTable.line(header), to: path)
    }
    guard let h = FileHandle(forWritingAtPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot open for appending")
    }
    handle = h
    handle.seekToEndOfFile()
  }

  func append(_ cells: [String]) throws {
    try handle.write(contentsOf: Data(ResultsTable.line(cells).utf8))
  }

  func remove() {
    try? handle.close()
    try? FileManager.default.removeItem(atPath: path)
  }
}
