import Foundation
import GRDB
import Testing
import WickCore
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

  /// `make chaos`'s pair storm: a pair's first leg filled, the run was killed before the second,
  /// and the restart unwound the leg at its first live candle. The journal still held the exit
  /// id of a close it had re-handled, so the unwind was booked under that old exit order; and the
  /// ledger applied the candle's close before its open, leaving the unwound position active.
  /// Both showed at the next resume as a divergence and a `wick replay` that differed.
  @Test func aCloseAfterAResumeIsBookedUnderItsOwnOrderAndLeavesNoActivePosition() throws {
    let minute: Int64 = 60_000
    let path = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-journal-\(UUID().uuidString).sqlite"
    ).path
    defer { try? FileManager.default.removeItem(atPath: path) }
    let ledger = try RunLedger(store: try CandleStore(path: path))
    let run = try ledger.createRun(
      RunLedger.NewRun(
        kind: "live", strategy: "s", scriptPath: "s.lua", exchange: "bybit", paramsJSON: "{}",
        symbols: ["BTCUSDT"], timeframe: "1m", initialEquity: 1_000, argsJSON: "{}",
        accounts: [("s:BTCUSDT", "BTCUSDT", 1_000)]))
    func position(at t: Int64) -> Position {
      Position(
        symbol: 0, side: .long, qty: 2, entry: 100, stop: nil, take: nil, trail: nil, openedAt: t,
        initialRisk: 0, entryFees: 0.1, entrySpread: 0, entrySlippage: 0)
    }
    func trade(at t: Int64, price: Double, reason: ExitReason) -> Trade {
      Trade(
        symbol: "BTCUSDT", side: .long, entryTime: t, entryPrice: 100, exitTime: t,
        exitPrice: price, qty: 2, fees: 0.2, spreadCost: 0, slippageCost: 0,
        pnl: (price - 100) * 2 - 0.2, r: nil, exitReason: reason)
    }
    // Re-handled (the ledger already has these): an exit asked at 0, filled at one minute.
    let journal = LedgerJournal(
      run: run, ledger: ledger, symbols: ["BTCUSDT"], verifyUntil: minute)
    journal.exitRequested(symbol: 0, reason: "signal", time: 0)
    journal.positionClosed(trade(at: minute, price: 101, reason: .signal), symbol: 0, time: minute)
    // Live: a leg opened and unwound by the venue's own order at one candle.
    let t = 2 * minute
    journal.positionOpened(position(at: t), symbol: 0, time: t)
    journal.venueClosing(symbol: 0, clientOrderID: "w1-120-BTCUSDT-pl-u")
    journal.positionClosed(trade(at: t, price: 99, reason: .risk), symbol: 0, time: t)
    try journal.commit(time: t)

    let db = try DatabaseQueue(path: path)
    let fills = try db.read {
      try Row.fetchAll(
        $0,
        sql: """
          SELECT o.client_order_id AS id, f.price AS price FROM fills f
          JOIN orders o ON o.id = f.order_id ORDER BY f.id
          """
      ).map { "\($0["id"] as String) @\($0["price"] as Double)" }
    }
    #expect(fills.count == 2)
    #expect(fills.last == "w1-120-BTCUSDT-pl-u @99.0")
    #expect(!fills.contains { $0.hasSuffix("-x @99.0") })
    let active = try db.read {
      try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM positions WHERE active = 1")
    }
    #expect(active == 0)
    let closedAt = try db.read {
      try Int64.fetchOne($0, sql: "SELECT closed_at FROM positions WHERE active = 0")
    }
    #expect(closedAt == t)
  }
}
