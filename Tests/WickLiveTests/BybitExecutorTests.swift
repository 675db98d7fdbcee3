import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

@Suite(.serialized) struct BybitExecutorTests {
  @Test func anEntryFillsAndItsStopAndTakeSitOnThePosition() throws {
    let rig = try LiveRig()
    let outcome = try rig.enterLong()
    guard case .protected(let fill, let stop, let take) = outcome else {
      Issue.record("expected a protected fill, got \(outcome)")
      return
    }
    #expect(fill.qty == 0.01 && fill.price == 60_000)
    #expect(stop == 59_000 && take == 62_000)
    let p = try #require(rig.bybit.position("BTCUSDT"))
    #expect(p.side == "Buy" && p.size == 0.01 && p.stopLoss == 59_000 && p.takeProfit == 62_000)
    #expect(rig.bybit.orders.count == 1)
    #expect(rig.incidents.kinds.isEmpty)
  }

  @Test func rateLimitsAreWaitedOutAndTheOrderIsPlacedOnce() throws {
    let rig = try LiveRig()
    rig.bybit.orderCreateFaults = [
      .status(429, retryAfter: 1), .retCode(10006, "Too many visits!"),
    ]
    let started = Date()
    guard case .protected = try rig.enterLong() else {
      Issue.record("expected a protected fill")
      return
    }
    // Retry-After is honoured (the test's own backoff is a few milliseconds).
    #expect(Date().timeIntervalSince(started) >= 0.95)
    #expect(rig.bybit.orderCreateRequests == 3)
    #expect(rig.bybit.orders.count == 1)
  }

  /// The order is placed, the answer is lost (5xx, a hang past the timeout, a reset, a broken
  /// body): Wick asks by orderLinkId and never sends a second order.
  @Test(arguments: [
    MockBybitTrading.Fault.processThenStatus(503), .processThenHang(1.5), .processThenReset,
    .processThenMalformed,
  ])
  func anUnknownOutcomeIsResolvedByOrderLinkIdNotBySendingAgain(_ fault: MockBybitTrading.Fault)
    throws
  {
    let rig = try LiveRig(requestTimeout: 0.5)
    rig.bybit.orderCreateFaults = [fault]
    guard case .protected(let fill, _, _) = try rig.enterLong() else {
      Issue.record("expected a protected fill after \(fault)")
      return
    }
    #expect(fill.qty == 0.01)
    #expect(rig.bybit.orderCreateRequests == 1)
    #expect(rig.bybit.orders.count == 1)
    #expect(rig.bybit.requests.contains("GET /v5/order/realtime"))
  }

  @Test func anOrderThatNeverArrivedIsSentAgainUnderTheSameId() throws {
    let rig = try LiveRig()
    // Refused before processing with an unreadable body: outcome unknown, the query finds
    // nothing, so the same orderLinkId goes out once more.
    rig.bybit.orderCreateFaults = [.malformed]
    guard case .protected = try rig.enterLong() else {
      Issue.record("expected a protected fill")
      return
    }
    #expect(rig.bybit.orderCreateRequests == 2)
    #expect(rig.bybit.orders.count == 1)
  }

  @Test func aSwallowedOrderIsLookedUpThenSentOnceMore() throws {
    let rig = try LiveRig(requestTimeout: 0.3)
    rig.bybit.orderCreateFaults = [.swallow(0.6)]
    guard case .protected = try rig.enterLong() else {
      Issue.record("expected a protected fill")
      return
    }
    #expect(rig.bybit.orderCreateRequests == 2)
    #expect(rig.bybit.orders.count == 1)
  }

  @Test func aRepeatedDecisionAfterARestartFindsTheFirstOrder() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong(id: "w3-1700000000-BTCUSDT-e")
    // A restarted runner replays the same decision with the same id.
    let again = LiveExecutor(
      gateway: BybitGateway(api: rig.api), incidents: rig.incidents, timing: rig.executor.timing)
    let outcome = try again.enter(
      symbol: "BTCUSDT", side: .long, qty: 0.01, stop: 59_000, take: 62_000,
      clientOrderID: "w3-1700000000-BTCUSDT-e",
      instrument: rig.btc)
    guard case .protected(let fill, _, _) = outcome else {
      Issue.record("expected the first order's fill, got \(outcome)")
      return
    }
    #expect(fill.qty == 0.01)
    #expect(rig.bybit.orders.count == 1)
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.01)
  }

  @Test func partialFillsAreAwaitedToTheFullQuantity() throws {
    let rig = try LiveRig()
    rig.bybit.partialFills(fraction: 0.4, delay: 0.3)
    guard case .protected(let fill, _, _) = try rig.enterLong(qty: 0.05) else {
      Issue.record("expected a protected fill")
      return
    }
    #expect(fill.qty == 0.05)
    #expect(rig.bybit.executions.count == 2)
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.05)
  }

  @Test func aStopPlacedAfterTheFillWhenTheOrderDidNotCarryIt() throws {
    let rig = try LiveRig()
    rig.bybit.attachStopsOnOrder = false
    guard case .protected = try rig.enterLong() else {
      Issue.record("expected a protected fill")
      return
    }
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 59_000)
    #expect(rig.bybit.requests.contains("POST /v5/position/trading-stop"))
  }

  @Test func aRejectedStopClosesThePositionAtMarketAndRecordsAnIncident() throws {
    let rig = try LiveRig()
    rig.bybit.attachStopsOnOrder = false
    rig.bybit.tradingStopFaults = [.retCode(10001, "params error: StopLoss rejected")]
    let outcome = try rig.enterLong()
    guard case .panicClosed(let fill, let exit, _) = outcome else {
      Issue.record("expected a panic close, got \(outcome)")
      return
    }
    #expect(fill.qty == 0.01 && exit.qty == 0.01)
    #expect(exit.orderLinkId == "w1-1700000000-BTCUSDT-p")
    #expect(rig.bybit.position("BTCUSDT") == nil)
    let close = try #require(rig.bybit.orders.last)
    #expect(
      close.reduceOnly && close.side == "Sell" && close.orderLinkId == "w1-1700000000-BTCUSDT-p")
    #expect(rig.incidents.kinds == [LiveIncident.stopNotPlaced, LiveIncident.panicClose])
  }

  @Test func aStopThatNeverAppearsIsAPanicCloseToo() throws {
    let rig = try LiveRig()
    rig.bybit.attachStopsOnOrder = false
    // trading-stop answers OK but position reads keep showing no stop (an exchange lagging).
    rig.bybit.tradingStopFaults = [.retCode(34040, "not modified")]
    guard case .panicClosed = try rig.enterLong() else {
      Issue.record("expected a panic close")
      return
    }
    #expect(rig.bybit.position("BTCUSDT") == nil)
  }

  @Test func belowTheMinimumTheExchangeRefusesAndNothingFills() throws {
    let rig = try LiveRig()
    let outcome = try rig.enterLong(qty: 0.00005)
    guard case .unfilled = outcome else {
      Issue.record("expected unfilled, got \(outcome)")
      return
    }
    #expect(rig.bybit.position("BTCUSDT") == nil)
  }

  @Test func anExitClosesTheWholePositionReduceOnlyOnce() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    let exit = try rig.executor.exit(
      symbol: "BTCUSDT", clientOrderID: "w1-1700000060-BTCUSDT-x", instrument: rig.btc)
    #expect(exit?.qty == 0.01)
    #expect(rig.bybit.position("BTCUSDT") == nil)
    // The same exit again (a restart): already done, nothing sent.
    let again = try rig.executor.exit(
      symbol: "BTCUSDT", clientOrderID: "w1-1700000060-BTCUSDT-x", instrument: rig.btc)
    #expect(again?.qty == 0.01)
    #expect(rig.bybit.orders.count == 2)
  }

  @Test func aTrailingStepMovesTheStopAndARefusalKeepsTheOldOne() throws {
    let rig = try LiveRig()
    _ = try rig.enterLong()
    #expect(
      rig.executor.moveStop(
        symbol: "BTCUSDT", to: 59_500, clientID: "w1-1700000060-BTCUSDT-m", instrument: rig.btc))
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 59_500)
    // Above the price: Bybit refuses; the previous stop stays and an incident is recorded.
    #expect(
      !rig.executor.moveStop(
        symbol: "BTCUSDT", to: 61_000, clientID: "w1-1700000120-BTCUSDT-m", instrument: rig.btc))
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 59_500)
    #expect(rig.incidents.kinds == [LiveIncident.stopUpdateRejected])
  }
}
