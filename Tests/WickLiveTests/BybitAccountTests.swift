import Foundation
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// The live venue and the account as a whole: the funding Bybit settles, the wallet the run
/// sizes from, and positions in symbols the run does not trade.
@Suite(.serialized) struct BybitAccountTests {
  typealias Harness = BybitVenueTests.Harness
  let t0: Int64 = 1_700_000_000_000  // 22:13:20 UTC
  let minute: Int64 = 60_000
  let hour: Int64 = 3_600_000

  /// Entered at t0, filled (0.01 BTC at 60,000) at t0 + 1 min.
  func holding(_ h: Harness) throws {
    try step(h, t0) { h.venue.submit(entry: h.entry(t0)) }
    try step(h, t0 + minute)
    #expect(h.book.positions[0]?.qty == 0.01)
  }

  /// One kernel step with the periodic charges first, as the kernel calls them.
  func step(_ h: Harness, _ time: Int64, _ decide: () throws -> Void = {}) throws {
    h.venue.beginSlice(time: time)
    try h.step(time, decide)
  }

  func fundingLookups(_ h: Harness) -> Int {
    h.bybit.requests.filter { $0 == "GET /v5/execution/list" }.count
  }

  @Test func fundingTheExchangeSettledReachesTheBookOnceAtItsAmount() throws {
    let h = try Harness()
    try holding(h)
    let paid = try #require(h.bybit.settleFunding("BTCUSDT", rate: 0.0001))
    #expect(abs(paid - 0.06) < 1e-9)
    let cash = h.book.cash
    try step(h, t0 + 2 * minute)
    #expect(abs(h.book.funding[0] + paid) < 1e-9)
    #expect(abs(h.book.cash - (cash - paid)) < 1e-9)
    // Looked up once an hour: the next candles of the hour ask nothing, the next hour finds
    // nothing new, and nothing is booked twice.
    let lookups = fundingLookups(h)
    try step(h, t0 + 3 * minute)
    #expect(fundingLookups(h) == lookups)
    try step(h, t0 + hour)
    #expect(fundingLookups(h) == lookups + 1)
    #expect(abs(h.book.funding[0] + paid) < 1e-9)
    // A negative rate pays the long; the trade's PnL carries both.
    let received = try #require(h.bybit.settleFunding("BTCUSDT", rate: -0.0002))
    try step(h, t0 + 2 * hour)
    #expect(abs(h.book.funding[0] + paid + received) < 1e-9)
    try step(h, t0 + 2 * hour + minute) { h.venue.submit(exit: 0, reason: "done") }
    try step(h, t0 + 2 * hour + 2 * minute)
    let trade = try #require(h.events.closed.first)
    #expect(abs(trade.funding - (-paid - received)) < 1e-9)
    #expect(!h.incidents.kinds.contains(LiveIncident.equityDrift), "\(h.incidents.details)")
  }

  @Test func anUnreadableFundingListIsAnIncidentAndIsReadAgainNextCandle() throws {
    let h = try Harness()
    try holding(h)
    let paid = try #require(h.bybit.settleFunding("BTCUSDT", rate: 0.0003))
    h.bybit.injectReadFaults(
      "/v5/execution/list", [.result("{\"list\":[{\"execId\":\"x\"}]}")])
    try step(h, t0 + 2 * minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.fundingUnavailable }.count == 1)
    #expect(h.book.funding[0] == 0)
    try step(h, t0 + 3 * minute)
    #expect(abs(h.book.funding[0] + paid) < 1e-9)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.fundingUnavailable }.count == 1)
  }

  @Test func moneyMovedOutsideTheRunIsADriftIncidentAndTheBookFollowsTheWallet() throws {
    let h = try Harness()
    try holding(h)
    h.bybit.setMarkPrice("BTCUSDT", 61_000)
    try step(h, t0 + 2 * minute) { h.venue.submit(exit: 0, reason: "profit") }
    try step(h, t0 + 3 * minute)
    // Fees and realised PnL moved the wallet exactly as they moved the book: no drift.
    #expect(h.book.positions[0] == nil)
    #expect(!h.incidents.kinds.contains(LiveIncident.equityDrift), "\(h.incidents.details)")
    #expect(abs(h.book.cash - h.bybit.walletBalance) < 1e-6)
    // A withdrawal (or another program's loss): the run's equity follows the exchange.
    h.bybit.adjustWallet(by: -250)
    try step(h, t0 + 4 * minute)
    let drift = h.incidents.details.filter { $0.contains("moved outside the run") }
    #expect(drift.count == 1)
    #expect(drift.first?.contains("-250.00 moved outside the run") == true, "\(drift)")
    #expect(abs(h.book.cash - h.bybit.walletBalance) < 1e-6)
    try step(h, t0 + 5 * minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.equityDrift }.count == 1)
  }

  @Test func anUnreadableWalletIsAnIncidentOnceAndTradingCarriesOn() throws {
    let h = try Harness()
    h.bybit.injectReadFaults(
      "/v5/account/wallet-balance",
      [.retCode(10001, "accountType only support UNIFIED"), .result("{\"list\":[]}")])
    try step(h, t0) { h.venue.submit(entry: h.entry(t0)) }
    try step(h, t0 + minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.walletUnavailable }.count == 1)
    #expect(h.book.positions[0] != nil)
    // 5xx and a malformed body are retried within the read: nothing to report.
    h.bybit.injectReadFaults("/v5/account/wallet-balance", [.status(503), .malformed])
    try step(h, t0 + 2 * minute)
    try step(h, t0 + 3 * minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.walletUnavailable }.count == 1)
    #expect(!h.incidents.kinds.contains(LiveIncident.equityDrift))
  }

  @Test func aPositionInASymbolTheRunDoesNotTradeIsReportedNotAdoptedNorHalting() throws {
    let h = try Harness()
    h.bybit.openForeignPosition("SOLUSDT", side: "Buy", size: 40)
    try step(h, t0) { h.venue.submit(entry: h.entry(t0)) }
    try step(h, t0 + minute)
    let reports = h.incidents.details.filter { $0.contains("SOLUSDT") }
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.foreignPosition }.count == 1)
    #expect(reports.first?.contains("long 40.0 SOLUSDT") == true, "\(reports)")
    #expect(reports.first?.contains("of equity") == true)
    // Not adopted, not halting: the run's own entry went through.
    #expect(h.venue.halted.isEmpty)
    #expect(h.book.positions[0] != nil)
    #expect(!h.book.symbols.contains("SOLUSDT"))
    // Reported again only when it changes.
    try step(h, t0 + 2 * minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.foreignPosition }.count == 1)
    h.bybit.openForeignPosition("SOLUSDT", side: "Buy", size: 55)
    try step(h, t0 + 3 * minute)
    #expect(h.incidents.kinds.filter { $0 == LiveIncident.foreignPosition }.count == 2)
  }
}

/// A resumed run's record: fills by id and the account decisions (funding, wallet) by candle.
final class RecordedAccountHistory: LiveHistory {
  var fills: [String: LiveFill] = [:]
  var notes: [RunLedger.Decision] = []
  func fill(_ clientOrderID: String) -> LiveFill? { fills[clientOrderID] }
  func closes(_ time: Int64) -> [RecordedClose] { [] }
  func refusal(_ clientOrderID: String) -> String? { nil }
  func recorded(_ kind: String, at time: Int64) -> [RunLedger.Decision] {
    notes.filter { $0.kind == kind && $0.candleTime == time }
  }
}

extension BybitAccountTests {
  @Test func aResumedRunBooksTheRecordedFundingAtItsCandleAndNeverTwice() throws {
    let bybit = try MockBybitTrading()
    let history = RecordedAccountHistory()
    let entryID = EntryOrder.clientOrderID(run: 4, time: t0, symbol: "BTCUSDT", kind: "e")
    var paid = 0.0
    do {
      let a = try Harness(bybit: bybit)
      try holding(a)
      paid = try #require(bybit.settleFunding("BTCUSDT", rate: 0.0001))
      try step(a, t0 + 2 * minute)
      let p = try #require(a.book.positions[0])
      history.fills[entryID] = LiveFill(
        orderLinkId: entryID, qty: p.qty, price: p.entry, fee: p.entryFees)
      let settled = try #require(bybit.executions.last { $0.execType == "Funding" })
      history.notes.append(
        RunLedger.Decision(
          seq: 3, candleTime: t0 + 2 * minute, kind: "funding", symbol: "BTCUSDT",
          detailJSON: "{\"time\":\(settled.time),\"rate\":0.0001,\"amount\":\(-paid)}"))
    }
    let b = try Harness(bybit: bybit)
    b.venue.beginReplay(history)
    try step(b, t0) { b.venue.submit(entry: b.entry(t0)) }
    try step(b, t0 + minute)
    #expect(b.book.funding[0] == 0)
    try step(b, t0 + 2 * minute)
    #expect(b.book.funding[0] == -paid)
    b.venue.finishReplay(lateWindow: 2 * minute)
    // The live lookup finds the same settlement on the exchange: already booked.
    try step(b, t0 + 3 * minute)
    try step(b, t0 + hour)
    #expect(b.book.funding[0] == -paid)
    #expect(fundingLookups(b) >= 1)
  }
}

/// A live run sizes from the exchange's equity, recorded so a resume sizes the same.
@Suite(.serialized) struct LiveStartEquityTests {
  @Test func aNewLiveRunStartsFromTheWalletsEquity() throws {
    let bybit = try MockBybitTrading()
    bybit.adjustWallet(by: -7_500)
    let folder = try LiveRunFolder(bybit)
    defer { withExtendedLifetime(folder) {} }  // keys and folder until the end
    let spec = folder.spec
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    (runner.venue as? LiveVenue)?.close()
    #expect(runner.kernel.initialEquity == 2_500)
    #expect(runner.kernel.equity() == 2_500)
    let ledger = try RunLedger(store: try CandleStore(path: spec.dbPath))
    #expect(try ledger.run(id)?.initialEquity == 2_500)
    // A restart keeps the recorded equity, whatever the wallet holds now.
    try ledger.setStatus(run: id, "stopped")
    bybit.adjustWallet(by: 1_000)
    let again = try Runner(spec: spec, output: { _ in })
    #expect(try again.prepare() == id)
    (again.venue as? LiveVenue)?.close()
    #expect(again.kernel.initialEquity == 2_500)
  }
}
