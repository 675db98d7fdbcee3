import Foundation
import Testing
import WickCore
import WickData
import WickLive
import WickRisk
import WickTesting

@testable import WickBinance

/// A loopback Binance and a client wired to it, with retries short enough for tests.
struct BinanceRig {
  let mock: MockBinanceTrading
  let rest: BinanceRESTClient
  let api: BinanceTradingAPI

  init(skewMs: Int64 = 0, secret: String? = nil) throws {
    mock = try MockBinanceTrading()
    mock.clockSkewMs = skewMs
    rest = BinanceRESTClient(
      baseURL: mock.baseURL,
      credentials: LiveCredentials(apiKey: mock.apiKey, apiSecret: secret ?? mock.apiSecret),
      transport: try CurlHTTPClient(connectTimeout: 1, totalTimeout: 2),
      retry: RetryPolicy(maxAttempts: 4, baseDelay: 0.02, maxDelay: 0.1),
      limiter: RateLimiter(rate: 1000, burst: 1000))
    api = BinanceTradingAPI(rest: rest)
    try rest.syncTime()
  }
}

@Suite struct BinanceTradingAPITests {
  @Test func signedRequestsUseTheExchangesClockAndResyncAfterMinus1021() throws {
    let rig = try BinanceRig(skewMs: 7_000)
    #expect(abs(rig.rest.serverOffsetMs - 7_000) < 500)
    #expect(try rig.api.isHedgeMode() == false)
    // The exchange's clock jumps ahead: the next signed request is refused with -1021, the
    // client measures again and the resent request passes.
    rig.mock.clockSkewMs = 30_000
    #expect(try rig.api.isMultiAssetsMode() == false)
    #expect(abs(rig.rest.serverOffsetMs - 30_000) < 500)
    #expect(rig.mock.requests.filter { $0 == "GET /fapi/v1/time" }.count == 2)
    #expect(rig.mock.requests.filter { $0 == "GET /fapi/v1/multiAssetsMargin" }.count == 2)
  }

  @Test func aWrongSecretIsRefusedAndNeverEchoed() throws {
    let rig = try BinanceRig(secret: "not-the-secret-31f")
    do {
      _ = try rig.api.wallet()
      Issue.record("a bad signature was accepted")
    } catch let e as BinanceError {
      #expect(e.code == BinanceError.Code.invalidSignature)
      #expect(!"\(e)".contains("not-the-secret-31f"))
      #expect(!"\(e)".contains(rig.mock.apiKey))
    }
  }

  @Test func instrumentRulesComeFromExchangeInfoFilters() throws {
    let rig = try BinanceRig()
    #expect(
      try rig.api.instrument("BTCUSDT")
        == InstrumentSpec(lotStep: 0.001, minQty: 0.001, minNotional: 100, tickSize: 0.1))
    #expect(throws: BinanceError.self) { try rig.api.instrument("NOPEUSDT") }
  }

  @Test func isolatedMarginTwiceIsSuccessAndLeverageIsSet() throws {
    let rig = try BinanceRig()
    try rig.api.setIsolatedMargin(symbol: "BTCUSDT")
    try rig.api.setIsolatedMargin(symbol: "BTCUSDT")  // -4046 "No need to change margin type."
    #expect(rig.mock.marginType("BTCUSDT") == "ISOLATED")
    #expect(try rig.api.setLeverage(symbol: "BTCUSDT", 3.7) == 3)
    #expect(rig.mock.leverage("BTCUSDT") == 3)
  }

  @Test func stopsGoThroughTheAlgoOrderAPIAndTheOldEndpointRefusesThem() throws {
    let rig = try BinanceRig()
    let order = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    #expect(order.status == "FILLED" && order.executedQty == 0.01)
    // The pre-2025-12-09 way: refused with -4120.
    #expect {
      _ = try rig.rest.send(
        "POST", "/fapi/v1/order",
        [
          ("symbol", "BTCUSDT"), ("side", "SELL"), ("type", "STOP_MARKET"),
          ("stopPrice", "59000"), ("closePosition", "true"),
        ], effect: .placesOrder)
    } throws: { ($0 as? BinanceError)?.code == BinanceError.Code.stopOrderSwitchAlgo }
    let stop = try rig.api.placeConditional(
      symbol: "BTCUSDT", closingSide: "SELL", type: "STOP_MARKET", triggerPrice: "59000.0",
      clientAlgoId: "w1-1700000000-BTCUSDT-s")
    #expect(stop.algoStatus == "NEW" && stop.closePosition && stop.triggerPrice == 59_000)
    // Sent again under the same id (a retry after a crash): the first one stands.
    let again = try rig.api.placeConditional(
      symbol: "BTCUSDT", closingSide: "SELL", type: "STOP_MARKET", triggerPrice: "59000.0",
      clientAlgoId: "w1-1700000000-BTCUSDT-s")
    #expect(again.algoId == stop.algoId)
    #expect(
      try rig.api.openAlgoOrders(symbol: "BTCUSDT").map(\.clientAlgoId) == [stop.clientAlgoId])
    rig.mock.triggerStop("BTCUSDT")
    #expect(try rig.api.position(symbol: "BTCUSDT").isOpen == false)
    #expect(try rig.api.openAlgoOrders(symbol: "BTCUSDT").isEmpty)
  }

  @Test func aStopThatWouldTriggerAtOnceIsNotPlaced() throws {
    let rig = try BinanceRig()
    _ = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    rig.mock.setMarkPrice("BTCUSDT", 58_000)  // the price fell through the stop meanwhile
    do {
      _ = try rig.api.placeConditional(
        symbol: "BTCUSDT", closingSide: "SELL", type: "STOP_MARKET", triggerPrice: "59000.0",
        clientAlgoId: "w1-1700000000-BTCUSDT-s")
      Issue.record("a crossed stop was placed")
    } catch {
      #expect(BinanceTradingAPI.wouldTriggerAtOnce(error))
    }
    #expect(rig.mock.algoOrders.isEmpty)
  }

  @Test func aDuplicateClientOrderIdIsLookedUpNeverSentTwice() throws {
    let rig = try BinanceRig()
    let first = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    let second = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    #expect(second == first)
    #expect(rig.mock.orders.count == 1)
    #expect(rig.mock.positionAmount("BTCUSDT") == 0.01)
  }

  @Test(arguments: [MockBinanceTrading.Fault.processThenReset, .processThen503])
  func anUnknownOutcomeIsResolvedByOrigClientOrderId(_ fault: MockBinanceTrading.Fault) throws {
    let rig = try BinanceRig()
    rig.mock.orderFaults = [fault]
    let o = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    #expect(o.status == "FILLED")
    #expect(rig.mock.orders.count == 1)
    #expect(rig.mock.requests.filter { $0 == "POST /fapi/v1/order" }.count == 1)
    #expect(rig.mock.requests.contains("GET /fapi/v1/order"))
  }

  @Test func a429IsWaitedOutAndTheOrderPlacedOnce() throws {
    let rig = try BinanceRig()
    rig.mock.orderFaults = [.rateLimited(retryAfter: 1)]
    let started = Date()
    let o = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    #expect(o.status == "FILLED")
    #expect(Date().timeIntervalSince(started) >= 0.9)  // Retry-After: 1
    #expect(rig.mock.orders.count == 1)
  }

  @Test func theUsedWeightHeaderIsRead() throws {
    let rig = try BinanceRig()
    rig.mock.usedWeight = 1234
    _ = try rig.api.isHedgeMode()
    #expect(rig.rest.usedWeight == 1234)
  }

  @Test func aPartialFillReportsWhatFilled() throws {
    let rig = try BinanceRig()
    rig.mock.partialFillThenExpire("BTCUSDT", fraction: 0.4)
    let o = try rig.api.placeMarketOrder(
      symbol: "BTCUSDT", side: "BUY", qty: "0.010", clientOrderId: "w1-1700000000-BTCUSDT-e")
    #expect(o.status == "EXPIRED" && o.isFinal)
    #expect(abs(o.executedQty - 0.004) < 1e-9)
    #expect(abs(rig.mock.positionAmount("BTCUSDT") - 0.004) < 1e-9)
  }

  @Test func walletAndFundingComeFromTheAccountAndIncome() throws {
    let rig = try BinanceRig()
    rig.mock.settleFunding("BTCUSDT", time: 1_700_006_400_000, amount: -0.25)
    rig.mock.settleFunding("BTCUSDT", time: 1_700_035_200_000, amount: 0.1)
    let rows = try rig.api.funding(symbol: "BTCUSDT", since: 1_700_000_000_000)
    #expect(rows.map(\.amount) == [-0.25, 0.1])
    #expect(Set(rows.map(\.id)).count == 2)
    #expect(try rig.api.funding(symbol: "BTCUSDT", since: 1_700_010_000_000).map(\.amount) == [0.1])
    let w = try rig.api.wallet()
    #expect(abs(w.walletBalance - 999.85) < 1e-9 && abs(w.equity - 999.85) < 1e-9)
  }

  @Test func anExpiredListenKeyIsReportedForRecreation() throws {
    let rig = try BinanceRig()
    let key = try rig.api.createListenKey()
    #expect(!key.isEmpty)
    #expect(try rig.api.keepAlive())
    rig.mock.expireListenKeys()
    #expect(try rig.api.keepAlive() == false)
    #expect(try !rig.api.createListenKey().isEmpty)
    #expect(try rig.api.keepAlive())
  }
}
