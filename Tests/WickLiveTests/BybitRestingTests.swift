import Foundation
import Testing
import WickCore
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// Bybit's resting entries through the shared executor (`LiveRestingGateway`), against the
/// loopback mock written from Bybit's v5 docs: the same rules as Binance's, Bybit's words.
@Suite(.serialized) struct BybitRestingTests {
  static func order(_ limit: Double, postOnly: Bool = false, qty: Double = 0.01)
    -> LiveRestingOrder
  {
    LiveRestingOrder(
      entry: EntryOrder(
        intent: OrderIntent(
          symbol: 0, side: .long, stop: 58_000, limit: limit, postOnly: postOnly),
        qty: qty, decidedAt: 1_700_000_000_000),
      clientOrderID: "w1-1700000000-BTCUSDT-e", symbol: "BTCUSDT")
  }

  @Test func aPostOnlyBybitCancelsAsTakerIsRefusedWithTheCode() throws {
    let rig = try LiveRig()
    // The mark is 60 000: Bybit accepts the PostOnly buy at 60 010, then cancels it.
    let placed = try rig.executor.placeResting(
      Self.order(60_010, postOnly: true), instrument: rig.btc)
    guard case .refused(let r) = placed else {
      Issue.record("not refused: \(placed)")
      return
    }
    #expect(r.code == "post_only_would_cross" && r.detail.contains("EC_PostOnlyWillTakeLiquidity"))
    #expect(rig.bybit.position("BTCUSDT") == nil)
  }

  @Test func aGTCRestsFillsInPartsUnderItsStopAndTheCancelKeepsThePart() throws {
    let rig = try LiveRig()
    var order = Self.order(59_900, qty: 0.02)
    guard case .resting(let placed) = try rig.executor.placeResting(order, instrument: rig.btc)
    else {
      Issue.record("not placed")
      return
    }
    #expect(placed.state == .submitting)
    let listed = try rig.gateway.openOrders(symbol: "BTCUSDT", prefix: "w1-")
    #expect(listed.map(\.clientOrderID) == [order.clientOrderID])
    // Half fills when the market trades through it: the stop goes on for that part.
    rig.bybit.restingFills([0.5])
    rig.bybit.setMarkPrice("BTCUSDT", 59_899)
    let part = try #require(try rig.executor.restingState(order, poll: true))
    #expect(part.state == .submitting && part.filledQty == 0.01)
    #expect(try rig.executor.protectRestingFill(&order, filled: part, instrument: rig.btc) == nil)
    #expect(rig.bybit.position("BTCUSDT")?.stopLoss == 58_000)
    // The cancel leaves the filled part, booked with its stop.
    let final = try #require(try rig.executor.cancelResting(order))
    #expect(final.state == .filled && final.filledQty == 0.01)
    guard
      case .protected(let fill, let stop, _) = rig.executor.restingOutcome(
        order, final: final, panic: nil)
    else {
      Issue.record("not protected")
      return
    }
    #expect(fill.qty == 0.01 && fill.price == 59_900 && stop == 58_000)
    // An id Bybit does not know: 110001, nothing to book.
    var unknown = Self.order(59_000)
    unknown.clientOrderID = "w1-1700000060-BTCUSDT-e"
    #expect(try rig.executor.cancelResting(unknown) == nil)
  }
}
