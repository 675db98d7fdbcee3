import Foundation
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// What the kernel's book is told.
final class BookEvents: BookListener {
  var opened: [Position] = []
  var closed: [Trade] = []
  var refused: [Refusal] = []
  func positionOpened(_ position: Position, symbol: Int, time: Int64) { opened.append(position) }
  func positionClosed(_ trade: Trade, symbol: Int, time: Int64) { closed.append(trade) }
  func venueRefused(_ refusal: Refusal, symbol: Int?, time: Int64) { refused.append(refusal) }
}

@Suite(.serialized) struct BybitVenueTests {
  let t0: Int64 = 1_700_000_000_000
  let minute: Int64 = 60_000

  struct Harness {
    let bybit: MockBybitTrading
    let venue: GatewayVenue
    let book = Book(symbols: ["BTCUSDT", "ETHUSDT"], cash: 10_000)
    let events = BookEvents()
    let incidents = IncidentRecorder()

    init(run: Int64 = 4, bybit existing: MockBybitTrading? = nil) throws {
      bybit = try existing ?? MockBybitTrading()
      var timing = ExecutionTiming()
      timing.fillTimeout = 3
      timing.stopVerifyTimeout = 0.5
      timing.pollInterval = 0.05
      timing.resolveAttempts = 3
      venue = try BybitLive.venue(
        endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
        credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret),
        symbols: ["BTCUSDT", "ETHUSDT"], leverage: nil, incidents: incidents, timing: timing,
        stream: false)
      venue.bind(run: run) { _, _, _ in }
      venue.attach(book: book)
      book.listener = events
    }

    /// The venue's Bybit gateway (its REST API, its stream's inbox).
    var gateway: BybitGateway { venue.gateway as! BybitGateway }

    func entry(_ time: Int64, stop: Double = 59_000, take: Double? = 62_000) -> EntryOrder {
      EntryOrder(
        intent: OrderIntent(symbol: 0, side: .long, stop: stop, take: take), qty: 0.01,
        decidedAt: time)
    }

    /// One kernel step: fills of the last send at `time`, then the decisions, then send.
    func step(_ time: Int64, _ decide: () throws -> Void = {}) throws {
      venue.execute(slice: UnsafeBufferPointer(start: nil, count: 0), time: time)
      try decide()
      try venue.send()
    }
  }

  @Test func anEntryReachesTheBookAtTheNextCandleWithTheExchangesFillAndStop() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    #expect(h.venue.pendingEntries == 1 && h.book.positions[0] == nil)
    try h.step(t0 + minute)
    let p = try #require(h.book.positions[0])
    #expect(p.qty == 0.01 && p.entry == 60_000 && p.stop == 59_000 && p.take == 62_000)
    #expect(p.openedAt == t0 + minute)
    #expect(h.venue.pendingEntries == 0)
    let order = try #require(h.bybit.orders.first)
    #expect(
      order.orderLinkId == EntryOrder.clientOrderID(run: 4, time: t0, symbol: "BTCUSDT", kind: "e"))
    #expect(h.bybit.position("BTCUSDT")?.stopLoss == 59_000)
  }

  @Test func anExitClosesOnTheExchangeAndInTheBook() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    try h.step(t0 + minute) { h.venue.submit(exit: 0, reason: "signal") }
    h.bybit.setMarkPrice("BTCUSDT", 61_000)
    try h.step(t0 + 2 * minute)
    #expect(h.book.positions[0] == nil)
    let trade = try #require(h.events.closed.first)
    #expect(trade.exitPrice == 60_000 && trade.exitReason == .signal)
    #expect(h.bybit.position("BTCUSDT") == nil)
  }

  @Test func aPartialCloseIsReduceOnlyAndTheExchangeStopFollowsTheRemainder() throws {
    let h = try Harness()
    #expect(h.venue.capabilities.contains(.partialExits))
    // Resting limits too, now that BybitGateway speaks them; and the adapter says the same.
    #expect(h.venue.capabilities.contains(.limitOrders))
    #expect(BybitExchange.capabilities.rawValue == h.venue.capabilities.rawValue)
    let entry = EntryOrder(
      intent: OrderIntent(symbol: 0, side: .long, stop: 59_000), qty: 0.05, decidedAt: t0)
    try h.step(t0) { h.venue.submit(entry: entry) }
    // 0.05 × 0.33 = 0.0165 goes down to the lot step: 0.016.
    try h.step(t0 + minute) {
      h.venue.submit(partialExit: 0, fraction: 0.33, reason: "scale out")
      #expect(h.venue.hasPendingExit(symbol: 0))
    }
    h.bybit.setMarkPrice("BTCUSDT", 61_000)
    try h.step(t0 + 2 * minute)
    let order = try #require(h.bybit.orders.last)
    #expect(order.reduceOnly && order.side == "Sell" && order.qty == 0.016)
    #expect(
      order.orderLinkId
        == EntryOrder.clientOrderID(run: 4, time: t0 + minute, symbol: "BTCUSDT", kind: "xp"))
    let p = try #require(h.book.positions[0])
    #expect(abs(p.qty - 0.034) < 1e-12)
    let remote = try #require(h.bybit.position("BTCUSDT"))
    #expect(abs(remote.size - 0.034) < 1e-12 && remote.stopLoss == 59_000)
    #expect(h.book.trades.count == 1 && h.book.trades[0].partial)
    #expect(abs(h.book.trades[0].qty - 0.016) < 1e-12)
    // Book and exchange agree: reconciliation halts nothing.
    #expect(h.venue.halted.isEmpty && h.incidents.kinds.isEmpty)
  }

  @Test func anAddBuysMoreAndPutsTheCombinedStopOnTheWholePosition() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    h.bybit.setMarkPrice("BTCUSDT", 61_000)
    let add = EntryOrder(
      intent: OrderIntent(symbol: 0, side: .long, stop: 60_000, add: true), qty: 0.02,
      decidedAt: t0 + minute)
    try h.step(t0 + minute) { h.venue.submit(entry: add) }
    try h.step(t0 + 2 * minute)
    let p = try #require(h.book.positions[0])
    #expect(abs(p.qty - 0.03) < 1e-12 && p.stop == 60_000)
    #expect(abs(p.entry - (60_000 * 0.01 + 61_000 * 0.02) / 0.03) < 1e-6)
    let remote = try #require(h.bybit.position("BTCUSDT"))
    #expect(abs(remote.size - 0.03) < 1e-12 && remote.stopLoss == 60_000)
    let addOrder = try #require(h.bybit.orders.last)
    #expect(!addOrder.reduceOnly && addOrder.side == "Buy" && addOrder.stopLoss == nil)
    #expect(h.venue.halted.isEmpty && h.incidents.kinds.isEmpty)
  }

  @Test func anAddWhoseCombinedStopIsRejectedClosesTheWholePosition() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    h.bybit.tradingStopFaults = [.retCode(10001, "params error")]
    let add = EntryOrder(
      intent: OrderIntent(symbol: 0, side: .long, stop: 59_500, add: true), qty: 0.01,
      decidedAt: t0 + minute)
    try h.step(t0 + minute) { h.venue.submit(entry: add) }
    try h.step(t0 + 2 * minute)
    #expect(h.book.positions[0] == nil)
    #expect(h.bybit.position("BTCUSDT") == nil)
    let trade = try #require(h.events.closed.last)
    #expect(abs(trade.qty - 0.02) < 1e-12 && trade.exitReason == .risk)
    #expect(h.incidents.kinds.contains(LiveIncident.panicClose))
  }

  @Test func aStopHitOnTheExchangeClosesTheBookAtTheStop() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    try h.step(t0 + minute)
    h.bybit.triggerStop("BTCUSDT")
    try h.step(t0 + 2 * minute)
    let trade = try #require(h.events.closed.first)
    #expect(trade.exitPrice == 59_000 && trade.exitReason == .stop)
    #expect(h.incidents.kinds == [LiveIncident.closedOnExchange])
  }

  @Test func aForeignPositionHaltsItsSymbolAndEntriesThereAreRefused() throws {
    let h = try Harness()
    h.bybit.openForeignPosition("BTCUSDT", side: "Sell", size: 0.2)
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    #expect(h.venue.halted["BTCUSDT"] != nil)
    #expect(h.events.refused.map(\.code) == ["symbol_halted"])
    #expect(h.bybit.orders.isEmpty)
  }

  @Test func aRejectedStopBecomesAPanicClosedTradeInTheBook() throws {
    let h = try Harness()
    h.bybit.attachStopsOnOrder = false
    h.bybit.tradingStopFaults = [.retCode(10001, "params error")]
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    try h.step(t0 + minute)
    #expect(h.book.positions[0] == nil)
    let trade = try #require(h.events.closed.first)
    #expect(trade.exitReason == .risk && trade.exitNote?.hasPrefix("panic close") == true)
    #expect(h.incidents.kinds.contains(LiveIncident.panicClose))
  }

  @Test func aRestartedVenueFindsTheOrderSentBeforeTheCrash() throws {
    let bybit = try MockBybitTrading()
    bybit.attachStopsOnOrder = false
    do {
      // The first process: the entry is sent, the answer is lost, the process dies.
      let first = try Harness(bybit: bybit)
      bybit.orderCreateFaults = [.processThenReset]
      first.venue.execute(slice: UnsafeBufferPointer(start: nil, count: 0), time: t0)
      first.venue.submit(entry: first.entry(t0))
      let id = first.entry(t0).clientOrderID(run: 4, symbol: "BTCUSDT")
      #expect(throws: BybitError.self) {
        try first.gateway.api.createMarketOrder(
          .init(symbol: "BTCUSDT", side: .buy, qty: "0.010", orderLinkId: id))
      }
    }
    let second = try Harness(bybit: bybit)
    second.venue.resume(entries: [second.entry(t0)], lateWindow: 0)
    second.venue.execute(slice: UnsafeBufferPointer(start: nil, count: 0), time: t0 + minute)
    let p = try #require(second.book.positions[0])
    #expect(p.qty == 0.01 && p.stop == 59_000)
    #expect(bybit.orders.count == 1)
    #expect(bybit.position("BTCUSDT")?.stopLoss == 59_000)
  }

  @Test func anEntryDecidedOnAnOldCandleIsRefusedAsStale() throws {
    // The exchange's clock starts 5 s into a minute, so the current candle's decision has 55 s
    // before its next open passes: a slow machine cannot make it stale mid-test.
    let bybit = try MockBybitTrading()
    let local = Int64(Date().timeIntervalSince1970 * 1000)
    bybit.clockSkewMs = minute - local % minute + 5_000
    let h = try Harness(bybit: bybit)
    let venue = GatewayVenue(
      gateway: h.gateway, instruments: h.venue.instruments, run: 4, incidents: h.incidents,
      timing: h.venue.executor.timing, timeframe: minute)
    venue.attach(book: h.book)
    h.book.listener = h.events
    // t0 is in 2023: long past by the exchange's clock.
    venue.execute(slice: UnsafeBufferPointer(start: nil, count: 0), time: t0)
    venue.submit(entry: h.entry(t0))
    try venue.send()
    #expect(h.events.refused.map(\.code) == ["stale_decision"])
    #expect(h.bybit.orders.isEmpty)
    // The current candle's decision goes out.
    let now = h.bybit.serverNow / minute * minute - minute
    venue.execute(slice: UnsafeBufferPointer(start: nil, count: 0), time: now)
    venue.submit(entry: h.entry(now))
    try venue.send()
    #expect(h.bybit.orders.count == 1)
  }

  @Test func betweenCandlesAStopIsRestoredAtOnceAndACloseWaitsForTheNextCandle() throws {
    let h = try Harness()
    try h.step(t0) { h.venue.submit(entry: h.entry(t0)) }
    try h.step(t0 + minute)
    h.venue.reconcileInterval = 0
    h.bybit.removeStop("BTCUSDT")
    h.venue.heartbeat()
    #expect(h.bybit.position("BTCUSDT")?.stopLoss == 59_000)
    h.bybit.triggerStop("BTCUSDT")
    h.venue.heartbeat()
    // The book changes only at a candle, where a resumed run's replay finds the same close.
    #expect(h.book.positions[0] != nil)
    try h.step(t0 + 2 * minute)
    #expect(h.book.positions[0] == nil)
    #expect(h.events.closed.first?.exitTime == t0 + 2 * minute)
    #expect(h.events.closed.first?.exitReason == .stop)
  }

}

/// A ledger's record, for a replay.
final class RecordedHistory: LiveHistory {
  var fills: [String: LiveFill] = [:]
  var closesAt: [Int64: [RecordedClose]] = [:]
  var refusals: [String: String] = [:]
  func fill(_ clientOrderID: String) -> LiveFill? { fills[clientOrderID] }
  func closes(_ time: Int64) -> [RecordedClose] { closesAt[time] ?? [] }
  func refusal(_ clientOrderID: String) -> String? { refusals[clientOrderID] }
}

@Suite(.serialized) struct BybitVenueReplayTests {
  let t0: Int64 = 1_700_000_000_000
  let minute: Int64 = 60_000

  func ethEntry(_ time: Int64) -> EntryOrder {
    EntryOrder(
      intent: OrderIntent(symbol: 1, side: .long, stop: 2_900, take: nil), qty: 0.5, decidedAt: time
    )
  }

  @Test func aResumedRunRebuildsItsBookFromTheRecordAndResolvesWhatWasInFlight() throws {
    let bybit = try MockBybitTrading()
    let history = RecordedHistory()
    let btcID = EntryOrder.clientOrderID(run: 4, time: t0, symbol: "BTCUSDT", kind: "e")
    do {
      // Before the crash: BTC entered and filled (recorded); the ETH entry went out, its answer
      // was lost, and the process died before recording any fill.
      let a = try BybitVenueTests.Harness(bybit: bybit)
      try a.step(t0) { a.venue.submit(entry: a.entry(t0)) }
      bybit.orderCreateFaults = [.processThenReset]
      bybit.attachStopsOnOrder = false
      try a.step(t0 + minute) {
        // The ETH order reaches the exchange without an answer; the process dies right after.
        _ = try? a.gateway.api.createMarketOrder(
          .init(
            symbol: "ETHUSDT", side: .buy, qty: "0.50",
            orderLinkId: ethEntry(t0 + minute).clientOrderID(run: 4, symbol: "ETHUSDT")))
      }
      let btc = try #require(a.book.positions[0])
      history.fills[btcID] = LiveFill(
        orderLinkId: btcID, qty: btc.qty, price: btc.entry, fee: btc.entryFees)
    }
    #expect(bybit.orders.count == 2)

    let b = try BybitVenueTests.Harness(bybit: bybit)
    b.venue.beginReplay(history)
    try b.step(t0) { b.venue.submit(entry: b.entry(t0)) }
    try b.step(t0 + minute) { b.venue.submit(entry: ethEntry(t0 + minute)) }
    // Replaying sent nothing and took the recorded fill.
    #expect(bybit.orders.count == 2)
    #expect(b.book.positions[0]?.entry == 60_000)
    b.venue.finishReplay(lateWindow: 2 * minute)
    #expect(b.venue.pendingEntries == 1)
    try b.step(t0 + 2 * minute)
    let eth = try #require(b.book.positions[1])
    #expect(eth.qty == 0.5 && eth.stop == 2_900)
    #expect(bybit.position("ETHUSDT")?.stopLoss == 2_900)
    #expect(bybit.orders.count == 2)
    #expect(b.incidents.kinds.isEmpty)
  }

  @Test func anEntryThatNeverLeftIsSentLateOnlyWithinItsCandle() throws {
    let bybit = try MockBybitTrading()
    let history = RecordedHistory()
    let b = try BybitVenueTests.Harness(bybit: bybit)
    b.venue.beginReplay(history)
    try b.step(t0) { b.venue.submit(entry: b.entry(t0)) }
    // Decided long ago (t0 is in 2023): not sent late.
    b.venue.finishReplay(lateWindow: 2 * minute)
    try b.step(t0 + minute)
    #expect(bybit.orders.isEmpty && b.book.positions[0] == nil)

    let c = try BybitVenueTests.Harness(bybit: bybit)
    c.venue.beginReplay(history)
    try c.step(t0) { c.venue.submit(entry: c.entry(t0)) }
    // Its candle still current by the exchange's clock: sent now, under the same id.
    c.venue.finishReplay(lateWindow: Int64.max / 2)
    try c.step(t0 + minute)
    #expect(bybit.orders.count == 1 && c.book.positions[0]?.qty == 0.01)
  }

  @Test func recordedExchangeClosesReplayAtTheirCandle() throws {
    let bybit = try MockBybitTrading()
    let history = RecordedHistory()
    let btcID = EntryOrder.clientOrderID(run: 4, time: t0, symbol: "BTCUSDT", kind: "e")
    history.fills[btcID] = LiveFill(orderLinkId: btcID, qty: 0.01, price: 60_010, fee: 0.33)
    history.closesAt[t0 + 2 * minute] = [
      RecordedClose(symbol: 0, price: 59_000, fee: 0.32, reason: .stop)
    ]
    let b = try BybitVenueTests.Harness(bybit: bybit)
    b.venue.beginReplay(history)
    try b.step(t0) { b.venue.submit(entry: b.entry(t0)) }
    try b.step(t0 + minute)
    #expect(b.book.positions[0]?.entry == 60_010)
    try b.step(t0 + 2 * minute)
    #expect(b.book.positions[0] == nil)
    #expect(
      b.events.closed.first?.exitPrice == 59_000 && b.events.closed.first?.exitReason == .stop)
    b.venue.finishReplay(lateWindow: 2 * minute)
    try b.step(t0 + 3 * minute)
    #expect(bybit.orders.isEmpty && b.incidents.kinds.isEmpty)
  }
}
