import Foundation
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// Bybit limit orders through the shared executor (`LiveExecutor+Resting`) and `BybitGateway`:
/// placed under their id as `Limit` with `PostOnly` or `GTC`, refused as `post_only_would_cross`
/// when Bybit cancels a PostOnly that would take liquidity, filled in parts when the market
/// trades through them (maker fee), and cancelled by id with the filled part kept, against the
/// loopback mock written from Bybit's v5 docs.
@Suite(.serialized) struct BybitLimitOrderTests {
  let id = "w1-1700000000-BTCUSDT-e"

  /// A resting entry as the venue places it, through the shared executor and `BybitGateway`.
  func resting(price: Double, postOnly: Bool, qty: Double = 0.01) -> LiveRestingOrder {
    LiveRestingOrder(
      entry: EntryOrder(
        intent: OrderIntent(
          symbol: 0, side: .long, stop: 59_000, limit: price, postOnly: postOnly),
        qty: qty, decidedAt: 1_700_000_000_000),
      clientOrderID: id, symbol: "BTCUSDT")
  }

  enum Placement {
    /// Resting (or filled): the order as Bybit lists it.
    case placed(BybitOrder)
    case refused(Refusal)
  }

  func place(_ rig: LiveRig, price: Double, postOnly: Bool, qty: Double = 0.01) throws
    -> Placement
  {
    switch try rig.executor.placeResting(
      resting(price: price, postOnly: postOnly, qty: qty), instrument: rig.btc)
    {
    case .refused(let r): return .refused(r)
    case .resting(let o):
      #expect(o.clientOrderID == id)
      return .placed(try #require(try rig.api.order(linkID: id, symbol: "BTCUSDT")))
    }
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
    let cancelled = try #require(
      try rig.executor.cancelResting(resting(price: 59_900, postOnly: false, qty: 0.04)))
    // The part that filled counts as filled (it needs its stop).
    #expect(cancelled.state == .filled && cancelled.filledQty == 0.02)
    let ended = try #require(try rig.api.order(linkID: id, symbol: "BTCUSDT"))
    #expect(ended.status == "PartiallyFilledCanceled" && ended.cumExecQty == 0.02)
    #expect(rig.bybit.position("BTCUSDT")?.size == 0.02)
    // Nothing left to cancel: 110001, and the state stays.
    #expect(try rig.api.cancelOrder(symbol: "BTCUSDT", orderLinkId: id) == false)
    var never = resting(price: 59_900, postOnly: false)
    never.clientOrderID = "w1-0-BTCUSDT-e"
    #expect(try rig.executor.cancelResting(never) == nil)
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
