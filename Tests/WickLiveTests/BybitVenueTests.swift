import Foundation
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

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
    let session: BybitLiveSession
    let venue: BybitVenue
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
      session = try BybitLiveSession(
        endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
        credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret), run: run,
        symbols: ["BTCUSDT", "ETHUSDT"], incidents: incidents, timing: timing, stream: false)
      venue = BybitVenue(session: session, run: run, incidents: incidents)
      venue.attach(book: book)
      book.listener = events
    }

    func entry(_ time: Int64, stop: Double = 59_000, take: Double? = 62_000) -> EntryOrder {
      EntryOrder(
        intent: OrderIntent(symbol: 0, side: .long, stop: stop, take: take), qty: 0.01,
        decidedAt: time)
    }

    /// One kernel step: fills of the last send at `time`, then the decisions, then send.
    func step(_ time: Int64, _ decide: () -> Void = {}) throws {
      venue.execute(slice: [], count: 0, time: time)
      decide()
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
      first.venue.execute(slice: [], count: 0, time: t0)
      first.venue.submit(entry: first.entry(t0))
      let id = first.entry(t0).clientOrderID(run: 4, symbol: "BTCUSDT")
      #expect(throws: BybitError.self) {
        try first.session.executor.api.createMarketOrder(
          .init(symbol: "BTCUSDT", side: .buy, qty: "0.010", orderLinkId: id))
      }
    }
    let second = try Harness(bybit: bybit)
    second.venue.resume(entries: [second.entry(t0)], exits: [], time: t0 + minute)
    let p = try #require(second.book.positions[0])
    #expect(p.qty == 0.01 && p.stop == 59_000)
    #expect(bybit.orders.count == 1)
    #expect(bybit.position("BTCUSDT")?.stopLoss == 59_000)
  }

  @Test func pairsAreRefusedLiveForNow() throws {
    let h = try Harness()
    h.venue.submit(
      pair: PairOrder(
        intent: PairIntent(long: 0, short: 1, hedge: 1), qtyLong: 0.01, qtyShort: 0.1, decidedAt: t0
      ))
    #expect(h.events.refused.map(\.code) == ["live_pairs_unsupported"])
  }
}
