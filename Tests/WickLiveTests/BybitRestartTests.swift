import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

/// What a restarted runner finds on the exchange for the orders its ledger left `submitting`.
@Suite(.serialized) struct BybitRestartTests {
  @Test func anOrderSentBeforeTheCrashIsFoundAndGetsItsStop() throws {
    let rig = try LiveRig()
    rig.bybit.attachStopsOnOrder = false
    // The first process sent the entry and died before the answer (the reset stands for it).
    rig.bybit.orderCreateFaults = [.processThenReset]
    let id = "w5-1700000000-BTCUSDT-e"
    #expect(throws: BybitError.self) {
      try rig.api.createMarketOrder(
        .init(symbol: "BTCUSDT", side: .buy, qty: "0.010", orderLinkId: id))
    }
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == nil)

    let restarted = BybitExecutor(
      api: rig.api, inbox: BybitEventInbox(), incidents: rig.incidents,
      timing: rig.executor.timing)
    let outcome = try restarted.resumeEntry(
      symbol: "BTCUSDT", side: .long, qty: 0.01, stop: 59_000, take: nil, orderLinkId: id,
      instrument: rig.btc)
    guard case .protected(let fill, let stop, _) = outcome else {
      Issue.record("expected the order found and protected, got \(outcome)")
      return
    }
    #expect(fill.qty == 0.01 && stop == 59_000)
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 59_000)
    #expect(rig.bybit.orderCreateRequests == 1)
  }

  @Test func anOrderThatNeverLeftIsNotSentLate() throws {
    let rig = try LiveRig()
    let outcome = try rig.executor.resumeEntry(
      symbol: "BTCUSDT", side: .long, qty: 0.01, stop: 59_000, take: nil,
      orderLinkId: "w5-1700000000-BTCUSDT-e", instrument: rig.btc)
    guard case .unfilled(let why) = outcome else {
      Issue.record("expected unfilled, got \(outcome)")
      return
    }
    #expect(why.contains("never reached the exchange"))
    #expect(rig.bybit.orderCreateRequests == 0)
    #expect(rig.bybit.position("BTCUSDT") == nil)
  }

  @Test func aSessionConnectsReconcilesAtStartAndThenOnlyWhenDue() async throws {
    let bybit = try MockBybitTrading()
    bybit.clockSkewMs = -5 * 3_600_000
    let incidents = IncidentRecorder()
    let session = try await offPool {
      try BybitLiveSession(
        endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
        credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret), run: 9,
        symbols: ["BTCUSDT", "ETHUSDT"], incidents: incidents, leverage: 3)
    }
    #expect(bybit.leverage("BTCUSDT") == 3 && bybit.leverage("ETHUSDT") == 3)
    // A restart sets it again: "not modified" (110043) is no error.
    _ = try await offPool {
      try BybitLiveSession(
        endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
        credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret), run: 9,
        symbols: ["BTCUSDT"], incidents: incidents, leverage: 3, stream: false)
    }
    defer { session.close() }
    #expect(try session.instrument("ETHUSDT").qtyStep == 0.01)
    #expect(throws: WickError.self) { try session.instrument("XRPUSDT") }
    try await waitUntil { session.executor.inbox.streamUp }
    bybit.openForeignPosition("ETHUSDT", side: "Buy", size: 1)
    let first = try #require(try session.reconcileIfDue { [] })
    #expect(first.halts.keys.sorted() == ["ETHUSDT"])
    #expect(try session.reconcileIfDue { [] } == nil)
    session.reconcileInterval = 0
    #expect(try session.reconcileIfDue { [] } != nil)
  }

  @Test func anAccountInHedgeModeIsRefusedBeforeAnythingIsSent() async throws {
    let bybit = try MockBybitTrading()
    bybit.hedgeModeSymbols = ["ETHUSDT"]
    let incidents = IncidentRecorder()
    await #expect(throws: WickError.self) {
      try await offPool {
        try BybitLiveSession(
          endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
          credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret), run: 9,
          symbols: ["BTCUSDT", "ETHUSDT"], incidents: incidents, stream: false)
      }
    }
    #expect(!bybit.requests.contains { $0.hasPrefix("POST") })
  }

  @Test func endpointsDefaultToTestnetAndTakeOverrides() {
    #expect(BybitEndpoints(mainnet: false) == .testnet)
    #expect(BybitEndpoints(mainnet: true).rest == "https://api.bybit.com")
    let custom = BybitEndpoints(
      mainnet: false, baseURL: "http://127.0.0.1:1", wsURL: "ws://127.0.0.1:2")
    #expect(custom.rest == "http://127.0.0.1:1" && custom.ws == "ws://127.0.0.1:2")
  }
}
