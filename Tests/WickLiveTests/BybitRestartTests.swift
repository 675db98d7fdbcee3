import Foundation
import Testing
import WickCore
import WickData
import WickSim
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

    let restarted = LiveExecutor(
      gateway: BybitGateway(api: rig.api), incidents: rig.incidents, timing: rig.executor.timing)
    let outcome = try restarted.resumeEntry(
      symbol: "BTCUSDT", side: .long, qty: 0.01, stop: 59_000, take: nil, clientOrderID: id,
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
      clientOrderID: "w5-1700000000-BTCUSDT-e", instrument: rig.btc)
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
    let venue = try await offPool {
      UncheckedBox(
        try BybitLive.venue(
          endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
          credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret),
          symbols: ["BTCUSDT", "ETHUSDT"], leverage: 3, incidents: incidents))
    }.value
    venue.bind(run: 9) { _, _, _ in }
    venue.attach(book: Book(symbols: ["BTCUSDT", "ETHUSDT"], cash: 10_000))
    #expect(bybit.leverage("BTCUSDT") == 3 && bybit.leverage("ETHUSDT") == 3)
    // A restart sets it again: "not modified" (110043) is no error.
    try await offPool {
      _ = try BybitLive.venue(
        endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
        credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret),
        symbols: ["BTCUSDT"], leverage: 3, incidents: incidents, stream: false)
    }
    defer { venue.close() }
    #expect(venue.instruments["ETHUSDT"]?.lotStep == 0.01)
    #expect(throws: WickError.self) { try venue.instrument("XRPUSDT") }
    try await waitUntil { venue.gateway.inbox.streamUp }
    bybit.openForeignPosition("ETHUSDT", side: "Buy", size: 1)
    // The stream reports it (open, no stop: the venue reconciles at its next heartbeat).
    let gateway = try #require(venue.gateway as? BybitGateway)
    try await waitUntil { gateway.events.position(symbol: "ETHUSDT") != nil }
    let reads = { bybit.requests.filter { $0 == "GET /v5/position/list" }.count }
    var before = reads()
    venue.heartbeat()  // the first reconciliation is due at once
    #expect(reads() > before)
    #expect(venue.halted.keys.sorted() == ["ETHUSDT"])
    before = reads()
    venue.heartbeat()  // not again before 30 s
    #expect(reads() == before)
    venue.reconcileInterval = 0
    venue.heartbeat()
    #expect(reads() > before)
  }

  @Test func anAccountInHedgeModeIsRefusedBeforeAnythingIsSent() async throws {
    let bybit = try MockBybitTrading()
    bybit.hedgeModeSymbols = ["ETHUSDT"]
    let incidents = IncidentRecorder()
    await #expect(throws: WickError.self) {
      try await offPool {
        _ = try BybitLive.venue(
          endpoints: BybitEndpoints(rest: bybit.baseURL, ws: bybit.wsURL),
          credentials: BybitCredentials(apiKey: bybit.apiKey, secret: bybit.apiSecret),
          symbols: ["BTCUSDT", "ETHUSDT"], leverage: nil, incidents: incidents, stream: false)
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

/// A value handed across threads by a test that uses it from one thread at a time.
struct UncheckedBox<T>: @unchecked Sendable {
  let value: T
  init(_ value: T) { self.value = value }
}
