import Foundation
import Testing
import WickCore
import WickLive
import WickSim
import WickTesting

@testable import WickBinance

/// Resting limit entries through the shared executor over Binance's gateway, against the
/// loopback mock's resting book (GTC and GTX `LIMIT` orders, cancels, trades through the price).
@Suite struct BinanceRestingTests {
  static func order(
    _ id: String, limit: Double, qty: Double = 0.01, postOnly: Bool = false, stop: Double? = 58_000
  ) -> LiveRestingOrder {
    LiveRestingOrder(
      entry: EntryOrder(
        intent: OrderIntent(symbol: 0, side: .long, stop: stop, limit: limit, postOnly: postOnly),
        qty: qty, decidedAt: 1_700_000_000_000),
      clientOrderID: id, symbol: "BTCUSDT")
  }

  @Test func aPostOnlyThatWouldTakeIsRefusedWithTheCodeAndLeavesNoOrder() throws {
    let r = try BinanceLiveRig()
    // The mark is 60 000: a post-only buy at 60 010 would trade at once as a taker.
    let placed = try r.executor.placeResting(
      Self.order("w1-1700000000-BTCUSDT-e", limit: 60_010, postOnly: true), instrument: r.rules)
    guard case .refused(let refusal) = placed else {
      Issue.record("not refused: \(placed)")
      return
    }
    #expect(refusal.code == "post_only_would_cross")
    #expect(refusal.detail.contains("-5022"), "\(refusal.detail)")
    #expect(r.mock.orders.isEmpty)
    #expect(r.mock.requests.contains("POST /fapi/v1/order"))
  }

  @Test func aGTCRestsOnceUnderItsIdAndFillsOnlyWhenTradedThroughAtTheMakerFee() throws {
    let r = try BinanceLiveRig()
    var order = Self.order("w1-1700000000-BTCUSDT-e", limit: 59_900)
    guard case .resting(let placed) = try r.executor.placeResting(order, instrument: r.rules)
    else {
      Issue.record("not placed")
      return
    }
    #expect(placed.state == .submitting && placed.filledQty == 0)
    let onBook = try #require(r.mock.restingOrders.first)
    #expect(onBook.type == "LIMIT" && onBook.timeInForce == "GTC" && onBook.price == 59_900)
    // Sent again under the same id (a retry after a crash): -4116, looked up, still one order.
    guard case .resting = try r.executor.placeResting(order, instrument: r.rules) else {
      Issue.record("a duplicate is not the first order")
      return
    }
    #expect(r.mock.orders.count == 1)
    // A trade at the price touches it: no fill.
    r.mock.trade("BTCUSDT", low: 59_900, high: 60_000)
    #expect(try r.executor.restingState(order, poll: true)?.filledQty == 0)
    r.mock.trade("BTCUSDT", low: 59_899.9, high: 60_000)
    let filled = try #require(try r.executor.restingState(order, poll: true))
    #expect(filled.state == .filled && filled.filledQty == 0.01 && filled.avgPrice == 59_900)
    #expect(abs(filled.fee - 0.01 * 59_900 * 0.0002) < 1e-9, "the maker fee")
    #expect(try r.executor.protectRestingFill(&order, filled: filled, instrument: r.rules) == nil)
    #expect(r.mock.stopTrigger("BTCUSDT") == 58_000 && order.protectedQty == 0.01)
    #expect(
      r.executor.restingOutcome(order, final: filled, panic: nil)
        == .protected(
          LiveFill(orderLinkId: order.clientOrderID, qty: 0.01, price: 59_900, fee: filled.fee),
          stop: 58_000, take: nil))
  }

  @Test(arguments: [MockBinanceTrading.Fault.processThenReset, .processThen503])
  func aCancelWhoseAnswerIsLostIsResolvedByTheOrdersState(_ fault: MockBinanceTrading.Fault)
    throws
  {
    let r = try BinanceLiveRig()
    let order = Self.order("w1-1700000000-BTCUSDT-e", limit: 59_000)
    _ = try r.executor.placeResting(order, instrument: r.rules)
    r.mock.cancelFaults = [fault]
    let final = try #require(try r.executor.cancelResting(order))
    #expect(final.state == .cancelled && final.filledQty == 0)
    #expect(r.mock.restingOrders.isEmpty && r.mock.orders.first?.status == "CANCELED")
    // An id the exchange never had: -2011 on the cancel, nothing to book.
    #expect(
      try r.executor.cancelResting(Self.order("w1-1700000060-BTCUSDT-e", limit: 59_000)) == nil)
  }

  @Test func aFillThatBeatsTheCancelWinsAndIsProtected() throws {
    let r = try BinanceLiveRig()
    var order = Self.order("w1-1700000000-BTCUSDT-e", limit: 59_000)
    _ = try r.executor.placeResting(order, instrument: r.rules)
    r.mock.fillOnCancel(order.clientOrderID)
    let final = try #require(try r.executor.cancelResting(order))
    #expect(final.state == .filled && final.filledQty == 0.01)
    #expect(try r.executor.protectRestingFill(&order, filled: final, instrument: r.rules) == nil)
    #expect(r.mock.positionAmount("BTCUSDT") == 0.01 && r.mock.stopTrigger("BTCUSDT") == 58_000)
  }

  @Test func aPartialFillGetsItsStopAtOnceAndTheCancelLeavesThatPart() throws {
    let r = try BinanceLiveRig()
    var order = Self.order("w1-1700000000-BTCUSDT-e", limit: 59_000, qty: 0.02)
    _ = try r.executor.placeResting(order, instrument: r.rules)
    r.mock.partialFillNext("BTCUSDT", fraction: 0.5)
    r.mock.trade("BTCUSDT", low: 58_990, high: 59_500)
    let part = try #require(try r.executor.restingState(order, poll: true))
    #expect(part.state == .submitting && part.filledQty == 0.01)
    #expect(try r.executor.protectRestingFill(&order, filled: part, instrument: r.rules) == nil)
    #expect(r.mock.stopTrigger("BTCUSDT") == 58_000 && r.mock.restingOrders.count == 1)
    let final = try #require(try r.executor.cancelResting(order))
    #expect(final.state == .filled && final.filledQty == 0.01)
    guard
      case .protected(let fill, let stop, _) = r.executor.restingOutcome(
        order, final: final, panic: nil)
    else {
      Issue.record("not protected")
      return
    }
    #expect(fill.qty == 0.01 && fill.price == 59_000 && stop == 58_000)
    #expect(r.mock.positionAmount("BTCUSDT") == 0.01)
  }

  @Test func theStreamReportsPartialFillsAndTheirMakerFees() throws {
    let r = try BinanceLiveRig()
    let stream = BinanceUserStream(wsBase: r.mock.wsURL, gateway: r.gateway)
    // As documented: X PARTIALLY_FILLED, z the cumulative quantity, n the trade's commission.
    let partial =
      "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":1700000001000,\"T\":1700000001000,\"o\":{\"s\":\"BTCUSDT\",\"c\":\"w1-1700000000-BTCUSDT-e\",\"S\":\"BUY\",\"o\":\"LIMIT\",\"f\":\"GTX\",\"q\":\"0.02\",\"p\":\"59000\",\"ap\":\"59000\",\"x\":\"TRADE\",\"X\":\"PARTIALLY_FILLED\",\"i\":7,\"l\":\"0.01\",\"z\":\"0.01\",\"L\":\"59000\",\"N\":\"USDT\",\"n\":\"0.118\",\"t\":11,\"m\":true,\"R\":false,\"ps\":\"BOTH\"}}"
    #expect(stream.handle(partial) == .order)
    let seen = try #require(r.gateway.inbox.order("w1-1700000000-BTCUSDT-e"))
    #expect(seen.state == .submitting && seen.filledQty == 0.01 && seen.fee == 0.118)
    let rest = partial.replacingOccurrences(of: "PARTIALLY_FILLED", with: "FILLED")
      .replacingOccurrences(of: "\"z\":\"0.01\"", with: "\"z\":\"0.02\"")
      .replacingOccurrences(of: "\"t\":11", with: "\"t\":12")
      .replacingOccurrences(of: "1700000001000", with: "1700000002000")
    #expect(stream.handle(rest) == .order)
    let done = try #require(r.gateway.inbox.order("w1-1700000000-BTCUSDT-e"))
    #expect(done.state == .filled && done.filledQty == 0.02 && abs(done.fee - 0.236) < 1e-12)
  }
}
