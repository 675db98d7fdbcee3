import WickCore
import WickData
import WickLive

/// The Bybit v5 endpoints the live venue uses, for linear USDT perpetuals in one-way mode.
///
///     let api = BybitTradingAPI(rest: rest)
///     let btc = try api.instrument("BTCUSDT")
///     let ack = try api.createMarketOrder(MarketOrder(symbol: "BTCUSDT", side: .buy, qty: "0.010",
///                                                    orderLinkId: "w1-1700000000000-0-e"))
public final class BybitTradingAPI: @unchecked Sendable {
  public let rest: BybitRESTClient
  public let category = "linear"

  public init(rest: BybitRESTClient) { self.rest = rest }

  /// An order; quantities and prices already formatted with the instrument's rules. A market
  /// order unless it has a `price`: then a Limit order with its `timeInForce` (`GTC`, or
  /// `PostOnly`, which Bybit cancels with rejectReason `EC_PostOnlyWillTakeLiquidity` when it
  /// would take liquidity).
  public struct MarketOrder: Sendable, Equatable {
    public var symbol: String
    public var side: BybitSide
    public var qty: String
    public var orderLinkId: String
    public var reduceOnly = false
    public var stopLoss: String?
    public var takeProfit: String?
    public var price: String? = nil
    public var timeInForce: String? = nil
    public init(
      symbol: String, side: BybitSide, qty: String, orderLinkId: String, reduceOnly: Bool = false,
      stopLoss: String? = nil, takeProfit: String? = nil
    ) {
      self.symbol = symbol
      self.side = side
      self.qty = qty
      self.orderLinkId = orderLinkId
      self.reduceOnly = reduceOnly
      self.stopLoss = stopLoss
      self.takeProfit = takeProfit
    }
  }

  public func instrument(_ symbol: String) throws -> BybitInstrument {
    let endpoint = "GET /v5/market/instruments-info"
    let r = try rest.get(
      "/v5/market/instruments-info", ["category": category, "symbol": symbol], signed: false)
    let doc = r.document
    guard
      let row = doc.list(r.result)?.first(where: { doc.string(doc.member($0, "symbol")) == symbol })
    else {
      throw BybitError.rejected(
        endpoint: endpoint, retCode: BybitError.Code.parameterError,
        message: "\(symbol) is not a listed linear contract")
    }
    guard let lot = doc.member(row, "lotSizeFilter"), let price = doc.member(row, "priceFilter"),
      let tick = doc.number(doc.member(price, "tickSize")), tick > 0,
      let step = doc.number(doc.member(lot, "qtyStep")), step > 0,
      let minQty = doc.number(doc.member(lot, "minOrderQty"))
    else {
      throw BybitError.malformed(
        endpoint: endpoint,
        reason:
          "\(symbol): expected priceFilter.tickSize, lotSizeFilter.qtyStep and minOrderQty as numeric strings"
      )
    }
    return BybitInstrument(
      symbol: symbol, tickSize: tick, qtyStep: step, minOrderQty: minQty,
      maxMarketOrderQty: doc.number(doc.member(lot, "maxMktOrderQty")) ?? .infinity,
      minNotional: doc.number(doc.member(lot, "minNotionalValue")) ?? 0)
  }

  /// Places a market order. Throws `.unknownOutcome` when it may or may not exist: then call
  /// `order(linkID:symbol:)`, never this again blindly.
  @discardableResult
  public func createMarketOrder(_ o: MarketOrder) throws -> (orderId: String, orderLinkId: String) {
    var body = JSONObjectWriter()
    body.add("category", category)
    body.add("symbol", o.symbol)
    body.add("side", o.side.rawValue)
    body.add("orderType", o.price == nil ? "Market" : "Limit")
    body.add("qty", o.qty)
    if let price = o.price {
      body.add("price", price)
      body.add("timeInForce", o.timeInForce ?? "GTC")
    }
    body.add("orderLinkId", o.orderLinkId)
    body.add("positionIdx", int: 0)
    if o.reduceOnly { body.add("reduceOnly", bool: true) }
    if let sl = o.stopLoss {
      body.add("stopLoss", sl)
      body.add("tpslMode", "Full")
    }
    if let tp = o.takeProfit { body.add("takeProfit", tp) }
    let r = try rest.post("/v5/order/create", body, effect: .placesOrder)
    let doc = r.document
    guard let id = doc.string(doc.member(r.result, "orderId")) else {
      throw BybitError.unknownOutcome(
        endpoint: "POST /v5/order/create", reason: "no orderId in the answer")
    }
    return (id, doc.string(doc.member(r.result, "orderLinkId")) ?? o.orderLinkId)
  }

  /// Cancels a New or PartiallyFilled order by its `orderLinkId` (`POST /v5/order/cancel`).
  /// Returns false when the exchange has nothing left to cancel (110001: unknown, filled or
  /// already cancelled): then the order's state says what happened. The answer only means the
  /// request was accepted; the order's final state comes from the stream or `order(linkID:)`.
  public func cancelOrder(symbol: String, orderLinkId: String) throws -> Bool {
    var body = JSONObjectWriter()
    body.add("category", category)
    body.add("symbol", symbol)
    body.add("orderLinkId", orderLinkId)
    do {
      _ = try rest.post("/v5/order/cancel", body, effect: .repeatable)
      return true
    } catch BybitError.rejected(_, BybitError.Code.orderNotExists, _) {
      return false
    }
  }

  /// The order with this `orderLinkId`: recent ones from `/v5/order/realtime` (open and the last
  /// 500 closed), older ones from `/v5/order/history`. nil when the exchange has none.
  public func order(linkID: String, symbol: String) throws -> BybitOrder? {
    for path in ["/v5/order/realtime", "/v5/order/history"] {
      let r = try rest.get(path, ["category": category, "symbol": symbol, "orderLinkId": linkID])
      if let o = try orders(r, endpoint: "GET \(path)").first(where: { $0.orderLinkId == linkID }) {
        return o
      }
    }
    return nil
  }

  /// Open (resting) orders of a symbol, conditional TP/SL orders excluded.
  public func openOrders(symbol: String) throws -> [BybitOrder] {
    let r = try rest.get(
      "/v5/order/realtime",
      ["category": category, "symbol": symbol, "openOnly": "0", "orderFilter": "Order"])
    return try orders(r, endpoint: "GET /v5/order/realtime").filter { !$0.isFinal }
  }

  private func orders(_ r: BybitResponse, endpoint: String) throws -> [BybitOrder] {
    try Self.rows(
      r, endpoint: endpoint, BybitDecode.order,
      lacking: "an order lacks orderId, symbol, side, qty or orderStatus")
  }

  /// `result.list` decoded row by row; any row not as documented fails the whole answer.
  static func rows<T>(
    _ r: BybitResponse, endpoint: String,
    _ decode: (JSONDocument, JSONDocument.Value) -> T?, lacking: String
  ) throws -> [T] {
    let doc = r.document
    guard let rows = doc.list(r.result) else {
      throw BybitError.malformed(endpoint: endpoint, reason: "result.list is not an array")
    }
    return try rows.map {
      guard let row = decode(doc, $0) else {
        throw BybitError.malformed(endpoint: endpoint, reason: lacking)
      }
      return row
    }
  }

  /// The position of a symbol (flat when Bybit lists none).
  public func position(symbol: String) throws -> BybitPosition {
    try positions(["category": category, "symbol": symbol]).first { $0.symbol == symbol }
      ?? BybitPosition(
        symbol: symbol, side: nil, size: 0, avgPrice: 0, stopLoss: nil, takeProfit: nil,
        trailingStop: nil, updatedTime: 0)
  }

  /// True when the account trades `symbol` in one-way mode (positionIdx 0), which Wick needs:
  /// in hedge mode Bybit lists a buy-side and a sell-side row (positionIdx 1 and 2).
  public func isOneWay(symbol: String) throws -> Bool {
    try positionMode(symbol: symbol).oneWay
  }

  /// Every open USDT-settled position of the account.
  public func openPositions() throws -> [BybitPosition] {
    try positions(["category": category, "settleCoin": "USDT"]).filter(\.isOpen)
  }

  private func positions(_ query: KeyValuePairs<String, String>) throws -> [BybitPosition] {
    let r = try rest.get("/v5/position/list", query)
    return try Self.rows(
      r, endpoint: "GET /v5/position/list", BybitDecode.position,
      lacking: "a position lacks symbol or size")
  }

  /// Sets the position's stop and/or take (whole position, market on trigger). Values are
  /// absolute, so a retry is harmless. "Not modified" (34040) means it is already so.
  public func setTradingStop(symbol: String, stopLoss: String?, takeProfit: String?) throws {
    var body = JSONObjectWriter()
    body.add("category", category)
    body.add("symbol", symbol)
    body.add("tpslMode", "Full")
    body.add("positionIdx", int: 0)
    if let stopLoss { body.add("stopLoss", stopLoss) }
    if let takeProfit { body.add("takeProfit", takeProfit) }
    do {
      _ = try rest.post("/v5/position/trading-stop", body, effect: .repeatable)
    } catch BybitError.rejected(_, BybitError.Code.notModified, _) {
      return
    }
  }

  /// Sets the symbol's leverage (both sides, one-way mode). "Not modified" (110043) is success.
  public func setLeverage(symbol: String, _ leverage: Double) throws {
    let text = String(format: "%.2f", leverage)
    var body = JSONObjectWriter()
    body.add("category", category)
    body.add("symbol", symbol)
    body.add("buyLeverage", text)
    body.add("sellLeverage", text)
    do {
      _ = try rest.post("/v5/position/set-leverage", body, effect: .repeatable)
    } catch BybitError.rejected(_, BybitError.Code.leverageNotModified, _) {
      return
    }
  }

  /// Recent fills of a symbol, optionally of one order (REST fallback for the `execution` topic).
  public func executions(symbol: String, orderLinkId: String? = nil) throws -> [BybitExecution] {
    let endpoint = "GET /v5/execution/list"
    let r =
      try orderLinkId.map {
        try rest.get(
          "/v5/execution/list", ["category": category, "symbol": symbol, "orderLinkId": $0])
      } ?? rest.get("/v5/execution/list", ["category": category, "symbol": symbol])
    return try Self.rows(
      r, endpoint: endpoint, BybitDecode.execution,
      lacking: "an execution lacks execId, side, execPrice or execQty")
  }
}
