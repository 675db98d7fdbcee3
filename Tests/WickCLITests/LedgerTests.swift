import Foundation
import GRDB
import Testing
import WickCore
import WickData

@testable import WickCLI

/// `--save` persists a run into the ledger tables of the cache file.
@Suite struct LedgerTests {
  @Test func backtestRunIsSavedWithItsOrdersFillsAndPositions() throws {
    let f = try BacktestCommandTests.Fixture()
    let outcome = try BacktestCommand.parse([
      "strategies/ma_cross.lua", "--db", f.db, "--param", "min_quote_volume=0", "--config",
      "config/wick.toml", "--save",
    ]).job().run()
    let run = try #require(outcome.savedRun)
    let ledger = try Ledger(store: CandleStore(path: f.db))
    let trades = outcome.result.trades.count
    #expect(trades > 0)
    #expect(try ledger.count("orders", run: run) == 2 * trades)
    #expect(try ledger.count("positions", run: run) == trades)
    #expect(try ledger.count("accounts", run: run) == 1)
    #expect(try ledger.count("equity_snapshots", run: run) == outcome.result.dailyEquity.count)
    #expect(try ledger.count("daily_pnl", run: run) > 0)
    let store = try CandleStore(path: f.db)
    let (fills, linked, name) = try store.database.read { db in
      (
        try Int.fetchOne(
          db,
          sql:
            "SELECT COUNT(*) FROM fills JOIN orders ON orders.id = fills.order_id WHERE run_id = ?",
          arguments: [run]) ?? 0,
        try Int.fetchOne(
          db, sql: "SELECT COUNT(*) FROM orders WHERE run_id = ? AND parent_order_id IS NOT NULL",
          arguments: [run]) ?? 0,
        try String.fetchOne(db, sql: "SELECT name FROM accounts WHERE run_id = ?", arguments: [run])
      )
    }
    #expect(fills == 2 * trades)
    #expect(linked == trades)  // every exit order points at its entry
    #expect(name == "btc_ma")
  }

  @Test func oneActiveOwnerPerSymbolIsADatabaseConstraint() throws {
    let f = try BacktestCommandTests.Fixture()
    let outcome = try BacktestCommand.parse([
      "strategies/ma_cross.lua", "--db", f.db, "--save", "--quiet",
    ]).job().run()
    let run = try #require(outcome.savedRun)
    let ledger = try Ledger(store: CandleStore(path: f.db))
    let account = try CandleStore(path: f.db).database.read { db in
      try Int64.fetchOne(db, sql: "SELECT id FROM accounts WHERE run_id = ?", arguments: [run])!
    }
    try ledger.openPosition(
      run: run, account: account, symbol: "BTCUSDT", side: .long, qty: 1, entry: 100, stop: 90,
      take: nil, time: 0)
    #expect(throws: WickError.self) {
      try ledger.openPosition(
        run: run, account: account, symbol: "BTCUSDT", side: .short, qty: 1, entry: 100, stop: 110,
        take: nil, time: 1)
    }
    // Another symbol is fine.
    try ledger.openPosition(
      run: run, account: account, symbol: "ETHUSDT", side: .short, qty: 1, entry: 100, stop: 110,
      take: nil, time: 1)
  }
}
