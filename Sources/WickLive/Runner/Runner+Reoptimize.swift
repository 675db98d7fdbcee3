import Foundation
import WickCore
import WickLua
import WickRisk

/// One re-optimization of a running strategy, as the runner asks for it: the walk-forward sweep
/// of `[schedule.reoptimize]` on the closed candles before `due`, compared out of sample with
/// the params the run trades now.
public struct ReoptimizeRequest: Sendable {
  public var due: Int64
  /// The boundary after this one (the sweep queued next).
  public var nextDue: Int64
  public var job: ReoptimizeConfig
  /// The sweep file, resolved (relative to the working directory, or a `[[run]]` entry's file).
  public var sweepPath: String
  public var strategyPath: String
  public var symbols: [String]
  public var timeframe: Timeframe
  /// The cached series' exchange (its storage name).
  public var exchange: String
  public var dbPath: String
  public var paramsFile: String
  /// This sweep's output directory, and the queue of the next ones.
  public var outDir: String
  public var queuePath: String
  /// The params the run trades now.
  public var running: [(name: String, value: ParamValue)]
}

/// What a re-optimization decided. `params` (the winner's swept values) is nil when the running
/// params stay; `reason` says why, either way.
public struct ReoptimizeDecision: Sendable {
  public var params: [(name: String, value: ParamValue)]?
  public var reason: String
  public var objective: String
  /// Out-of-sample objective of the walk-forward winners (stitched) and of the running params
  /// on the same test periods.
  public var candidate: Double?
  public var running: Double?
  public var deflatedSharpe: Double?
  public var trades: Int
  public init(
    params: [(name: String, value: ParamValue)]?, reason: String, objective: String,
    candidate: Double?, running: Double?, deflatedSharpe: Double?, trades: Int
  ) {
    self.params = params
    self.reason = reason
    self.objective = objective
    self.candidate = candidate
    self.running = running
    self.deflatedSharpe = deflatedSharpe
    self.trades = trades
  }
}

/// Set when the runner stops with a sweep in flight: the sweep ends early and records nothing
/// (a resume runs it again).
public final class ReoptimizeCancel: @unchecked Sendable {
  private let lock = NSLock()
  private var cancelled = false
  private var handlers: [@Sendable () -> Void] = []
  public init() {}

  public func cancel() {
    let run = lock.withLock { () -> [@Sendable () -> Void] in
      cancelled = true
      defer { handlers = [] }
      return handlers
    }
    for h in run { h() }
  }

  /// Runs `handler` on cancellation (at once if already cancelled).
  public func onCancel(_ handler: @escaping @Sendable () -> Void) {
    let now = lock.withLock { () -> Bool in
      if !cancelled { handlers.append(handler) }
      return cancelled
    }
    if now { handler() }
  }
}

/// The sweep behind `[schedule.reoptimize]`. The CLI registers the one built on `wick optimize`'s
/// code (WickOptimize and the backtest path); the runner names no optimizer.
public protocol Reoptimizer: Sendable {
  /// Checks the sweep file against the run before it starts (errors name the file and field).
  func check(_ request: ReoptimizeRequest) throws
  /// Runs the sweep and decides; called on a thread of its own, beside the trading loop.
  func run(_ request: ReoptimizeRequest, cancel: ReoptimizeCancel) throws -> ReoptimizeDecision
}

public enum Reoptimizers {
  nonisolated(unsafe) private static var installed: (any Reoptimizer)?
  private static let lock = NSLock()

  public static func register(_ reoptimizer: any Reoptimizer) {
    lock.withLock { installed = reoptimizer }
  }

  static var current: (any Reoptimizer)? { lock.withLock { installed } }
}

/// `[schedule.reoptimize]` beside one run. Due like the pairs re-scan (the first handled candle
/// whose close reaches the boundary), but the sweep runs on a thread of its own so that no candle
/// waits for it: its decision is applied, and recorded, after the first candle handled once it
/// has finished. The record (due time, outcome, the params version) is what resume and replay
/// follow: a recorded job never runs again; a job started but not recorded (the runner stopped
/// or crashed during the sweep) runs again after the resume.
final class ReoptimizeSchedule {
  let job: ReoptimizeConfig
  let reoptimizer: any Reoptimizer
  let template: ReoptimizeRequest
  var previousClose: Int64?
  var done: Set<Int64> = []
  /// Dues the run recorded (filled on the first candle of a resume).
  var recordedDues: Set<Int64>?
  /// A due crossed while re-handling recorded candles without a record: runs after the resume.
  var missed: (due: Int64, time: Int64)?
  var inFlight: InFlight?
  /// Wall time of the last candles handled with no sweep running (seconds), the baseline the
  /// cost during a sweep is reported against.
  var baseline: [Double] = []
  private var baselineNext = 0

  func noteBaseline(_ seconds: Double) {
    if baseline.count < 256 {
      baseline.append(seconds)
    } else {
      baseline[baselineNext] = seconds
      baselineNext = (baselineNext + 1) % 256
    }
  }

  init(job: ReoptimizeConfig, reoptimizer: any Reoptimizer, template: ReoptimizeRequest) {
    self.job = job
    self.reoptimizer = reoptimizer
    self.template = template
  }

  /// A sweep running on its own thread, and what the loop measured meanwhile.
  final class InFlight: @unchecked Sendable {
    let due: Int64
    let started = Date()
    let cancel = ReoptimizeCancel()
    private let lock = NSLock()
    private var outcome: Result<ReoptimizeDecision, Error>?
    /// Wall time of each candle the loop handled while the sweep ran (seconds).
    var handleSeconds: [Double] = []
    var seconds: Double = 0

    init(due: Int64) { self.due = due }

    func finish(_ r: Result<ReoptimizeDecision, Error>) {
      let elapsed = Date().timeIntervalSince(started)
      lock.withLock {
        outcome = r
        seconds = elapsed
      }
    }

    var result: Result<ReoptimizeDecision, Error>? { lock.withLock { outcome } }
  }
}

/// Lets the sweep's thread print through the runner's output.
private struct SendableOutput: @unchecked Sendable {
  let output: (String) -> Void
}

extension Runner {
  static let reoptimizeJob = "reoptimize"

  /// Where a run's re-optimizations write: `dir`, or `reoptimize/` beside the params file.
  static func reoptimizeDir(_ job: ReoptimizeConfig, spec: RunSpec, paramsFile: String) -> String {
    if let dir = job.dir {
      return RunEntryConfig.resolve(dir, against: spec.group ? spec.configPath : nil)
    }
    return ((paramsFile as NSString).deletingLastPathComponent as NSString)
      .appendingPathComponent("reoptimize")
  }

  /// Checks `[schedule.reoptimize]` against a run before any run starts (`RunPlan` checks every
  /// `[[run]]` entry with it): the run's params file is JSON (it is rewritten), and the sweep file
  /// fits the strategy. Returns the job's request template; nil without the job.
  static func checkReoptimize(
    _ schedule: ScheduleConfig, spec: RunSpec, running: [(name: String, value: ParamValue)]
  ) throws -> (reoptimizer: any Reoptimizer, template: ReoptimizeRequest)? {
    guard let job = schedule.reoptimize else { return nil }
    guard let params = spec.paramsFile else {
      throw schedule.error(
        "reoptimize",
        "the run has no params file for the winner to be written to: start it with --params FILE.json"
      )
    }
    guard params.lowercased().hasSuffix(".json") else {
      throw schedule.error(
        "reoptimize",
        "the run's params file '\(params)' is not JSON; the re-optimization writes JSON")
    }
    guard let reoptimizer = Reoptimizers.current else {
      throw schedule.error("reoptimize", "this program has no optimizer linked in")
    }
    let dir = reoptimizeDir(job, spec: spec, paramsFile: params)
    let template = ReoptimizeRequest(
      due: 0, nextDue: 0, job: job,
      sweepPath: RunEntryConfig.resolve(job.sweep, against: spec.group ? spec.configPath : nil),
      strategyPath: spec.strategyPath, symbols: spec.symbols, timeframe: spec.timeframe,
      exchange: try spec.marketAPI().storageName, dbPath: spec.dbPath, paramsFile: params,
      outDir: dir, queuePath: (dir as NSString).appendingPathComponent("queue.json"),
      running: running)
    do { try reoptimizer.check(template) } catch let WickError.invalidFile(path, line, reason)
      where path == template.sweepPath
    {
      throw schedule.error("reoptimize.sweep", "\(path)\(line.map { ":\($0)" } ?? ""): \(reason)")
    } catch let WickError.invalidArgument(why) {
      throw schedule.error("reoptimize.sweep", "\(template.sweepPath): \(why)")
    }
    return (reoptimizer, template)
  }

  /// Sets up `[schedule.reoptimize]` for this run (checked by `checkReoptimize`).
  func makeReoptimize(_ schedule: ScheduleConfig) throws -> ReoptimizeSchedule? {
    guard
      let (reoptimizer, template) = try Self.checkReoptimize(
        schedule, spec: spec, running: strategy.current.params.map { ($0.name, $0.value) })
    else { return nil }
    return ReoptimizeSchedule(job: template.job, reoptimizer: reoptimizer, template: template)
  }

  /// After candle `t`: applies a finished sweep, then starts one that came due on `t`.
  func runReoptimize(after t: Int64, handleSeconds: Double) throws {
    guard let r = schedule?.reoptimize else { return }
    if let flight = r.inFlight {
      if let result = flight.result {
        r.inFlight = nil
        try applyReoptimize(result, flight: flight, at: t)
      } else {
        flight.handleSeconds.append(handleSeconds)
      }
    } else if t > journal.verifyUntil {
      r.noteBaseline(handleSeconds)
    }
    let close = t + spec.timeframe.milliseconds
    let previous = r.previousClose
    r.previousClose = close
    guard let previous, let due = r.job.every.crossed(after: previous, upTo: close),
      !r.done.contains(due)
    else { return }
    if t <= journal.verifyUntil {
      if r.recordedDues == nil { r.recordedDues = recovery.recordedDues(job: Self.reoptimizeJob) }
      if r.recordedDues?.contains(due) == false { r.missed = (due, t) }
      return
    }
    guard t >= (schedule?.armedFrom ?? .min) else { return }
    try startReoptimize(due: due, at: t)
  }

  /// Starts the sweep due at `due` on a thread of its own.
  func startReoptimize(due: Int64, at t: Int64) throws {
    guard let r = schedule?.reoptimize else { return }
    r.done.insert(due)
    if let running = r.inFlight {
      // A sweep longer than the interval: this boundary is skipped, and says so.
      recordReoptimize(
        due: due, at: t,
        [
          ("status", .string("kept")),
          (
            "reason",
            .string(
              "the sweep due \(UTCTime.iso(running.due)) is still running; this one is skipped")
          ),
        ])
      try journal.commitNotes()
      return
    }
    var request = r.template
    request.due = due
    request.nextDue = Self.nextBoundary(after: due, r.job.every)
    request.outDir = (r.template.outDir as NSString).appendingPathComponent(
      Self.folderName(due))
    request.running = strategy.current.params.map { ($0.name, $0.value) }
    let flight = ReoptimizeSchedule.InFlight(due: due)
    r.inFlight = flight
    let reoptimizer = r.reoptimizer
    let sweep = request
    let say = SendableOutput(output: output)
    output("schedule: reoptimize due \(UTCTime.iso(due)): sweep started → \(request.outDir)")
    let thread = Thread {
      let result = Result { try reoptimizer.run(sweep, cancel: flight.cancel) }
      flight.finish(result)
      say.output(
        String(
          format: "schedule: reoptimize due %@: sweep finished in %.2f s", UTCTime.iso(due),
          flight.seconds))
    }
    thread.stackSize = 8 << 20
    thread.start()
  }

  /// The first boundary after `due`.
  static func nextBoundary(after due: Int64, _ every: ScheduleInterval) -> Int64 {
    switch every {
    case .fixed(let tf): return due + tf.milliseconds
    case .months(let n):
      // 32 days a month always reaches the next boundary; its start is the boundary.
      return every.boundary(atOrBefore: due + Int64(n) * 32 * 86_400_000)
    }
  }

  /// `2024-02-01T000000Z`: a sweep's folder (no colons, for every file system).
  public static func folderName(_ due: Int64) -> String {
    UTCTime.iso(due).replacingOccurrences(of: ":", with: "")
  }

  /// After a resume has verified the recorded candles: the sweep the stop interrupted, if any.
  func runInterruptedReoptimize() throws {
    guard let r = schedule?.reoptimize, let missed = r.missed else { return }
    r.missed = nil
    // At the last candle handled, like the pairs re-scan (`runInterruptedJob`).
    try startReoptimize(due: missed.due, at: max(missed.time, lastHandled ?? missed.time))
  }

  /// The runner stops: a sweep in flight ends early and records nothing.
  func cancelReoptimize() {
    schedule?.reoptimize?.inFlight?.cancel.cancel()
  }

  func recordReoptimize(due: Int64, at t: Int64, _ fields: [(String, DecisionJSON.Value?)]) {
    journal.note(
      time: t, kind: "schedule",
      detail: DecisionJSON.object(
        [("job", .string(Self.reoptimizeJob)), ("due", .int(due))] + fields))
  }

  /// Applies a finished sweep between two candles: swaps the winner in (params file rewritten
  /// atomically, hot reload, version source `reoptimize`) or keeps the running params with the
  /// reason. A failed sweep keeps them too and is an incident.
  func applyReoptimize(
    _ result: Result<ReoptimizeDecision, Error>, flight: ReoptimizeSchedule.InFlight, at t: Int64
  ) throws {
    let due = flight.due
    let when = UTCTime.iso(due)
    let costs = flight.handleSeconds.sorted()
    let baseline = schedule?.reoptimize?.baseline.sorted() ?? []
    let before =
      baseline.isEmpty
      ? ""
      : String(
        format: "; %.2f ms median over the last %d candles without a sweep",
        baseline[baseline.count / 2] * 1000, baseline.count)
    let meanwhile =
      costs.isEmpty
      ? "no candle closed during the sweep"
      : String(
        format: "%d candles handled during the sweep (median %.2f ms, max %.2f ms each%@)",
        costs.count, costs[costs.count / 2] * 1000, costs.last! * 1000, before)
    let decision: ReoptimizeDecision
    switch result {
    case .failure(let error):
      let reason = "\(error)"
      recordReoptimize(
        due: due, at: t, [("status", .string("failed")), ("reason", .string(reason))])
      journal.incident(
        time: t, kind: "schedule_failed",
        detail: "reoptimize due \(when): \(reason); the running params are kept")
      try journal.commitNotes()
      output("schedule: reoptimize due \(when) failed: \(reason); params kept; \(meanwhile)")
      return
    case .success(let d): decision = d
    }
    var fields: [(String, DecisionJSON.Value?)] = [
      ("objective", .string(decision.objective)),
      ("candidate_oos", decision.candidate.map { .number($0) }),
      ("running_oos", decision.running.map { .number($0) }),
      ("deflated_sharpe", decision.deflatedSharpe.map { .number($0) }),
      ("oos_trades", .int(Int64(decision.trades))),
      ("sweep_seconds", .number((flight.seconds * 1000).rounded() / 1000)),
    ]
    guard let winner = decision.params else {
      recordReoptimize(
        due: due, at: t,
        [("status", .string("kept")), ("reason", .string(decision.reason))] + fields)
      try journal.commitNotes()
      output("schedule: reoptimize due \(when): params kept: \(decision.reason); \(meanwhile)")
      return
    }
    let path = schedule!.reoptimize!.template.paramsFile
    do {
      let previous = OutputFile.read(path)
      // The rest of the params file stays as it was; only the swept params are replaced.
      let kept = try previous.map { try ParamsFile.parseJSON(Data($0.utf8), path: path) } ?? []
      let names = Set(winner.map(\.name))
      let merged =
        kept.filter { !names.contains($0.name) }.map { ($0.name, $0.value) }
        + winner.map { ($0.name, $0.value) }
      try OutputFile.write(DecisionJSON.params(merged) + "\n", to: path)
      let next =
        strategy.current.params.filter { !names.contains($0.name) }.map {
          (name: $0.name, value: $0.value, source: "running")
        } + winner.map { (name: $0.name, value: $0.value, source: "reoptimize") }
      scripts.lastReloadMessage = ""
      guard strategy.reload(params: next, host: kernel) else {
        if let previous { try? OutputFile.write(previous, to: path) }
        strategy.acceptFilesAsTheyAre()
        throw WickError.data("the winner's params do not load: \(scripts.lastReloadMessage)")
      }
      scripts.overrides = next
      let shown = winner.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      fields.append(("params", .raw(DecisionJSON.params(winner))))
      recordReoptimize(
        due: due, at: t,
        [("status", .string("swapped")), ("reason", .string(decision.reason))] + fields)
      try recordVersion(time: t, source: Self.reoptimizeJob)
      output(
        "schedule: reoptimize due \(when): params swapped (\(shown)): \(decision.reason); \(meanwhile)"
      )
    } catch {
      let reason = "\(error)"
      recordReoptimize(
        due: due, at: t, [("status", .string("failed")), ("reason", .string(reason))])
      journal.incident(
        time: t, kind: "schedule_failed",
        detail: "reoptimize due \(when): \(reason); the running params are kept")
      try journal.commitNotes()
      output("schedule: reoptimize due \(when) failed: \(reason); params kept")
    }
  }
}
