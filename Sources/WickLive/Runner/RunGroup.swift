import Foundation
import WickCore
import WickData
import WickRisk

/// `wick run --config wick.toml`: every `[[run]]` entry in one process under one
/// `SharedGovernor`.
///
/// Each entry is an ordinary `Runner` — its own run id, ledger rows, resume identity, commands —
/// and all of them turn on one thread, in entry order: a shared verdict is decided by one run at
/// a time, and runs whose candles arrive together are served in the file's order. A run that
/// ends (its `--stop-after`, a stop command, an error) leaves the others going; a strategy error
/// halts only that run's strategy. When the runs together lose `[caps] max_total_loss`, every
/// run is flattened and halted (seed 004's emergency stop), recorded as each run's control
/// decision so that a resume or `wick replay` re-applies it where it happened.
public final class RunGroup {
  public let runners: [Runner]
  public let shared: SharedGovernor
  /// SIGTERM/SIGINT: every run stops between candles.
  public var shouldStop: () -> Bool = { false } {
    didSet { for r in runners { r.shouldStop = shouldStop } }
  }
  let output: (String) -> Void

  /// How one run ended.
  public enum Outcome: Equatable, Sendable {
    case ended(Runner.Ending)
    case failed(String)
  }

  /// Opens the ledger for every entry (call after `RunPlan.specs` validated the file).
  public init(specs: [RunSpec], config: WickConfig, output: @escaping (String) -> Void) throws {
    let shared = SharedGovernor(config: config)
    self.shared = shared
    self.output = output
    runners = try specs.map { spec in
      let runner = try Runner(spec: spec, output: output)
      runner.membership = GroupMembership(shared: shared)
      // Lines from several runs interleave: each names its run.
      runner.output = { [unowned runner] line in output("[run \(runner.runID)] \(line)") }
      return runner
    }
  }

  /// Creates or resumes every run, in entry order: the ids to print, before anything trades.
  public func prepare() throws -> [(id: Int64, resumed: Bool)] {
    try runners.map { (try $0.prepare(), $0.resumed) }
  }

  /// Catches every run up and trades until each has ended; the outcomes in entry order.
  public func run() -> [Outcome] {
    var outcomes = [Outcome?](repeating: nil, count: runners.count)
    func fail(_ i: Int, _ error: Error) {
      let r = runners[i]
      // Resumable by the same command once the cause is fixed, as a single run.
      try? r.markStopped(error: "\(error)")
      r.endSession()
      r.output("error: \(error)")
      outcomes[i] = .failed("\(error)")
    }
    // Every run rebuilds its recorded state before any run decides anew: the shared governor
    // then sees all books as they were at the crash.
    var active: [Int] = []
    for i in runners.indices {
      do {
        try runners[i].recoverRecorded()
        active.append(i)
      } catch { fail(i, error) }
    }
    for i in active where outcomes[i] == nil {
      do { try runners[i].catchUpAndListen() } catch { fail(i, error) }
      haltAllOnTotalLoss(&active, &outcomes)
    }
    active.removeAll { outcomes[$0] != nil }
    while !active.isEmpty {
      awaitStreams(active)
      for i in active {
        guard outcomes[i] == nil else { continue }
        do {
          if let ending = try runners[i].step(timeout: 0) {
            runners[i].endSession()
            outcomes[i] = .ended(ending)
          }
        } catch { fail(i, error) }
        haltAllOnTotalLoss(&active, &outcomes)
      }
      active.removeAll { outcomes[$0] != nil }
    }
    return outcomes.map { $0 ?? .ended(.signal) }
  }

  /// Waits up to a quarter second for any run's stream; once one has news, a moment more for
  /// the others' candles of the same close, so that runs are served in entry order.
  private func awaitStreams(_ active: [Int]) {
    let deadline = Date().addingTimeInterval(0.25)
    while Date() < deadline {
      if active.contains(where: { runners[$0].hasStreamEvents }) {
        Thread.sleep(forTimeInterval: 0.02)
        return
      }
      Thread.sleep(forTimeInterval: 0.005)
    }
  }

  /// Seed 004's emergency stop across the runs: flatten and halt every active run.
  private func haltAllOnTotalLoss(_ active: inout [Int], _ outcomes: inout [Outcome?]) {
    guard let reason = shared.checkTotalLoss() else { return }
    output("emergency stop: \(reason)")
    for i in active where outcomes[i] == nil {
      do {
        outcomes[i] = .ended(.halted(try runners[i].emergencyHalt(reason: reason)))
      } catch {
        outcomes[i] = .failed("\(error)")
      }
      runners[i].endSession()
    }
    active.removeAll()
  }
}

extension Runner {
  /// Whether the live stream has events waiting.
  var hasStreamEvents: Bool { session?.inbox.hasEvents ?? false }

  /// Flattens every position, records the emergency stop (a control decision a resume or replay
  /// re-applies after the same candle, and an incident) and halts the run.
  func emergencyHalt(reason: String) throws -> String {
    // What the last candle sent is booked first: the flatten closes what it opened.
    try bookLastSend()
    let open = kernel.book.openCount
    if let t = lastHandled {
      applyControl(
        detail: DecisionJSON.object([
          ("command", .string("emergency_stop")), ("reason", .string(reason)),
        ]), time: t)
      journal.incident(
        time: t, kind: "emergency_stop", detail: "flattened \(open) position(s): \(reason)")
      try journal.commitNotes()
      try releaseClaims()
    }
    try ledger.setStatus(run: runID, "halted", error: reason)
    let outcome = "flattened \(open) position(s); halted"
    output("emergency_stop: \(outcome)")
    return outcome
  }
}
