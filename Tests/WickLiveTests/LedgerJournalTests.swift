import Testing
import WickData

@testable import WickLive

@Suite struct LedgerJournalTests {
  /// A resume whose re-handling made fewer decisions than were recorded (found by `make chaos`:
  /// the next session stopped on `UNIQUE constraint failed: decisions.run_id, decisions.seq`):
  /// the divergence is reported, and the run's next decision is numbered after the recorded
  /// ones instead of reusing their numbers.
  @Test func aDivergedResumeNumbersNewDecisionsAfterTheRecordedOnes() {
    let minute: Int64 = 60_000
    let recorded = (0..<5).map {
      RunLedger.Decision(
        seq: $0, candleTime: Int64($0) * minute, kind: "note", symbol: nil,
        detailJSON: "{\"n\":\($0)}")
    }
    let journal = LedgerJournal(
      run: 1, ledger: nil, symbols: ["BTCUSDT"], recorded: recorded, verifyUntil: 4 * minute)
    journal.note(time: 0, kind: "note", detail: "{\"n\":0}")
    journal.note(time: minute, kind: "note", detail: "{\"n\":1}")
    journal.checkComplete(through: 4 * minute)
    #expect(journal.divergence?.seq == 2)
    journal.note(time: 5 * minute, kind: "note", detail: "{}")
    #expect(journal.decisionCount == 6)
  }

  @Test func anIdenticalResumeGoesOnWithTheNextNumber() {
    let recorded = [
      RunLedger.Decision(seq: 0, candleTime: 0, kind: "note", symbol: nil, detailJSON: "{}")
    ]
    let journal = LedgerJournal(
      run: 1, ledger: nil, symbols: ["BTCUSDT"], recorded: recorded, verifyUntil: 0)
    journal.note(time: 0, kind: "note", detail: "{}")
    journal.note(time: 60_000, kind: "note", detail: "{}")
    #expect(journal.divergence == nil)
    #expect(journal.decisionCount == 2)
  }
}
