import Foundation
import WickCore
import WickData
import WickLua
import WickRisk
import WickStats

/// The `[schedule]` jobs beside one run (today: `[schedule.pairs_rescan]`, seed 002's monthly
/// re-scan of cointegrated pairs).
///
/// A job is due on the first handled candle whose close time reaches its next boundary
/// (`ScheduleInterval`): candle times are the exchange's, so trigger times are deterministic.
/// Each run of a job is a `schedule` decision of the run (with its due time and outcome), written
/// with the params swap it caused; that record is what makes a resume exact:
/// - re-handling recorded candles re-applies the recorded swap and runs nothing;
/// - a job due on the last candle before a crash but not recorded runs once after the resume;
/// - a job whose boundary passed while the runner was down runs on the first candle handled after
///   it (backfilled ones included): never skipped, never twice;
/// - a new run's warm-up candles (history before its start) trigger nothing.
/// `wick replay` re-applies the recorded params timeline and runs no job.
final class RunSchedule {
  let rescan: PairsRescan?
  /// `[schedule.reoptimize]` (Runner+Reoptimize.swift).
  var reoptimize: ReoptimizeSchedule?
  /// Candles of (symbol, timeframe, open times [from, to)): the cache topped up over REST while
  /// the runner is live; the cache alone otherwise.
  var candles: (String, Timeframe, Int64, Int64) throws -> [Candle]
  /// Candles opening before this time are a new run's warm-up: no job fires on them.
  var armedFrom: Int64 = .min
  var previousClose: Int64?
  /// Boundaries already handled (recorded), so none runs twice.
  var done: Set<Int64> = []
  /// Due on the last re-handled candle without a record (the crash came first): runs once the
  /// resume has verified the recorded candles.
  var interrupted: (due: Int64, time: Int64)?

  init(
    rescan: PairsRescan?, candles: @escaping (String, Timeframe, Int64, Int64) throws -> [Candle]
  ) {
    self.rescan = rescan
    self.candles = candles
  }
}

/// `[schedule.pairs_rescan]` for one run: the universe, the scan timeframe and the params file.
struct PairsRescan {
  static let job = "pairs_rescan"
  let config: PairsRescanConfig
  let universe: [String]
  let timeframe: Timeframe
  let out: String

  /// Runs `wick pairs scan`'s scan on the closed candles before `due`: only candles that closed by
  /// `due` within the lookback (no lookahead). Throws when it cannot choose pairs.
  func scan(due: Int64, candles: (String, Timeframe, Int64, Int64) throws -> [Candle]) throws
    -> CointegrationScan
  {
    let from = due - config.lookback.milliseconds
    let to = due - timeframe.milliseconds + 1
    let series = try universe.map { try candles($0, timeframe, from, to) }
    let scan = try CointegrationScan.run(
      symbols: universe, candles: series, pvalue: config.pvalue, maxPairs: config.maxPairs,
      distinctSymbols: config.distinctSymbols)
    guard !scan.selected.isEmpty else {
      let best = scan.scores.first.map { String(format: "%.4f", $0.pValue) } ?? "-"
      throw WickError.data(
        "no pair at p ≤ \(formatNumber(config.pvalue)) among \(scan.scores.count) tested (best p = \(best))"
      )
    }
    return scan
  }
}

extension Runner {
  /// What `[schedule]` asks of one run, checked before any run is created (`RunPlan` checks every
  /// `[[run]]` entry with it, so a bad entry leaves no run behind): the decision grid fits the
  /// timeframe; the re-scan's universe is among the run's symbols and the file it rewrites is the
  /// run's JSON params file. Returns the re-scan's universe and file; nil when there is no re-scan
  /// or the strategy declares no `pairs` param.
  static func checkSchedule(_ schedule: ScheduleConfig, spec: RunSpec, paramNames: [String])
    throws -> (universe: [String], paramsFile: String)?
  {
    _ = try schedule.decisionGrid(timeframe: spec.timeframe)
    guard let job = schedule.pairsRescan, paramNames.contains("pairs") else { return nil }
    let universe = job.symbols ?? spec.symbols
    let foreign = universe.filter { !spec.symbols.contains($0) }
    guard foreign.isEmpty else {
      throw schedule.error(
        "pairs_rescan.symbols",
        "\(foreign.joined(separator: ", ")) not among the run's symbols (\(spec.symbols.joined(separator: ", "))): the strategy can trade only those"
      )
    }
    guard universe.count >= 2 else {
      throw schedule.error(
        "pairs_rescan.symbols", "a pairs scan needs at least two symbols; the run has one")
    }
    guard let params = spec.paramsFile else {
      throw schedule.error(
        "pairs_rescan",
        "the run has no params file for the re-scan to rewrite: start it with --params \(job.out ?? "pairs.json")"
      )
    }
    // `out` is relative to the working directory, as --params is; in a [[run]] entry, to the
    // file's folder, as the entry's params path is.
    if let out = job.out,
      RunEntryConfig.resolve(out, against: spec.group ? spec.configPath : nil)
        != RunEntryConfig.resolve(params, against: nil)
    {
      throw schedule.error(
        "pairs_rescan.out", "'\(out)' is not the run's params file '\(params)' (--params)")
    }
    guard params.lowercased().hasSuffix(".json") else {
      throw schedule.error(
        "pairs_rescan.out", "the run's params file '\(params)' is not JSON; the re-scan writes JSON"
      )
    }
    return (universe, params)
  }

  /// Sets up `[schedule.pairs_rescan]` (checked by `checkSchedule`) and
  /// `[schedule.reoptimize]` for this run.
  func makeSchedule(config: WickConfig?) throws {
    guard let config else { return }
    let reoptimize = try makeReoptimize(config.schedule)
    var rescan: PairsRescan? = nil
    if let job = config.schedule.pairsRescan {
      let names = strategy.current.params.map(\.name)
      if let (universe, params) = try Self.checkSchedule(
        config.schedule, spec: spec, paramNames: names)
      {
        rescan = PairsRescan(
          config: job, universe: universe, timeframe: job.timeframe ?? spec.timeframe, out: params)
      } else {
        output(
          "schedule: pairs_rescan does not apply to \(strategy.current.name) (it declares no pairs param)"
        )
      }
    }
    guard rescan != nil || reoptimize != nil else { return }
    let exchange = try spec.marketAPI().storageName
    let store = self.store
    self.schedule = RunSchedule(
      rescan: rescan,
      candles: { symbol, tf, from, to in
        let cursor = try store.cursor(
          series: SeriesKey(exchange: exchange, symbol: symbol, timeframe: tf), from: from, to: to)
        var out: [Candle] = []
        while let c = try cursor.next() { out.append(c) }
        return out
      })
    self.schedule?.reoptimize = reoptimize
  }

  /// After candle `t`: runs a job that came due on it (see `RunSchedule`).
  func runSchedule(after t: Int64, handleSeconds: Double = 0) throws {
    guard let schedule else { return }
    try runReoptimize(after: t, handleSeconds: handleSeconds)
    guard let rescan = schedule.rescan else { return }
    let close = t + spec.timeframe.milliseconds
    let previous = schedule.previousClose
    schedule.previousClose = close
    var due: Int64? = nil
    if let previous, let b = rescan.config.every.crossed(after: previous, upTo: close),
      !schedule.done.contains(b)
    {
      due = b
    }
    if t <= journal.verifyUntil {
      schedule.interrupted = due.map { ($0, t) }
      return
    }
    guard let due, t >= schedule.armedFrom else { return }
    try runPairsRescan(due: due, at: t)
  }

  /// After a resume has verified the recorded candles: the job the crash interrupted, if any.
  /// It is recorded at the last candle handled when it runs, after the candles that closed while
  /// the runner was down: the next resume re-applies it at that candle, in the order it happened
  /// (recorded at its due candle, it was re-applied before those candles' decisions: divergence).
  func runInterruptedJob() throws {
    try runInterruptedReoptimize()
    guard let job = schedule?.interrupted else { return }
    schedule?.interrupted = nil
    try runPairsRescan(due: job.due, at: max(job.time, lastHandled ?? job.time))
  }

  /// A recorded job: noted again in order, and never run again.
  func applyRecordedSchedule(_ n: RunLedger.Decision) {
    journal.note(time: n.candleTime, kind: "schedule", detail: n.detailJSON)
    if let object = try? JSONSerialization.jsonObject(with: Data(n.detailJSON.utf8))
      as? [String: Any],
      let due = object["due"] as? NSNumber
    {
      if object["job"] as? String == Self.reoptimizeJob {
        schedule?.reoptimize?.done.insert(due.int64Value)
      } else {
        schedule?.done.insert(due.int64Value)
      }
    }
  }

  /// Scans, rewrites the params file atomically and swaps the new pairs in through hot reload,
  /// recorded as a version with source "schedule". Any failure keeps the running params (and the
  /// file as it was) and records an incident with the reason.
  func runPairsRescan(due: Int64, at t: Int64) throws {
    guard let schedule, let job = schedule.rescan else { return }
    schedule.done.insert(due)
    let when = UTCTime.iso(due)
    func record(_ fields: [(String, DecisionJSON.Value?)]) {
      journal.note(
        time: t, kind: "schedule",
        detail: DecisionJSON.object(
          [("job", .string(PairsRescan.job)), ("due", .int(due))] + fields))
    }
    do {
      let scan = try job.scan(due: due, candles: schedule.candles)
      let previous = OutputFile.read(job.out)
      // The rest of the params file stays as it was; only `pairs` is replaced.
      let kept = try previous.map { try ParamsFile.parseJSON(Data($0.utf8), path: job.out) } ?? []
      let text = CointegrationScan.paramsJSON(
        scan.selected, keeping: kept.map { ($0.name, DecisionJSON.param($0.value)) })
      let pairs = try ParamsFile.parseJSON(Data(text.utf8), path: job.out).filter {
        $0.name == "pairs"
      }
      try OutputFile.write(text, to: job.out)
      let next =
        strategy.current.params.filter { $0.name != "pairs" }.map {
          (name: $0.name, value: $0.value, source: "running")
        } + pairs
      scripts.lastReloadMessage = ""
      guard strategy.reload(params: next, host: kernel) else {
        if let previous { try? OutputFile.write(previous, to: job.out) }
        strategy.acceptFilesAsTheyAre()
        throw WickError.data("the new pairs do not load: \(scripts.lastReloadMessage)")
      }
      scripts.overrides = next
      let names = scan.selected.map { "\($0.a)/\($0.b)" }
      record([
        ("status", .string("swapped")),
        ("pairs", .raw("[" + names.map(DecisionJSON.quote).joined(separator: ",") + "]")),
      ])
      try recordVersion(time: t, source: "schedule")
      output(
        "schedule: pairs_rescan due \(when): \(scan.selected.count) of \(scan.scores.count) pairs at p ≤ \(formatNumber(job.config.pvalue)) (\(names.joined(separator: ", "))) on \(scan.aligned) candles; params swapped"
      )
    } catch {
      let reason = "\(error)"
      record([("status", .string("failed")), ("reason", .string(reason))])
      journal.incident(
        time: t, kind: "schedule_failed",
        detail: "pairs_rescan due \(when): \(reason); the running params are kept")
      try journal.commitNotes()
      output("schedule: pairs_rescan due \(when) failed: \(reason); params kept")
    }
  }
}
