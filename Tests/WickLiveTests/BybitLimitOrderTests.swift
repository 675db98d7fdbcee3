import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickBybit
@testable import WickLive

/// Bybit limit orders at the executor: placed under their id as `Limit` with `PostOnly` or
/// `GTC`, refused as `post_only_would_cross` when Bybit cancels a PostOnly that would take
/// liquidity, filled in parts when the market trades through them (maker fee), and cancelled by
/// id with the filled part kept. The venue does not rest live limit entries yet: these are its
/// building blocks, against the loopback mock written from Bybit's v5 docs.
@Suite(.serialized) struct BybitLimitOrderTests {
  let id = "w1-1700000000-BTCUSDT-e"

  func place(_ rig: LiveRig, price: Double, postOnly: Bool, qty: Double = 0.01) throws
    -> BybitGateway.LimitPlacement
  {
    try rig.gateway.placeLimit(
      symbol: "BTCUSDT", side: .long, qty: qty, price: price, postOnly: postOnly,
      orderLinkId: id, instrument: rig.btc)
  }

  @Test func aPostOnlyThatWouldCrossIsRefusedWithItsCode() throws {
    let rig = try LiveRig()
    // The mark is 60 000: a buy at 60 010 would take the ask.
    guard case .refused(let r) = try place(rig, price: 60_010, postOnly: true) else {
      Issue.record("a crossing post-only order was placed")
      return
    }
    #expect(r.code == "post_only_would_cross")
    #expect(rig.bybit.position("BTCUSDT") == nil && rig.bybit.executions.isEmpty)
    let o = try #require(rig.bybit.orders.first)
    #expect(o.orderType == "Limit" && o.timeInForce == "PostOnly" && o.status == "Cancelled")
  }

  @Test func aRestingOrderFillsInPartsWhenTheMarketTradesThroughIt() throws {
    let rig = try LiveRig()
    rig.bybit.restingFills([0.4])
    guard case .placed(let placed) = try place(rig, price: 59_900, postOnly: true, qty: 0.05)
    else {
      Issue.record("not placed")
      return
    }
    #expect(placed.status == "New" && placed.cumExecQty == 0)
    // A touch is not a fill.
    rig.bybit.setMarkPrice("BTCUSDT", 59_900)
    #expect(try rig.api.order(linkID: id, symbol: "BTCUSDT")?.cumExecQty == 0)
    rig.bybit.setMarkPrice("BTCUSDT", 59_850)
    let part = try #require(try rig.api.order(linkID: id, symbol: "BTCUSDT"))
    #expect(part.status == "PartiallyFilled" && part.cumExecQty == 0.02 && part.price == 59_900)
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.02)
    rig.bybit.setMarkPrice("BTCUSDT", 59_800)
    let full = try #require(try rig.api.order(linkID: id, symbol: "BTCUSDT"))
    #expect(full.status == "Filled" && full.cumExecQty == 0.05 && full.avgPrice == 59_900)
    // Maker fee (0.02 %), not taker.
    #expect(abs(full.cumExecFee - 0.05 * 59_900 * 0.0002) < 1e-6)
  }

  @Test func cancellingKeepsThePartThatFilledAndASecondCancelFindsNothing() throws {
    let rig = try LiveRig()
    rig.bybit.restingFills([0.5])
    guard case .placed = try place(rig, price: 59_900, postOnly: false, qty: 0.04) else {
      Issue.record("not placed")
      return
    }
    rig.bybit.setMarkPrice("BTCUSDT", 59_000)
    let ended = try #require(try rig.gateway.cancelLimit(symbol: "BTCUSDT", orderLinkId: id))
    #expect(ended.status == "PartiallyFilledCanceled" && ended.cumExecQty == 0.02)
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.02)
    // Nothing left to cancel: 110001, and the state stays.
    #expect(try rig.api.cancelOrder(symbol: "BTCUSDT", orderLinkId: id) == false)
    #expect(try rig.gateway.cancelLimit(symbol: "BTCUSDT", orderLinkId: "w1-0-BTCUSDT-e") == nil)
  }

  @Test func aGTCLimitThatCrossesFillsAtOnceAsATaker() throws {
    let rig = try LiveRig()
    guard case .placed = try place(rig, price: 60_100, postOnly: false) else {
      Issue.record("not placed")
      return
    }
    let o = try #require(try rig.api.order(linkID: id, symbol: "BTCUSDT"))
    #expect(o.status == "Filled" && o.avgPrice == 60_000)
    #expect(abs(o.cumExecFee - 0.01 * 60_000 * 0.00055) < 1e-6)
  }

  @Test func aRepeatedPlacementFindsTheFirstOrder() throws {
    let rig = try LiveRig()
    _ = try place(rig, price: 59_900, postOnly: true)
    guard case .placed(let again) = try place(rig, price: 59_900, postOnly: true) else {
      Issue.record("the repeated placement was refused")
      return
    }
    #expect(again.status == "New")
    #expect(rig.bybit.orders.count == 1)
    #expect(rig.bybit.orderCreateLinkIDs == [id, id])
  }
}
