import Foundation
import Testing
import WickCore
import WickData
import WickLive
import WickRisk
import WickTesting

@testable import WickBinance

/// Incidents kept in memory.
final class IncidentLog: LiveIncidentSink, @unchecked Sendable {
  private let lock = NSLock()
  private var list: [(kind: String, symbol: String?, detail: String)] = []
  func incident(kind: String, symbol: String?, detail: String) {
    lock.withLock { list.append((kind, symbol, detail)) }
  }
  var kinds: [String] { lock.withLock { list.map(\.kind) } }
  var details: [String] { lock.withLock { list.map(\.detail) } }
}

/// The shared executor and reconciler over Binance's gateway, against the loopback mock.
struct BinanceLiveRig {
  let rig: BinanceRig
  let gateway: BinanceGateway
  let incidents = IncidentLog()
  let executor: LiveExecutor
  let rules: InstrumentSpec
  var mock: MockBinanceTrading { rig.mock }

  init() throws {
    rig = try BinanceRig()
    gateway = BinanceGateway(api: rig.api)
    var timing = ExecutionTiming()
    timing.fillTimeout = 2
    timing.stopVerifyTimeout = 1
    timing.pollInterval = 0.05
    timing.resolveAttempts = 3
    executor = LiveExecutor(gateway: gateway, incidents: incidents, timing: timing)
    rules = try rig.api.instrument("BTCUSDT")
  }

  func enter(
    _ side: Side = .long, qty: Double = 0.01, stop: Double?, take: Double? = nil, id: String
  )
    throws -> EntryOutcome
  {
    try executor.enter(
      symbol: "BTCUSDT", side: side, qty: qty, stop: stop, take: take, clientOrderID: id,
      instrument: rules)
  }
}

@Suite struct BinanceLiveTests {
  @Test func anEntryFillsAndItsStopIsAnAlgoOrderVerifiedOnTheExchange() throws {
    let r = try BinanceLiveRig()
    let outcome = try r.enter(stop: 58_000.04, take: 63_000, id: "w1-1700000000-BTCUSDT-e")
    guard case .protected(let fill, let stop, let take) = outcome else {
      Issue.record("not protected: \(outcome)")
      return
    }
    #expect(fill.qty == 0.01 && fill.price == 60_000)
    // The fee is the trade's commission (the order's answer carries none).
    #expect(abs(fill.fee - 0.01 * 60_000 * 0.0005) < 1e-9)
    #expect(stop == 58_000 && take == 63_000)
    #expect(r.mock.positionAmount("BTCUSDT") == 0.01)
    let algos = r.mock.algoOrders.filter { $0.status == "NEW" }
    #expect(Set(algos.map(\.type)) == ["STOP_MARKET", "TAKE_PROFIT_MARKET"])
    #expect(algos.allSatisfy { $0.side == "SELL" && $0.clientAlgoId.hasPrefix("w1-") })
    #expect(r.mock.stopTrigger("BTCUSDT") == 58_000)
    // Never through the old endpoint (-4120 there).
    #expect(r.mock.orders.count == 1)
    #expect(r.incidents.kinds.isEmpty)
  }

  @Test func aLostAnswerIsResolvedByClientOrderIDAndNeverSentTwice() throws {
    let r = try BinanceLiveRig()
    for fault: MockBinanceTrading.Fault in [.processThenReset, .processThen503] {
      r.mock.orderFaults = [fault]
      let id = "w1-17000000\(r.mock.orders.count)0-BTCUSDT-e"
      let outcome = try r.enter(stop: 58_000, id: id)
      guard case .protected(let fill, _, _) = outcome else {
        Issue.record("\(fault): \(outcome)")
        continue
      }
      #expect(fill.orderLinkId == id)
      #expect(r.mock.orderRequestIDs.filter { $0 == id }.count == 1, "\(fault)")
    }
    #expect(r.mock.orders.count == 2)
  }

  @Test func aStopThatWouldTriggerAtOnceClosesThePositionAtMarket() throws {
    let r = try BinanceLiveRig()
    // A long's stop above the mark price: -2021, the stop is not placed.
    let outcome = try r.enter(stop: 61_000, id: "w1-1700000000-BTCUSDT-e")
    guard case .panicClosed(let fill, let exit, let reason) = outcome else {
      Issue.record("expected a panic close: \(outcome)")
      return
    }
    #expect(fill.qty == 0.01 && exit.qty == 0.01)
    #expect(reason.contains("-2021"), "\(reason)")
    #expect(r.mock.positionAmount("BTCUSDT") == 0)
    #expect(r.mock.orders.last?.reduceOnly == true)
    #expect(r.mock.orders.last?.clientOrderId == "w1-1700000000-BTCUSDT-p")
    #expect(r.incidents.kinds == [LiveIncident.stopNotPlaced, LiveIncident.panicClose])
  }

  @Test func aStopTheExchangeNeverAcknowledgesClosesWithinSeconds() throws {
    let r = try BinanceLiveRig()
    r.mock.algoFaults = [.swallow(0.5), .swallow(0.5), .swallow(0.5), .swallow(0.5)]
    let started = Date()
    let outcome = try r.enter(stop: 58_000, id: "w1-1700000000-BTCUSDT-e")
    guard case .panicClosed = outcome else {
      Issue.record("expected a panic close: \(outcome)")
      return
    }
    #expect(Date().timeIntervalSince(started) < 10)
    #expect(r.mock.positionAmount("BTCUSDT") == 0)
  }

  @Test func aPartialFillIsProtectedAsFilled() throws {
    let r = try BinanceLiveRig()
    r.mock.partialFillThenExpire("BTCUSDT", fraction: 0.5)
    let outcome = try r.enter(qty: 0.01, stop: 58_000, id: "w1-1700000000-BTCUSDT-e")
    guard case .protected(let fill, _, _) = outcome else {
      Issue.record("not protected: \(outcome)")
      return
    }
    #expect(abs(fill.qty - 0.005) < 1e-9)
    #expect(abs(r.mock.positionAmount("BTCUSDT") - 0.005) < 1e-9)
    #expect(r.mock.stopTrigger("BTCUSDT") == 58_000)
  }

  @Test func aRefusedOrderIsUnfilledWithTheExchangesReason() throws {
    let r = try BinanceLiveRig()
    // 0.001 BTC at 60 000 is 60 USDT, below the 100 USDT minimum notional (-4164).
    let outcome = try r.enter(qty: 0.001, stop: 58_000, id: "w1-1700000000-BTCUSDT-e")
    guard case .unfilled(let why) = outcome else {
      Issue.record("expected unfilled: \(outcome)")
      return
    }
    #expect(why.contains("-4164"), "\(why)")
    #expect(r.mock.positionAmount("BTCUSDT") == 0)
  }

  @Test func reconciliationRestoresADroppedStopHaltsOnAStrangersPositionAndNeverAdopts() throws {
    let r = try BinanceLiveRig()
    _ = try r.enter(stop: 58_000, id: "w1-1700000000-BTCUSDT-e")
    r.mock.dropStop("BTCUSDT")
    #expect(r.mock.stopTrigger("BTCUSDT") == nil)
    let reconciler = LiveReconciler(executor: r.executor, run: 1)
    let mine = LocalPosition(
      symbol: "BTCUSDT", side: .long, qty: 0.01, stop: 58_000, take: nil,
      entryLinkID: "w1-1700000000-BTCUSDT-e")
    let rules = ["BTCUSDT": r.rules, "ETHUSDT": try r.rig.api.instrument("ETHUSDT")]
    var report = try reconciler.reconcile(
      local: [mine], symbols: ["BTCUSDT", "ETHUSDT"], instruments: rules)
    #expect(report.restoredStops == ["BTCUSDT"])
    #expect(r.mock.stopTrigger("BTCUSDT") == 58_000)
    #expect(r.incidents.kinds.contains(LiveIncident.stopRestored))

    // Someone else opens ETHUSDT on the account: halted, never adopted, nothing sent.
    _ = try r.rig.api.placeMarketOrder(
      symbol: "ETHUSDT", side: "SELL", qty: "0.1", clientOrderId: "manual-1")
    let orders = r.mock.orders.count
    report = try reconciler.reconcile(
      local: [mine], symbols: ["BTCUSDT", "ETHUSDT"], instruments: rules)
    #expect(report.halts["ETHUSDT"]?.contains("not adopted") == true)
    #expect(report.restoredStops.isEmpty)
    #expect(r.mock.orders.count == orders)

    // The stop triggers while Wick is away: closed on the exchange at the stop's fill.
    r.mock.triggerStop("BTCUSDT")
    report = try reconciler.reconcile(local: [mine], symbols: ["BTCUSDT"], instruments: rules)
    let last = try #require(report.closedOnExchange["BTCUSDT"] ?? nil)
    #expect(last.price == 58_000 && last.qty == 0.01)
  }

  @Test func theUserStreamFeedsOrdersAndComesBackAfterTheListenKeyExpires() async throws {
    let r = try BinanceLiveRig()
    let stream = BinanceUserStream(
      wsBase: r.mock.wsURL, gateway: r.gateway, keepAlive: .milliseconds(150), maxBackoff: 0.2)
    let task = stream.start()
    defer { task.cancel() }
    #expect(await eventually { r.mock.userSubscribers == 1 && r.gateway.inbox.streamUp })
    _ = try r.enter(stop: 58_000, id: "w1-1700000000-BTCUSDT-e")
    // ORDER_TRADE_UPDATE reached the inbox with its fee.
    #expect(await eventually { (r.gateway.inbox.order("w1-1700000000-BTCUSDT-e")?.fee ?? 0) > 0 })
    // Kept alive while it lives.
    #expect(await eventually { r.mock.requests.contains("PUT /fapi/v1/listenKey") })
    // Expired (listenKeyExpired, and the keepalive answers -1125): a new key, a new session.
    let marks = r.gateway.inbox.staleMarks
    r.mock.expireListenKeys()
    #expect(await eventually { r.mock.userConnections >= 2 && r.mock.userSubscribers == 1 })
    #expect(r.mock.listenKeysCreated >= 2)
    // What was missed is fetched: the venue is told to reconcile at once.
    #expect(r.gateway.inbox.staleMarks > marks)
    // A plain disconnect: reconnected.
    r.mock.dropUserStreams()
    #expect(await eventually { r.mock.userConnections >= 3 && r.mock.userSubscribers == 1 })
    // A stop dropped on the exchange (ALGO_UPDATE) marks the inbox for reconciliation.
    let before = r.gateway.inbox.staleMarks
    r.mock.dropStop("BTCUSDT")
    #expect(await eventually { r.gateway.inbox.staleMarks > before })
  }

  @Test func streamMessagesAreReadAsDocumented() throws {
    let r = try BinanceLiveRig()
    let stream = BinanceUserStream(wsBase: r.mock.wsURL, gateway: r.gateway)
    let update = """
      {"e":"ORDER_TRADE_UPDATE","E":1568879465651,"T":1568879465650,"o":{"s":"BTCUSDT","c":"w1-1-BTCUSDT-e",\
      "S":"SELL","o":"MARKET","f":"GTC","q":"0.002","p":"0","ap":"9000.5","sp":"0","x":"TRADE","X":"PARTIALLY_FILLED",\
      "i":8886774,"l":"0.001","z":"0.001","L":"9000.5","N":"USDT","n":"0.0045","T":1568879465650,"t":12,"R":false}}
      """
    #expect(stream.handle(update) == .order)
    // The same trade again (a repeated message) does not add its fee twice.
    #expect(stream.handle(update) == .order)
    let o = try #require(r.gateway.inbox.order("w1-1-BTCUSDT-e"))
    #expect(o.state == .submitting && o.filledQty == 0.001 && o.avgPrice == 9000.5)
    #expect(abs(o.fee - 0.0045) < 1e-12)
    #expect(stream.handle("{\"e\":\"listenKeyExpired\",\"E\":1,\"listenKey\":\"k\"}") == .expired)
    #expect(stream.handle("not json") == .ignored)
    #expect(stream.handle("{\"e\":\"ORDER_TRADE_UPDATE\",\"o\":{}}") == .ignored)
  }
}
