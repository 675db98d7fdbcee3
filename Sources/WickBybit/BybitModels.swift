import WickCore
import WickData
import WickLive

/// Buy or Sell, as Bybit spells them.
public enum BybitSide: String, Sendable, Equatable {
  case buy = "Buy"
  case sell = "Sell"

  public init(opening side: Side) { self = side == .long ? .buy : .sell }
  public init(closing side: Side) { self = side == .long ? .sell : .buy }
  public var opposite: BybitSide { self == .buy ? .sell : .buy }
}

/// An order as `/v5/order/realtime`, `/v5/order/history` and the `order` topic report it.
public struct BybitOrder: Sendable, Equatable {
  public var orderId: String
  public var orderLinkId: String
  public var symbol: String
  public var side: BybitSide
  public var qty: Double
  public var cumExecQty: Double
  public var avgPrice: Double?
  public var cumExecFee: Double
  public var status: String
  public var reduceOnly: Bool
  public var stopOrderType: String
  public var updatedTime: Int64
  /// Why the exchange refused it (its retCode and message, or its `rejectReason` such as
  /// `EC_PostOnlyWillTakeLiquidity`), when there is one.
  public var rejectReason: String? = nil
  /// A limit order's price (nil for market orders), its `orderType` and `timeInForce`.
  public var price: Double? = nil
  public var orderType = "Market"
  public var timeInForce = ""
  /// A PostOnly order Bybit cancelled because it would have taken liquidity.
  public var postOnlyWouldCross: Bool { rejectReason == "EC_PostOnlyWillTakeLiquidity" }

  /// No further fills can come (Filled, Cancelled, Rejected, PartiallyFilledCanceled, Deactivated).
  public var isFinal: Bool {
    ["Filled", "Cancelled", "Rejected", "PartiallyFilledCanceled", "Deactivated"].contains(status)
  }
}

/// A fill as `/v5/execution/list` and the `execution` topic report it.
public struct BybitExecution: Sendable, Equatable {
  public var execId: String
  public var orderId: String
  public var orderLinkId: String
  public var symbol: String
  public var side: BybitSide
  public var price: Double
  public var qty: Double
  public var fee: Double
  public var time: Int64
  /// "Trade" for fills; "Funding" for a funding settlement (then `fee` is what the position
  /// paid, negative when it received, `price` the mark, `feeRate` the funding rate).
  public var execType = "Trade"
  public var feeRate: Double? = nil

  public var isTrade: Bool { execType == "Trade" }
}

/// A position as `/v5/position/list` and the `position` topic report it (one-way mode).
public struct BybitPosition: Sendable, Equatable {
  public var symbol: String
  /// nil when flat (Bybit sends side "" and size "0").
  public var side: Side?
  public var size: Double
  public var avgPrice: Double
  /// nil when no stop is set ("" or "0").
  public var stopLoss: Double?
  public var takeProfit: Double?
  public var trailingStop: Double?
  public var updatedTime: Int64

  public var isOpen: Bool { side != nil && size > 0 }
}

/// Decoding of the documented shapes; a missing or non-numeric field is a `malformed` error.
enum BybitDecode {
  static func order(_ doc: JSONDocument, _ v: JSONDocument.Value) -> BybitOrder? {
    guard let orderId = doc.string(doc.member(v, "orderId")),
      let symbol = doc.string(doc.member(v, "symbol")),
      let side = doc.string(doc.member(v, "side")).flatMap(BybitSide.init(rawValue:)),
      let qty = doc.number(doc.member(v, "qty")),
      let status = doc.string(doc.member(v, "orderStatus"))
    else { return nil }
    var reduceOnly = false
    if case .bool(let b)? = doc.member(v, "reduceOnly") { reduceOnly = b }
    var o = BybitOrder(
      orderId: orderId, orderLinkId: doc.string(doc.member(v, "orderLinkId")) ?? "", symbol: symbol,
      side: side, qty: qty, cumExecQty: doc.number(doc.member(v, "cumExecQty")) ?? 0,
      avgPrice: doc.number(doc.member(v, "avgPrice")).flatMap { $0 > 0 ? $0 : nil },
      cumExecFee: doc.number(doc.member(v, "cumExecFee")) ?? 0, status: status,
      reduceOnly: reduceOnly, stopOrderType: doc.string(doc.member(v, "stopOrderType")) ?? "",
      updatedTime: doc.int64(doc.member(v, "updatedTime")) ?? 0)
    if let reason = doc.string(doc.member(v, "rejectReason")), !reason.isEmpty,
      reason != "EC_NoError"
    {
      o.rejectReason = reason
    }
    o.price = doc.number(doc.member(v, "price")).flatMap { $0 > 0 ? $0 : nil }
    o.orderType = doc.string(doc.member(v, "orderType")) ?? "Market"
    o.timeInForce = doc.string(doc.member(v, "timeInForce")) ?? ""
    return o
  }

  static func execution(_ doc: JSONDocument, _ v: JSONDocument.Value) -> BybitExecution? {
    guard let execId = doc.string(doc.member(v, "execId")),
      let symbol = doc.string(doc.member(v, "symbol")),
      let side = doc.string(doc.member(v, "side")).flatMap(BybitSide.init(rawValue:)),
      let price = doc.number(doc.member(v, "execPrice")),
      let qty = doc.number(doc.member(v, "execQty"))
    else { return nil }
    return BybitExecution(
      execId: execId, orderId: doc.string(doc.member(v, "orderId")) ?? "",
      orderLinkId: doc.string(doc.member(v, "orderLinkId")) ?? "", symbol: symbol, side: side,
      price: price, qty: qty, fee: doc.number(doc.member(v, "execFee")) ?? 0,
      time: doc.int64(doc.member(v, "execTime")) ?? 0,
      execType: doc.string(doc.member(v, "execType")) ?? "Trade",
      feeRate: doc.number(doc.member(v, "feeRate")))
  }

  static func position(_ doc: JSONDocument, _ v: JSONDocument.Value) -> BybitPosition? {
    guard let symbol = doc.string(doc.member(v, "symbol")),
      let size = doc.number(doc.member(v, "size"))
    else { return nil }
    let sideText = doc.string(doc.member(v, "side")) ?? ""
    let side: Side? =
      size > 0 ? (sideText == "Buy" ? .long : sideText == "Sell" ? .short : nil) : nil
    func price(_ key: String) -> Double? {
      doc.number(doc.member(v, key)).flatMap { $0 > 0 ? $0 : nil }
    }
    return BybitPosition(
      symbol: symbol, side: side, size: size, avgPrice: price("avgPrice") ?? 0,
      stopLoss: price("stopLoss"), takeProfit: price("takeProfit"),
      trailingStop: price("trailingStop"),
      updatedTime: doc.int64(doc.member(v, "updatedTime")) ?? 0)
  }
}
