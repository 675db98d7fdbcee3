import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

/// What a run that comes back from its record follows — a resume of a run that crashed or
/// stopped, or `wick replay`: the decisions that are not the kernel's (script swaps, pause and
/// resume controls, scheduled jobs' records, a clean end's booking of its last send), re-applied after the candle each was recorded
/// after and in their order; and, replaying a live run, the exchange's recorded answers and the
/// instrument rules the run sized with.
struct RunRecovery {
  /// Decisions that are not the kernel's and that a resume or a replay re-applies in order.
  static let noteKinds: Set<String> = ["control", "reload", "schedule", Runner.settleNote]

  /// The run existed and is resumed (not created).
  var resumed = false
  /// Recorded swaps, controls and job records, in order.
  private(set) var notes: [RunLedger.Decision] = []
  /// `wick replay` of a live run: the ledger's record of the exchange (`RecordedVenue`).
  var recordedVenue: Venue?
  /// `wick replay` of a live run: the exchange's instrument rules the run recorded.
  var recordedRules: [String: InstrumentSpec] = [:]

  /// Candles the run went on without (its `candle_missing` incidents): never handled again, even
  /// once the cache has them.
  var missing: [MissingCandles] = []

  /// Reads the run's `candle_missing` incidents back.
  mutating func followMissing(ledger: RunLedger, run: Int64) throws {
    missing = try ledger.incidents(run: run, kind: MissingCandles.incidentKind).compactMap {
      MissingCandles(detail: $0.detail)
    }
  }

  /// Per symbol of `symbols`, the open times to leave out; empty when there are none at all.
  func missingRanges(symbols: [String]) -> [[ClosedRange<Int64>]] {
    guard !missing.isEmpty else { return [] }
    return symbols.map { s in missing.filter { $0.symbol == s }.flatMap(\.ranges) }
  }

  /// Keeps, of a run's recorded decisions, those re-applied beside the kernel's.
  mutating func follow(_ decisions: [RunLedger.Decision]) {
    notes = decisions.filter { Self.noteKinds.contains($0.kind) }
  }

  /// The notes recorded after candle `t`, in their order.
  func notes(after t: Int64) -> LazyFilterSequence<[RunLedger.Decision]> {
    notes.lazy.filter { $0.candleTime == t }
  }

  /// The due times of `job`'s recorded runs (its `schedule` notes): a recorded job never runs
  /// again.
  func recordedDues(job: String) -> Set<Int64> {
    var dues: Set<Int64> = []
    for n in notes where n.kind == "schedule" {
      guard
        let o = try? JSONSerialization.jsonObject(with: Data(n.detailJSON.utf8)) as? [String: Any],
        o["job"] as? String == job, let due = o["due"] as? NSNumber
      else { continue }
      dues.insert(due.int64Value)
    }
    return dues
  }
}
