import Foundation
import GRDB
import Testing

@testable import WickData

/// `symbol_owners` (ledger.v4-multirun): one owner per symbol and venue, across runs and
/// processes.
@Suite struct SymbolOwnerTests {
  func run(_ ledger: RunLedger, _ symbol: String) throws -> Int64 {
    try ledger.createRun(
      RunLedger.NewRun(
        kind: "paper", strategy: "s", scriptPath: "s.lua", exchange: "bybit", paramsJSON: "{}",
        symbols: [symbol], timeframe: "1m", initialEquity: 1_000, argsJSON: "{\"\(symbol)\":1}",
        accounts: [("s:\(symbol)", symbol, 1_000)]))
  }

  @Test func aSymbolHasOneOwnerUntilReleasedOrStale() throws {
    let dir = try TemporaryDirectory()
    let ledger = try RunLedger(store: try CandleStore(path: dir.path("w.sqlite")))
    let (a, b) = (try run(ledger, "BTCUSDT"), try run(ledger, "BTCUSDT"))
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: a, account: "s:A") == nil
    )
    // The owner claims again freely; another run is told who owns it.
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: a, account: "s:A") == nil
    )
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: b, account: "s:B")
        == RunLedger.SymbolOwner(run: a, account: "s:A"))
    // Another venue is another market.
    #expect(
      try ledger.claimSymbol(scope: "live:bybit:testnet", symbol: "BTCUSDT", run: b, account: "s:B")
        == nil)
    // A stopped run can resume: it keeps its symbols.
    try ledger.setStatus(run: a, "stopped")
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: b, account: "s:B") != nil
    )
    // A halted run with no open position there no longer owns it.
    try ledger.setStatus(run: a, "halted")
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: b, account: "s:B") == nil
    )
    #expect(try ledger.ownedSymbols(run: b) == ["BTCUSDT", "BTCUSDT"])
    // Releasing keeps what the run still holds.
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "ETHUSDT", run: b, account: "s:B") == nil
    )
    try ledger.releaseSymbols(run: b, keeping: ["ETHUSDT"])
    #expect(try ledger.ownedSymbols(run: b) == ["ETHUSDT"])
    try ledger.releaseSymbols(run: b, keeping: [])
    #expect(try ledger.ownedSymbols(run: b).isEmpty)
  }

  @Test func aHaltedRunWithAnOpenPositionKeepsItsSymbol() throws {
    let dir = try TemporaryDirectory()
    let ledger = try RunLedger(store: try CandleStore(path: dir.path("w.sqlite")))
    let (a, b) = (try run(ledger, "BTCUSDT"), try run(ledger, "ETHUSDT"))
    _ = try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: a, account: "s:A")
    var open = RunLedger.Commit()
    open.positions = [
      .opened(
        RunLedger.PositionOpen(
          symbol: "BTCUSDT", side: "long", qty: 1, entry: 100, stop: 90, take: nil, time: 0))
    ]
    try ledger.commit(run: a, open)
    try ledger.setStatus(run: a, "halted")
    // Its position is still out there (under its stop): nobody else may trade the symbol.
    #expect(
      try ledger.claimSymbol(scope: "paper:bybit", symbol: "BTCUSDT", run: b, account: "s:B")?.run
        == a)
  }
}
