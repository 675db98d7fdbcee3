import Foundation
import WickCore
import WickLive
import WickLua
import WickOptimize
import WickReport
import WickRisk

/// `[schedule.reoptimize]`'s sweep: the `wick optimize` command saved in a sweep.json, re-run by
/// the runner on the history before each boundary (the same `OptimizeSweep.prepare` and
/// `SweepRunner` as the command), then judged out of sample against the params the run trades.
struct ScheduledSweep: Reoptimizer {
  /// The sweep file's spec; it must be a walk-forward sweep (the decision compares out-of-sample
  /// results).
  static func load(_ path: String) throws -> SweepSpec {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the sweep file")
    }
    let spec: SweepSpec
    do { spec = try JSONDecoder().decode(SweepSpec.self, from: data) } catch {
      throw WickError.invalidFile(
        path: path, line: nil,
        reason: "not the sweep.json of a wick optimize run (\(error))")
    }
    guard spec.walkForward != nil else {
      throw WickError.invalidFile(
        path: path, line: nil,
        reason:
          "walk_forward: the sweep has no --walk-forward windows; re-optimization compares out-of-sample results, so run wick optimize with --walk-forward TRAIN:TEST"
      )
    }
    return spec
  }

  /// The `wick optimize` arguments of the sweep due at `due`: the file's ranges, search,
  /// objective, windows and simulation flags, on the run's strategy, symbols, cache and params
  /// file, over the lookback before `due` (closed candles only: `--to` is exclusive).
  static func arguments(_ spec: SweepSpec, _ r: ReoptimizeRequest, due: Int64, out: String)
    throws -> [String]
  {
    let saved: OptimizeSweep
    do { saved = try OptimizeSweep.parse(spec.arguments) } catch {
      throw WickError.invalidFile(
        path: r.sweepPath, line: nil,
        reason: "arguments: \(OptimizeSweep.message(for: error))")
    }
    var args = [
      r.strategyPath, "--symbols", r.symbols.joined(separator: ","), "--timeframe",
      r.timeframe.description, "--exchange", r.exchange, "--db", r.dbPath,
      "--from", UTCTime.iso(due - r.job.lookback.milliseconds), "--to", UTCTime.iso(due),
      "--params", r.paramsFile, "--objective", spec.objective.rawValue,
      "--min-trades", String(r.job.minTrades), "--walk-forward", spec.walkForward ?? "",
      "--workers", String(r.job.workers), "--out", out,
    ]
    args += spec.axes.flatMap { ["--param", "\($0.name)=\($0.range)"] }
    if spec.mode.hasPrefix("random "), let count = spec.mode.split(separator: " ").last {
      args += ["--random", String(count), "--seed", String(spec.seed ?? 1)]
    }
    return args + saved.simulation.arguments
  }

  func check(_ r: ReoptimizeRequest) throws {
    let spec = try Self.load(r.sweepPath)
    let args = try Self.arguments(spec, r, due: 0, out: r.outDir)
    _ = try OptimizeSweep.parse(args)
    // Every range against the strategy the run trades (a sweep saved for another script fails
    // here, naming the param).
    let probe = try LuaStrategy(path: r.strategyPath, symbols: r.symbols)
    for axis in spec.axes {
      _ = try SweepAxis.parse("\(axis.name)=\(axis.range)", specs: probe.manifest.params)
    }
  }

  func run(_ r: ReoptimizeRequest, cancel: ReoptimizeCancel) throws -> ReoptimizeDecision {
    let spec = try Self.load(r.sweepPath)
    let command = try OptimizeSweep.parse(Self.arguments(spec, r, due: r.due, out: r.outDir))
    let prepared = try command.prepare()
    let flag = CancellationFlag()
    cancel.onCancel { flag.cancel() }
    let outcome = try prepared.runner.run(evaluator: prepared.evaluator, cancel: flag)
    guard case .finished(let finished) = outcome else {
      throw WickError.data("the sweep was interrupted")
    }
    try queueNext(spec, r)
    return try Self.decide(
      finished, prepared: prepared, running: r.running, job: r.job)
  }

  /// The next boundary's sweep in the optimization queue (`queue.json`), replacing the entry of
  /// this one: what runs next, and when, is on disk for `wick optimize --queue` and for people.
  func queueNext(_ spec: SweepSpec, _ r: ReoptimizeRequest) throws {
    var queue =
      FileManager.default.fileExists(atPath: r.queuePath)
      ? try SweepQueue.load(path: r.queuePath) : SweepQueue(entries: [])
    let mine = "reoptimize due "
    queue.entries.removeAll { $0.reason.hasPrefix(mine) }
    let out = ((r.outDir as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent(Runner.folderName(r.nextDue))
    queue.entries.append(
      SweepQueue.Entry(
        reason: "\(mine)\(UTCTime.iso(r.nextDue)) (\(r.job.every) after \(UTCTime.iso(r.due)))",
        args: try Self.arguments(spec, r, due: r.nextDue, out: out)))
    try queue.save(path: r.queuePath)
  }

  /// Swap or keep: the walk-forward winners' stitched out-of-sample result against the running
  /// params' on the same test periods, by the sweep's objective.
  static func decide(
    _ f: SweepRunner.Finished, prepared: OptimizeSweep.Prepared,
    running: [(name: String, value: ParamValue)], job: ReoptimizeConfig
  ) throws -> ReoptimizeDecision {
    let objective = f.results.spec.objective
    let axes = prepared.plan.axes
    let current = try axes.map { axis in
      guard let v = running.first(where: { $0.name == axis.name })?.value else {
        throw WickError.data("the running strategy has no param '\(axis.name)'")
      }
      return v
    }
    // The running params on each window's test period.
    var mine: [SelectedRun] = []
    for w in prepared.runner.windows {
      let result = try prepared.evaluator.evaluate(
        values: current, from: w.testFrom, to: w.testTo)
      mine.append(SelectedRun(window: w.index, set: -1, result: result))
    }
    // Only the test periods that have a winner count for both.
    let tested = Set(f.selected.map(\.window))
    let runningResult = SelectedRun.stitch(mine.filter { tested.contains($0.window) })
    let candidateResult = SelectedRun.stitch(f.selected)
    func score(_ r: BacktestResult?) -> Double? {
      guard let r else { return nil }
      let m = Metrics.compute(r)
      guard let field = m.fields.first(where: { $0.key == objective.key }) else { return nil }
      // A missing value (profit factor without a losing trade) ranks as the objective does.
      return objective.score(cell: field.value.map { String($0) } ?? "null")
    }
    let candidate = score(candidateResult)
    let runningScore = score(runningResult)
    let trades = candidateResult?.trades.count ?? 0
    var dsr: Double? = nil
    if case .object(let fields) = f.summary,
      case .object(let d)? = fields.first(where: { $0.0 == "deflated_sharpe" })?.1,
      case .number(let p)? = d.first(where: { $0.0 == "probability" })?.1
    {
      dsr = p
    }
    func keep(_ why: String) -> ReoptimizeDecision {
      ReoptimizeDecision(
        params: nil, reason: why, objective: objective.rawValue, candidate: candidate,
        running: runningScore, deflatedSharpe: dsr, trades: trades)
    }
    let name = objective.rawValue
    guard let winner = f.results.winner, let candidate else {
      return keep("no parameter set made at least \(job.minTrades) trades in training: no winner")
    }
    let values = prepared.plan.values(of: winner.set)
    let winning = zip(axes, values).map { (name: $0.name, value: $1) }
    if values == current {
      return keep("the winner is the running params")
    }
    if trades < job.minTrades {
      return keep(
        "the winner made \(trades) out-of-sample trades, below min_trades \(job.minTrades)")
    }
    if job.minDeflatedSharpe > 0 {
      guard let dsr else {
        return keep(
          "no deflated Sharpe ratio (too few daily returns out of sample) for the floor \(formatNumber(job.minDeflatedSharpe))"
        )
      }
      if dsr < job.minDeflatedSharpe {
        return keep(
          "deflated Sharpe \(ReadableNumber.metric(String(dsr))) is below min_deflated_sharpe \(formatNumber(job.minDeflatedSharpe))"
        )
      }
    }
    let base = runningScore ?? -.infinity
    let margin = candidate - base
    if !(margin > job.minImprovement) {
      return keep(
        "out-of-sample \(name) \(ReadableNumber.metric(String(candidate))) does not beat the running params' \(ReadableNumber.metric(String(base))) by more than min_improvement \(formatNumber(job.minImprovement))"
      )
    }
    return ReoptimizeDecision(
      params: winning,
      reason:
        "out-of-sample \(name) \(ReadableNumber.metric(String(candidate))) against the running params' \(ReadableNumber.metric(String(base))) (\(trades) trades)",
      objective: name, candidate: candidate, running: runningScore, deflatedSharpe: dsr,
      trades: trades)
  }
}
