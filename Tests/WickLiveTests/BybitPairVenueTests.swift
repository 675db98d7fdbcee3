import Foundation
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// The book's events in the order they happen (what the journal records and a replay compares).
final class BookLog: BookListener {
  var lines: [String] = []
  var opened: [Int: Position] = [:]
  var trades: [Trade] = []
  var refusals: [(symbol: Int?, refusal: Refusal)] = []
  func positionOpened(_ p: Position, symbol: Int, time: Int64) {
    opened[symbol] = p
    lines.append(
      "open \(symbol) \(p.side.rawValue) \(p.qty) @\(p.entry) fee \(Self.text(p.entryFees))")
  }
  func positionClosed(_ t: Trade, symbol: Int, time: Int64) {
    trades.append(t)
    lines.append(
      "close \(symbol) \(t.exitReason.rawValue) \(t.qty) @\(t.exitPrice) pnl \(Self.text(t.pnl))")
  }
  /// To 1e-8: a fee read back as (total − entry fee) may differ from the original in its last bit.
  static func text(_ x: Double) -> String { String(format: "%.8f", x) }
  func venueRefused(_ r: Refusal, symbol: Int?, time: Int64) {
    refusals.append((symbol, r))
    lines.append("refuse \(symbol.map(String.init) ?? "-") \(r.code)")
  }
}

/// Live pairs on the loopback Bybit, made hostile: a pair is two market orders (long BTC, then
/// short ETH), each under its own orderLinkId, each leg under its own exchange stop.
@Suite(.serialized) struct BybitPairVenueTests {
  let t0: Int64 = 1_700_000_000_000
  let minute: Int64 = 60_000

  /// BTC 60 000 long 0.01, ETH 3 000 short 0.2 (hedge 20); |stop_z − entry_z| × spread_std = 600.
  func pair(_ time: Int64) -> PairOrder {
    PairOrder(
      intent: PairIntent(
        long: 0, short: 1, hedge: 20, entryZ: -2, stopZ: -3.5, spreadStd: 400, risk: 0.02,
        tag: "BTC/ETH"),
      qtyLong: 0.01, qtyShort: 0.2, decidedAt: time)
  }

  struct Rig {
    let h: BybitVenueTests.Harness
    let log = BookLog()
    var bybit: MockBybitTrading { h.bybit }
    var venue: GatewayVenue { h.venue }
    init(bybit: MockBybitTrading? = nil) throws {
      h = try BybitVenueTests.Harness(bybit: bybit)
      h.book.listener = log
    }
    func step(_ time: Int64, _ decide: () throws -> Void = {}) throws { try h.step(time, decide) }
    func id(_ time: Int64, _ symbol: String, _ kind: String) -> String {
      EntryOrder.clientOrderID(run: 4, time: time, symbol: symbol, kind: kind)
    }
    func links(_ symbol: String) -> [String] {
      bybit.orders.filter { $0.symbol == symbol }.map(\.orderLinkId)
    }
  }

  @Test func bothLegsOpenUnderTheirOwnIdsAndStopsDerivedFromThePairsRisk() throws {
    let r = try Rig()
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    #expect(r.venue.pendingEntries == 2 && r.venue.pairBusy(long: 0, short: 1))
    try r.step(t0 + minute)
    let btc = try #require(r.h.book.positions[0])
    let eth = try #require(r.h.book.positions[1])
    #expect(btc.side == .long && btc.qty == 0.01 && btc.stop == 59_400)
    #expect(eth.side == .short && abs(eth.qty - 0.2) < 1e-9 && eth.stop == 3_030)
    #expect(r.links("BTCUSDT") == [r.id(t0, "BTCUSDT", "pl")])
    #expect(r.links("ETHUSDT") == [r.id(t0, "ETHUSDT", "ps")])
    // Each leg is bounded on the exchange if Wick dies now.
    #expect(r.bybit.position("BTCUSDT")?.stopLoss == 59_400)
    #expect(r.bybit.position("ETHUSDT")?.stopLoss == 3_030)
    #expect(r.venue.pendingEntries == 0 && r.h.incidents.kinds.isEmpty)
    // The kernel's z exit closes both legs (one exit per leg).
    try r.step(t0 + 2 * minute) {
      r.venue.submit(exit: 0, reason: "exit_z")
      r.venue.submit(exit: 1, reason: "exit_z")
    }
    try r.step(t0 + 3 * minute)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.incidents.kinds.isEmpty)
  }

  @Test func aRejectedSecondLegUnwindsTheFirstWithAnIncident() throws {
    let r = try Rig()
    r.bybit.orderCreateFaults = [.pass, .retCode(110007, "ab not enough for new order")]
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    #expect(
      r.log.lines.map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
        == ["open 0 long", "refuse 1 pair_leg_failed", "close 0 risk"])
    #expect(r.log.refusals.first?.refusal.detail.contains("110007") == true)
    let unwind = try #require(r.bybit.orders.last)
    #expect(unwind.orderLinkId == r.id(t0, "BTCUSDT", "u") && unwind.reduceOnly)
    #expect(r.h.incidents.kinds == [LiveIncident.pairLegFailed])
    #expect(r.h.incidents.details.first?.contains("ab not enough") == true)
  }

  @Test func aServerErrorOnTheSecondLegIsResolvedByItsIdNotSentTwice() throws {
    let r = try Rig()
    // The exchange places the short leg, then answers 502: the id finds it.
    r.bybit.orderCreateFaults = [.pass, .processThenStatus(502)]
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    #expect(r.h.book.positions[0] != nil && r.h.book.positions[1] != nil)
    #expect(r.links("ETHUSDT") == [r.id(t0, "ETHUSDT", "ps")])
    #expect(r.bybit.orderCreateLinkIDs.filter { $0 == r.id(t0, "ETHUSDT", "ps") }.count == 1)
    #expect(r.bybit.position("ETHUSDT")?.stopLoss == 3_030)
  }

  @Test func aTimedOutSecondLegNotFoundByItsIdIsSentOnceMoreUnderTheSameId() throws {
    let r = try Rig()
    r.bybit.orderCreateFaults = [.pass, .swallow(0.2)]
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    #expect(r.h.book.positions[0] != nil && r.h.book.positions[1] != nil)
    let ps = r.id(t0, "ETHUSDT", "ps")
    // Two requests, one order: the exchange would refuse a second one with this id anyway.
    #expect(r.bybit.orderCreateLinkIDs.filter { $0 == ps }.count == 2)
    #expect(r.links("ETHUSDT") == [ps])
  }

  @Test func aSecondLegThatNeverArrivesUnwindsTheFirst() throws {
    let r = try Rig()
    r.bybit.orderCreateFaults = [.pass, .swallow(0.1), .swallow(0.1)]
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    #expect(r.h.incidents.kinds.contains(LiveIncident.pairLegFailed))
    #expect(r.h.incidents.kinds.contains(LiveIncident.orderOutcomeUnknown))
  }

  @Test func aPartialFirstLegScalesTheSecondToTheHedgeRatio() throws {
    let r = try Rig()
    r.bybit.partialFillThenCancel("BTCUSDT", fraction: 0.5)
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    let btc = try #require(r.h.book.positions[0])
    let eth = try #require(r.h.book.positions[1])
    #expect(abs(btc.qty - 0.005) < 1e-9 && abs(eth.qty - 0.1) < 1e-9)
    #expect(abs((r.bybit.position("ETHUSDT")?.size ?? 0) - 0.1) < 1e-9)
    #expect(r.h.incidents.kinds.isEmpty)
  }

  @Test func aPartialSecondLegTrimsTheFirstBackToTheHedgeRatio() throws {
    let r = try Rig()
    r.bybit.partialFillThenCancel("ETHUSDT", fraction: 0.5)
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    let btc = try #require(r.h.book.positions[0])
    let eth = try #require(r.h.book.positions[1])
    #expect(abs(btc.qty - 0.005) < 1e-9 && abs(eth.qty - 0.1) < 1e-9)
    #expect(abs((r.bybit.position("BTCUSDT")?.size ?? 0) - 0.005) < 1e-9)
    let trim = try #require(r.bybit.orders.first { $0.orderLinkId == r.id(t0, "BTCUSDT", "t") })
    #expect(trim.reduceOnly && abs(trim.qty - 0.005) < 1e-9)
    // The trim's fee is the leg's: the book's cash is the exchange's.
    let fees = r.bybit.executions.filter { $0.symbol == "BTCUSDT" }.map(\.fee).reduce(0, +)
    #expect(abs(btc.entryFees - fees) < 1e-9)
  }

  @Test func aRefusedStopOnOneLegPanicClosesBothLegs() throws {
    let r = try Rig()
    r.bybit.tradingStopFaults = [.pass, .retCode(10001, "params error")]
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    #expect(r.log.trades.count == 2 && r.log.trades.allSatisfy { $0.exitReason == .risk })
    #expect(r.log.trades.allSatisfy { $0.exitNote?.hasPrefix("panic close") == true })
    #expect(r.h.incidents.kinds.first == LiveIncident.stopNotPlaced)
    #expect(r.h.incidents.kinds.filter { $0 == LiveIncident.panicClose }.count == 2)
  }

  @Test func aLegStoppedOnTheExchangeTakesTheOtherLegWithIt() throws {
    let r = try Rig()
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    r.bybit.triggerStop("ETHUSDT")
    try r.step(t0 + 2 * minute)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    // Long leg first, the order they opened in (the order a replay reads them back).
    #expect(
      r.log.lines.suffix(2).map { $0.split(separator: " ").prefix(3).joined(separator: " ") }
        == ["close 0 risk", "close 1 stop"])
    #expect(r.links("BTCUSDT").last == r.id(t0 + 2 * minute, "BTCUSDT", "x"))
    #expect(r.h.incidents.kinds.contains(LiveIncident.pairBroken))
  }

  @Test func aLegWhoseStopCannotBeRestoredIsPanicClosedWithItsPartner() throws {
    let r = try Rig()
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    r.bybit.removeStop("ETHUSDT")
    r.bybit.tradingStopFaults = [.retCode(10001, "params error")]
    try r.step(t0 + 2 * minute)
    #expect(r.bybit.position("BTCUSDT") == nil && r.bybit.position("ETHUSDT") == nil)
    #expect(r.h.book.positions[0] == nil && r.h.book.positions[1] == nil)
    #expect(r.log.trades.map(\.symbol) == ["BTCUSDT", "ETHUSDT"])
    #expect(r.h.incidents.kinds.contains(LiveIncident.panicClose))
    #expect(r.h.incidents.kinds.contains(LiveIncident.pairBroken))
  }

  @Test func aLegWhoseSizeDiffersHaltsBothLegsAndAdoptsNothing() throws {
    let r = try Rig()
    try r.step(t0) { r.venue.submit(pair: pair(t0)) }
    try r.step(t0 + minute)
    r.bybit.openForeignPosition("ETHUSDT", side: "Sell", size: 0.5)
    try r.step(t0 + 2 * minute) { r.venue.submit(pair: pair(t0 + 2 * minute)) }
    #expect(r.venue.halted["BTCUSDT"] != nil && r.venue.halted["ETHUSDT"] != nil)
    #expect(r.h.incidents.kinds.contains(LiveIncident.sizeMismatch))
    #expect(r.h.incidents.kinds.contains(LiveIncident.pairBroken))
    // The book keeps what Wick opened; the new pair is refused on both legs.
    #expect(abs((r.h.book.positions[1]?.qty ?? 0) - 0.2) < 1e-9)
    #expect(r.log.refusals.map(\.refusal.code) == ["symbol_halted", "symbol_halted"])
  }

  @Test func killedBetweenTheLegsTheRestartCompletesThePairByItsIds() throws {
    let bybit = try MockBybitTrading()
    let ps = EntryOrder.clientOrderID(run: 4, time: t0, symbol: "ETHUSDT", kind: "ps")
    do {
      // The first process: the long leg filled, the short leg's request never got through.
      let a = try Rig(bybit: bybit)
      _ = try a.h.venue.executor.place(
        .init(
          symbol: "BTCUSDT", buy: true, qty: "0.010", id: a.id(t0, "BTCUSDT", "pl"),
          reduceOnly: false))
    }
    #expect(bybit.position("BTCUSDT") != nil && bybit.position("ETHUSDT") == nil)
    // The same command again: the ledger has the pair's rows `submitting` and no fill.
    let b = try Rig(bybit: bybit)
    b.venue.beginReplay(RecordedHistory())
    try b.step(t0) { b.venue.submit(pair: pair(t0)) }
    #expect(bybit.orders.count == 1)
    b.venue.finishReplay(lateWindow: Int64.max / 2)
    try b.step(t0 + minute)
    #expect(b.h.book.positions[0]?.qty == 0.01 && b.h.book.positions[1] != nil)
    #expect(b.links("BTCUSDT") == [b.id(t0, "BTCUSDT", "pl")])
    #expect(b.links("ETHUSDT") == [ps])
    #expect(bybit.position("BTCUSDT")?.stopLoss == 59_400)
    #expect(bybit.position("ETHUSDT")?.stopLoss == 3_030)
  }

  @Test func killedBetweenTheLegsPastItsCandleTheRestartUnwindsTheFirstLeg() throws {
    let bybit = try MockBybitTrading()
    do {
      let a = try Rig(bybit: bybit)
      _ = try a.h.venue.executor.place(
        .init(
          symbol: "BTCUSDT", buy: true, qty: "0.010", id: a.id(t0, "BTCUSDT", "pl"),
          reduceOnly: false))
    }
    let b = try Rig(bybit: bybit)
    b.venue.beginReplay(RecordedHistory())
    try b.step(t0) { b.venue.submit(pair: pair(t0)) }
    // t0 is in 2023: the short leg is not sent late; the long leg is closed.
    b.venue.finishReplay(lateWindow: 2 * minute)
    try b.step(t0 + minute)
    #expect(bybit.position("BTCUSDT") == nil && bybit.position("ETHUSDT") == nil)
    #expect(b.links("ETHUSDT").isEmpty)
    #expect(b.h.book.positions[0] == nil && b.h.book.positions[1] == nil)
    #expect(b.h.incidents.kinds == [LiveIncident.pairLegFailed])
  }

  /// What the book saw live, read back as a ledger would hold it.
  func history(of r: Rig, decidedAt t: Int64, filledAt f: Int64) -> RecordedHistory {
    let h = RecordedHistory()
    for (s, p) in r.log.opened {
      let id = r.id(t, r.h.book.symbols[s], s == 0 ? "pl" : "ps")
      h.fills[id] = LiveFill(orderLinkId: id, qty: p.qty, price: p.entry, fee: p.entryFees)
    }
    for (s, refusal) in r.log.refusals {
      guard let s else { continue }
      h.refusals[r.id(t, r.h.book.symbols[s], s == 0 ? "pl" : "ps")] = refusal.detail
    }
    for trade in r.log.trades {
      let s = trade.symbol == "BTCUSDT" ? 0 : 1
      h.closesAt[f, default: []].append(
        RecordedClose(
          symbol: s, price: trade.exitPrice, fee: trade.fees - (r.log.opened[s]?.entryFees ?? 0),
          reason: trade.exitReason))
    }
    return h
  }

  @Test(arguments: ["opened", "unwound", "panic", "refused"])
  func aResumedRunRebuildsEachPairOutcomeFromTheRecordEventForEvent(_ kind: String) throws {
    let live = try Rig()
    switch kind {
    case "unwound": live.bybit.orderCreateFaults = [.pass, .retCode(110007, "not enough")]
    case "panic": live.bybit.tradingStopFaults = [.retCode(10001, "params error")]
    case "refused": live.bybit.orderCreateFaults = [.retCode(110007, "not enough")]
    default: break
    }
    try live.step(t0) { live.venue.submit(pair: pair(t0)) }
    try live.step(t0 + minute)
    let sent = live.bybit.orders.count

    let replay = try Rig(bybit: live.bybit)
    replay.venue.beginReplay(history(of: live, decidedAt: t0, filledAt: t0 + minute))
    try replay.step(t0) { replay.venue.submit(pair: pair(t0)) }
    try replay.step(t0 + minute)
    #expect(replay.log.lines == live.log.lines)
    #expect(replay.h.book.positions[0]?.stop == live.h.book.positions[0]?.stop)
    #expect(replay.h.book.positions[1]?.stop == live.h.book.positions[1]?.stop)
    #expect(live.bybit.orders.count == sent, "a replay never sends")
  }
}

/// A replay (a resumed live run, `wick replay`) closes positions with the fees the ledger kept.
@Suite struct ExactExitFeeTests {
  @Test func aReplayedExitGetsTheFeeThatGivesTheBookedPnL() {
    let book = Book(symbols: ["BTCUSDT"], cash: 1_000)
    let p = book.open(
      symbol: 0, side: .long, qty: 1, execution: Execution(price: 100, fee: 0.1), time: 0,
      intent: OrderIntent(symbol: 0, side: .long, stop: nil))
    // Live: a 0.32 exit fee at 103. The ledger keeps (total fees − entry fee), one ulp off.
    let booked = 3.0 - 0.32 - 0.1 + 0
    let stored = (0.1 + 0.32) - 0.1
    #expect(stored != 0.32 && 3.0 - stored - 0.1 + 0 != booked, "the stored fee would diverge")
    let fee = ExactExitFee.find(position: p, funding: 0, price: 103, stored: stored, pnl: booked)
    book.close(
      symbol: 0, execution: Execution(price: 103, fee: fee), time: 1, reason: .signal, note: nil)
    #expect(book.trades.first?.pnl == booked)
    #expect(fee == 0.32)
  }
}
