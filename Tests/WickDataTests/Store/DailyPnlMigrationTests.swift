import Foundation
import GRDB
import Testing
import WickCore

@testable import WickData

/// Migration "ledger.v4-livebook": one `daily_pnl` row per run, account (NULL: the whole run)
/// and day, however many trades close that day, in new ledgers and in ledgers the old key split.
@Suite struct DailyPnlMigrationTests {
  let dir: TemporaryDirectory
  init() throws { dir = try TemporaryDirectory() }

  static let day = "2024-01-02"
  static let noon: Int64 = 1_704_196_800_000  // 2024-01-02T12:00:00Z

  func newRun(_ ledger: RunLedger) throws -> Int64 {
    try ledger.createRun(
      RunLedger.NewRun(
        kind: "paper", strategy: "s", scriptPath: "s.lua", exchange: "bybit", paramsJSON: "{}",
        symbols: ["BTCUSDT"], timeframe: "1m", initialEquity: 1_000, argsJSON: "{}",
        accounts: [("s:BTCUSDT", "BTCUSDT", 1_000)]))
  }

  func close(_ ledger: RunLedger, run: Int64, pnl: Double, at time: Int64) throws {
    var c = RunLedger.Commit()
    c.positions = [
      .closed(
        RunLedger.PositionClose(
          symbol: "BTCUSDT", time: time, exitPrice: 100, pnl: pnl, reason: "signal"))
    ]
    try ledger.commit(run: run, c)
  }

  func rows(_ path: String, run: Int64) throws -> [(
    account: String?, day: String, pnl: Double, trades: Int
  )] {
    try DatabaseQueue(path: path).read { db in
      try Row.fetchAll(
        db,
        sql: "SELECT account, day, pnl, trades FROM daily_pnl WHERE run_id = ? ORDER BY account",
        arguments: [run]
      ).map { ($0["account"], $0["day"], $0["pnl"], $0["trades"]) }
    }
  }

  @Test func tradesClosingTheSameDayAddUpInOneWholeRunRow() throws {
    let path = dir.path("new.sqlite")
    let ledger = try RunLedger(store: try CandleStore(path: path))
    let run = try newRun(ledger)
    try close(ledger, run: run, pnl: 10, at: Self.noon)
    try close(ledger, run: run, pnl: -4, at: Self.noon + 60_000)
    try close(ledger, run: run, pnl: 2.5, at: Self.noon + 120_000)
    let r = try rows(path, run: run)
    #expect(r.count == 2, "one whole-run row and one account row, got \(r)")
    let whole = try #require(r.first { $0.account == nil })
    #expect(whole.day == Self.day && whole.pnl == 8.5 && whole.trades == 3)
    let account = try #require(r.first { $0.account == "BTCUSDT" })
    #expect(account.pnl == 8.5 && account.trades == 3)
  }

  @Test func aLedgerTheOldKeySplitIsMergedAndThenKeyedProperly() throws {
    let path = dir.path("old.sqlite")
    // A ledger at ledger.v3-run, with the rows the old upsert left: one whole-run row per trade.
    let store = try CandleStore(path: path)
    try store.migrate {
      LedgerSchema.register(&$0)
      RunnerSchema.register(&$0)
    }
    let run: Int64 = try store.database.write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, initial_equity, created_at, status)
          VALUES ('paper', 's', '{}', 'BTCUSDT', '1m', 1000, 0, 'running')
          """)
      let run = db.lastInsertedRowID
      for (account, day, pnl) in [
        (nil, Self.day, 10.0), (nil, Self.day, -4.0), ("BTCUSDT", Self.day, 6.0),
        (nil, "2024-01-03", 1.0),
      ] as [(String?, String, Double)] {
        try db.execute(
          sql: "INSERT INTO daily_pnl (run_id, account, day, pnl, trades) VALUES (?, ?, ?, ?, 1)",
          arguments: [run, account, day, pnl])
      }
      return run
    }
    // Opening the ledger migrates it.
    let ledger = try RunLedger(store: try CandleStore(path: path))
    let migrated = try rows(path, run: run).filter { $0.day == Self.day }
    #expect(migrated.count == 2, "\(migrated)")
    let whole = try #require(migrated.first { $0.account == nil })
    #expect(whole.pnl == 6 && whole.trades == 2)
    #expect(try rows(path, run: run).filter { $0.day == "2024-01-03" }.count == 1)
    // New closes add to the merged row.
    try close(ledger, run: run, pnl: 1.5, at: Self.noon)
    let after = try rows(path, run: run).filter { $0.day == Self.day && $0.account == nil }
    #expect(after.count == 1)
    #expect(after.first?.pnl == 7.5 && after.first?.trades == 3)
  }
}
