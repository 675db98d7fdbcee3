import Foundation
import WickCore
import WickData
import WickLive
import WickRisk

/// Where Binance USDⓈ-M lives: testnet by default, mainnet on request, or any base (a loopback
/// mock in tests). `ws` is the WebSocket base; `/ws/<listenKey>` is appended.
public struct BinanceEndpoints: Sendable, Equatable {
  public var rest: String
  public var ws: String
  public static let testnet = BinanceEndpoints(
    rest: "https://testnet.binancefuture.com", ws: "wss://stream.binancefuture.com")
  public static let mainnet = BinanceEndpoints(
    rest: "https://fapi.binance.com", ws: "wss://fstream.binance.com")
  /// Key permissions live on the spot API (`/sapi/v1/account/apiRestrictions`), mainnet only.
  public static let mainnetSpot = "https://api.binance.com"

  public init(rest: String, ws: String) {
    self.rest = rest
    self.ws = ws
  }

  public init(mainnet: Bool, baseURL: String? = nil, wsURL: String? = nil) {
    let net = mainnet ? Self.mainnet : Self.testnet
    self.init(rest: baseURL ?? net.rest, ws: wsURL ?? net.ws)
  }
}

/// An order as `/fapi/v1/order` lists it.
public struct BinanceOrder: Sendable, Equatable {
  public var orderId: Int64
  public var clientOrderId: String
  public var symbol: String
  public var side: String
  public var status: String
  public var executedQty: Double
  public var avgPrice: Double
  public var reduceOnly: Bool
  /// The exchange's last update of the order (ms; 0 when the answer omits it).
  public var updateTime: Int64 = 0
  /// NEW and PARTIALLY_FILLED are working; FILLED, CANCELED, EXPIRED, REJECTED are final.
  public var isFinal: Bool { !["NEW", "PARTIALLY_FILLED"].contains(status) }
}

/// One fill of an order (`/fapi/v1/userTrades`), its fee in USDT.
public struct BinanceTrade: Sendable, Equatable {
  public var id: Int64
  public var orderId: Int64
  public var price: Double
  public var qty: Double
  public var commission: Double
  public var time: Int64
}

/// A conditional order of the Algo Order API (`/fapi/v1/algoOrder`).
public struct BinanceAlgoOrder: Sendable, Equatable {
  public var algoId: Int64
  public var clientAlgoId: String
  public var symbol: String
  public var side: String
  /// STOP_MARKET, TAKE_PROFIT_MARKET, …
  public var orderType: String
  public var triggerPrice: Double
  /// NEW while waiting for its trigger; then TRIGGERING, TRIGGERED, FINISHED, CANCELED, EXPIRED,
  /// REJECTED.
  public var algoStatus: String
  public var closePosition: Bool
}

/// A one-way (`BOTH`) position as `/fapi/v3/positionRisk` lists it: signed amount.
public struct BinancePosition: Sendable, Equatable {
  public var symbol: String
  public var amount: Double
  public var entryPrice: Double
  public var isOpen: Bool { amount != 0 }
  public var side: Side? { amount > 0 ? .long : amount < 0 ? .short : nil }
}

/// The USDⓈ-M account's figures (`/fapi/v3/account`).
public struct BinanceWallet: Sendable, Equatable {
  /// Margin balance: wallet plus unrealised PnL (what sizing uses).
  public var equity: Double
  public var walletBalance: Double
  public var unrealisedPnl: Double
}

/// A funding settlement (`/fapi/v1/income`, `incomeType=FUNDING_FEE`): `amount` received (+)
/// or paid (−), `id` the `tranId` that books it once.
public struct BinanceFunding: Sendable, Equatable {
  public var symbol: String
  public var time: Int64
  public var amount: Double
  public var id: Int64
}

/// What the API key may do (`/sapi/v1/account/apiRestrictions`).
public struct BinanceKeyPermissions: Sendable, Equatable {
  public var futures: Bool
  public var withdrawals: Bool
}

/// The Binance USDⓈ-M endpoints a live run and `wick doctor` use, for linear USDT perpetuals in
/// one-way mode. Conditional orders (the stop, the take) go through the Algo Order API: since
/// 2025-12-09 `/fapi/v1/order` refuses them with -4120.
public final class BinanceTradingAPI: @unchecked Sendable {
  public let rest: BinanceRESTClient

  public init(rest: BinanceRESTClient) { self.rest = rest }

  // MARK: Account set-up

  /// The instrument rules of `symbol` from `/fapi/v1/exchangeInfo`: `PRICE_FILTER.tickSize`,
  /// `LOT_SIZE.stepSize/minQty`, `MARKET_LOT_SIZE.stepSize/minQty` (market orders obey both lot
  /// filters: the coarser step and the larger minimum win) and `MIN_NOTIONAL.notional`.
  public func instrument(_ symbol: String) throws -> InstrumentSpec {
    let endpoint = "GET /fapi/v1/exchangeInfo"
    let r = try rest.send("GET", "/fapi/v1/exchangeInfo", [], signed: false)
    let doc = r.document
    guard
      let row = doc.array(doc.member(r.root, "symbols"))?.first(where: {
        doc.string(doc.member($0, "symbol")) == symbol
      })
    else {
      throw BinanceError.rejected(
        endpoint: endpoint, code: -1121, message: "\(symbol) is not a listed USDⓈ-M contract")
    }
    var filters: [String: JSONDocument.Value] = [:]
    for f in doc.array(doc.member(row, "filters")) ?? [] {
      if let type = doc.string(doc.member(f, "filterType")) { filters[type] = f }
    }
    func number(_ filter: String, _ key: String) -> Double? {
      filters[filter].flatMap { doc.number(doc.member($0, key)) }
    }
    guard let tick = number("PRICE_FILTER", "tickSize"), tick > 0,
      let step = number("LOT_SIZE", "stepSize"), step > 0,
      let minQty = number("LOT_SIZE", "minQty")
    else {
      throw BinanceError.malformed(
        endpoint: endpoint,
        reason: "\(symbol): expected PRICE_FILTER.tickSize, LOT_SIZE.stepSize and minQty")
    }
    return InstrumentSpec(
      lotStep: max(step, number("MARKET_LOT_SIZE", "stepSize") ?? 0),
      minQty: max(minQty, number("MARKET_LOT_SIZE", "minQty") ?? 0),
      minNotional: number("MIN_NOTIONAL", "notional") ?? 0, tickSize: tick)
  }

  /// True in hedge mode (`dualSidePosition`), which Wick refuses: it trades one-way.
  public func isHedgeMode() throws -> Bool {
    try flag("/fapi/v1/positionSide/dual", "dualSidePosition")
  }

  /// True in multi-assets margin mode (single-asset mode otherwise).
  public func isMultiAssetsMode() throws -> Bool {
    try flag("/fapi/v1/multiAssetsMargin", "multiAssetsMargin")
  }

  private func flag(_ path: String, _ key: String) throws -> Bool {
    let r = try rest.send("GET", path, [])
    guard case .bool(let b)? = r.document.member(r.root, key) else {
      throw BinanceError.malformed(endpoint: "GET \(path)", reason: "no boolean \(key)")
    }
    return b
  }

  /// Isolated margin for `symbol`; "no need to change margin type" (-4046) is success.
  public func setIsolatedMargin(symbol: String) throws {
    do {
      _ = try rest.send(
        "POST", "/fapi/v1/marginType", [("symbol", symbol), ("marginType", "ISOLATED")])
    } catch let e as BinanceError where e.code == BinanceError.Code.noNeedToChangeMarginType {
      return
    }
  }

  /// The symbol's initial leverage (whole numbers, 1…125); returns what the exchange set.
  @discardableResult
  public func setLeverage(symbol: String, _ leverage: Double) throws -> Int {
    let wanted = max(1, Int(leverage.rounded(.down)))
    let r = try rest.send(
      "POST", "/fapi/v1/leverage", [("symbol", symbol), ("leverage", String(wanted))])
    return r.document.member(r.root, "leverage").flatMap(r.document.int64).map(Int.init) ?? wanted
  }

  // MARK: Orders

  /// A market order under `clientOrderId` (`newOrderRespType=RESULT`: the answer holds the
  /// final state of a market order). A duplicate id (-4116) means the first order exists: it is
  /// looked up, never sent again; an unknown outcome likewise.
  public func placeMarketOrder(
    symbol: String, side: String, qty: String, clientOrderId: String, reduceOnly: Bool = false
  ) throws -> BinanceOrder {
    var params = [
      ("symbol", symbol), ("side", side), ("type", "MARKET"), ("quantity", qty),
      ("newClientOrderId", clientOrderId), ("newOrderRespType", "RESULT"),
    ]
    if reduceOnly { params.append(("reduceOnly", "true")) }
    return try placeOrder(params, symbol: symbol, clientOrderId: clientOrderId)
  }

  /// Sends one new order (`POST /fapi/v1/order`, whose `params` name `clientOrderId`). A
  /// duplicate id (-4116) means the first order exists, and an unknown outcome may have placed
  /// it: either is looked up by the id, never sent again.
  func placeOrder(_ params: [(String, String)], symbol: String, clientOrderId: String) throws
    -> BinanceOrder
  {
    do {
      let r = try rest.send("POST", "/fapi/v1/order", params, effect: .placesOrder)
      guard let o = Self.order(r.document, r.root) else {
        throw BinanceError.unknownOutcome(
          endpoint: "POST /fapi/v1/order", reason: "the answer lacks orderId or status")
      }
      return o
    } catch let e as BinanceError {
      switch e {
      case .rejected(_, BinanceError.Code.duplicateClientOrderID, _), .unknownOutcome:
        if let o = try order(clientOrderId: clientOrderId, symbol: symbol) { return o }
        throw e
      default: throw e
      }
    }
  }

  /// The order with this client id (`origClientOrderId`); nil when Binance has none (-2013).
  public func order(clientOrderId: String, symbol: String) throws -> BinanceOrder? {
    do {
      let r = try rest.send(
        "GET", "/fapi/v1/order", [("symbol", symbol), ("origClientOrderId", clientOrderId)])
      guard let o = Self.order(r.document, r.root) else {
        throw BinanceError.malformed(
          endpoint: "GET /fapi/v1/order", reason: "an order lacks orderId, status or executedQty")
      }
      return o
    } catch let e as BinanceError where e.code == BinanceError.Code.noSuchOrder {
      return nil
    }
  }

  /// The symbol's working orders (`GET /fapi/v1/openOrders`): Wick's market orders never rest,
  /// so whatever is listed is someone else's or lost.
  public func openOrders(symbol: String) throws -> [BinanceOrder] {
    let endpoint = "GET /fapi/v1/openOrders"
    let r = try rest.send("GET", "/fapi/v1/openOrders", [("symbol", symbol)])
    return try Self.rows(
      r, endpoint: endpoint, lacking: "an order lacks orderId, status or executedQty", Self.order)
  }

  /// The account's trades on `symbol` (`GET /fapi/v1/userTrades`), oldest first; `orderId`
  /// narrows them to one order. Orders' answers carry no fee: `commission` is read here.
  public func trades(symbol: String, orderId: Int64? = nil) throws -> [BinanceTrade] {
    let endpoint = "GET /fapi/v1/userTrades"
    var params = [("symbol", symbol)]
    if let orderId { params.append(("orderId", String(orderId))) }
    let r = try rest.send("GET", "/fapi/v1/userTrades", params)
    return try Self.rows(
      r, endpoint: endpoint, lacking: "a trade lacks id, orderId, price, qty or time"
    ) { doc, row -> BinanceTrade? in
      guard let id = doc.member(row, "id").flatMap(doc.int64),
        let order = doc.member(row, "orderId").flatMap(doc.int64),
        let price = doc.number(doc.member(row, "price")),
        let qty = doc.number(doc.member(row, "qty")),
        let time = doc.member(row, "time").flatMap(doc.int64)
      else { return nil }
      return BinanceTrade(
        id: id, orderId: order, price: price, qty: qty,
        commission: doc.number(doc.member(row, "commission")) ?? 0, time: time)
    }.sorted { ($0.time, $0.id) < ($1.time, $1.id) }
  }

  /// The rows of an answer that is a JSON array, each decoded by `decode`; one row not as
  /// documented fails the whole answer, naming what it lacks.
  static func rows<T>(
    _ r: BinanceResponse, endpoint: String, lacking: String,
    _ decode: (JSONDocument, JSONDocument.Value) -> T?
  ) throws -> [T] {
    guard let rows = r.document.array(r.root) else {
      throw BinanceError.malformed(endpoint: endpoint, reason: "expected an array")
    }
    return try rows.map {
      guard let row = decode(r.document, $0) else {
        throw BinanceError.malformed(endpoint: endpoint, reason: lacking)
      }
      return row
    }
  }

  static func order(_ doc: JSONDocument, _ v: JSONDocument.Value) -> BinanceOrder? {
    guard let id = doc.member(v, "orderId").flatMap(doc.int64),
      let status = doc.string(doc.member(v, "status")),
      let executed = doc.number(doc.member(v, "executedQty"))
    else { return nil }
    var reduceOnly = false
    if case .bool(let b)? = doc.member(v, "reduceOnly") { reduceOnly = b }
    return BinanceOrder(
      orderId: id, clientOrderId: doc.string(doc.member(v, "clientOrderId")) ?? "",
      symbol: doc.string(doc.member(v, "symbol")) ?? "",
      side: doc.string(doc.member(v, "side")) ?? "",
      status: status, executedQty: executed, avgPrice: doc.number(doc.member(v, "avgPrice")) ?? 0,
      reduceOnly: reduceOnly,
      updateTime: doc.member(v, "updateTime").flatMap(doc.int64) ?? 0)
  }

  // MARK: Conditional orders (Algo Order API)

  /// Why a conditional order was not placed because its trigger is already crossed (-2021):
  /// the position has no stop, and the caller closes it at market.
  public static func wouldTriggerAtOnce(_ error: Error) -> Bool {
    (error as? BinanceError)?.code == BinanceError.Code.wouldTriggerImmediately
  }

  /// A close-all conditional order (`STOP_MARKET` or `TAKE_PROFIT_MARKET`, `closePosition=true`,
  /// triggered by the mark price) under `clientAlgoId`. A duplicate id is looked up in the open
  /// algo orders, never sent twice.
  public func placeConditional(
    symbol: String, closingSide: String, type: String, triggerPrice: String, clientAlgoId: String
  ) throws -> BinanceAlgoOrder {
    let params = [
      ("algoType", "CONDITIONAL"), ("symbol", symbol), ("side", closingSide), ("type", type),
      ("triggerPrice", triggerPrice), ("closePosition", "true"), ("workingType", "MARK_PRICE"),
      ("clientAlgoId", clientAlgoId),
    ]
    do {
      let r = try rest.send("POST", "/fapi/v1/algoOrder", params, effect: .placesOrder)
      guard let o = Self.algoOrder(r.document, r.root) else {
        throw BinanceError.unknownOutcome(
          endpoint: "POST /fapi/v1/algoOrder", reason: "the answer lacks algoId or algoStatus")
      }
      return o
    } catch let e as BinanceError {
      switch e {
      case .rejected(_, BinanceError.Code.duplicateClientOrderID, _), .unknownOutcome:
        if let o = try openAlgoOrders(symbol: symbol).first(where: {
          $0.clientAlgoId == clientAlgoId
        }) {
          return o
        }
        throw e
      default: throw e
      }
    }
  }

  /// The symbol's conditional orders still waiting for their trigger.
  public func openAlgoOrders(symbol: String) throws -> [BinanceAlgoOrder] {
    let endpoint = "GET /fapi/v1/openAlgoOrders"
    let r = try rest.send("GET", "/fapi/v1/openAlgoOrders", [("symbol", symbol)])
    return try Self.rows(
      r, endpoint: endpoint, lacking: "an algo order lacks algoId or algoStatus", Self.algoOrder)
  }

  /// Cancels a conditional order by its client id (a trailing stop's replacement).
  public func cancelConditional(symbol: String, clientAlgoId: String) throws {
    _ = try rest.send(
      "DELETE", "/fapi/v1/algoOrder", [("symbol", symbol), ("clientAlgoId", clientAlgoId)])
  }

  static func algoOrder(_ doc: JSONDocument, _ v: JSONDocument.Value) -> BinanceAlgoOrder? {
    guard let id = doc.member(v, "algoId").flatMap(doc.int64),
      let status = doc.string(doc.member(v, "algoStatus"))
    else { return nil }
    var closeAll = false
    if case .bool(let b)? = doc.member(v, "closePosition") { closeAll = b }
    return BinanceAlgoOrder(
      algoId: id, clientAlgoId: doc.string(doc.member(v, "clientAlgoId")) ?? "",
      symbol: doc.string(doc.member(v, "symbol")) ?? "",
      side: doc.string(doc.member(v, "side")) ?? "",
      orderType: doc.string(doc.member(v, "orderType")) ?? "",
      triggerPrice: doc.number(doc.member(v, "triggerPrice")) ?? 0, algoStatus: status,
      closePosition: closeAll)
  }

  // MARK: Positions, wallet, funding

  /// The symbol's one-way position (flat when Binance lists none).
  public func position(symbol: String) throws -> BinancePosition {
    try positions(symbol: symbol).first { $0.symbol == symbol }
      ?? BinancePosition(symbol: symbol, amount: 0, entryPrice: 0)
  }

  /// Open positions (every symbol when `symbol` is nil).
  public func positions(symbol: String? = nil) throws -> [BinancePosition] {
    let endpoint = "GET /fapi/v3/positionRisk"
    let r = try rest.send("GET", "/fapi/v3/positionRisk", symbol.map { [("symbol", $0)] } ?? [])
    return try Self.rows(
      r, endpoint: endpoint, lacking: "a position lacks symbol or positionAmt"
    ) { doc, row -> BinancePosition? in
      guard let s = doc.string(doc.member(row, "symbol")),
        let amount = doc.number(doc.member(row, "positionAmt"))
      else { return nil }
      return BinancePosition(
        symbol: s, amount: amount, entryPrice: doc.number(doc.member(row, "entryPrice")) ?? 0)
    }.filter(\.isOpen)
  }

  /// The account's USDT figures: `totalMarginBalance` (equity), `totalWalletBalance`,
  /// `totalUnrealizedProfit`.
  public func wallet() throws -> BinanceWallet {
    let r = try rest.send("GET", "/fapi/v3/account", [])
    let doc = r.document
    guard let equity = doc.number(doc.member(r.root, "totalMarginBalance")),
      let balance = doc.number(doc.member(r.root, "totalWalletBalance"))
    else {
      throw BinanceError.malformed(
        endpoint: "GET /fapi/v3/account",
        reason: "expected totalMarginBalance and totalWalletBalance as numeric strings")
    }
    return BinanceWallet(
      equity: equity, walletBalance: balance,
      unrealisedPnl: doc.number(doc.member(r.root, "totalUnrealizedProfit")) ?? 0)
  }

  /// Funding settled on `symbol` from `startTime` on (`FUNDING_FEE` rows of `/fapi/v1/income`,
  /// oldest first). Each has a `tranId`: book each id once.
  public func funding(symbol: String, since startTime: Int64) throws -> [BinanceFunding] {
    let endpoint = "GET /fapi/v1/income"
    let r = try rest.send(
      "GET", "/fapi/v1/income",
      [
        ("symbol", symbol), ("incomeType", "FUNDING_FEE"), ("startTime", String(startTime)),
        ("limit", "1000"),
      ])
    return try Self.rows(
      r, endpoint: endpoint, lacking: "an income row lacks time, income or tranId"
    ) { doc, row -> BinanceFunding? in
      guard let time = doc.member(row, "time").flatMap(doc.int64),
        let amount = doc.number(doc.member(row, "income")),
        let id = doc.member(row, "tranId").flatMap(doc.int64)
      else { return nil }
      return BinanceFunding(symbol: symbol, time: time, amount: amount, id: id)
    }.sorted { $0.time < $1.time }
  }

  /// The last traded price (`/fapi/v1/ticker/price`).
  public func lastPrice(symbol: String) throws -> Double {
    let r = try rest.send("GET", "/fapi/v1/ticker/price", [("symbol", symbol)], signed: false)
    guard let p = r.document.number(r.document.member(r.root, "price")) else {
      throw BinanceError.malformed(endpoint: "GET /fapi/v1/ticker/price", reason: "no price")
    }
    return p
  }

  // MARK: User data stream

  /// Creates (or returns the live) listenKey (`POST /fapi/v1/listenKey`, valid 60 minutes).
  public func createListenKey() throws -> String {
    let r = try rest.send("POST", "/fapi/v1/listenKey", [], signed: false, keyed: true)
    guard let key = r.document.string(r.document.member(r.root, "listenKey")) else {
      throw BinanceError.malformed(endpoint: "POST /fapi/v1/listenKey", reason: "no listenKey")
    }
    return key
  }

  /// Extends the listenKey by 60 minutes (every 30). False when it expired (-1125): create anew
  /// and fetch what was missed over REST.
  public func keepAlive() throws -> Bool {
    do {
      _ = try rest.send("PUT", "/fapi/v1/listenKey", [], signed: false, keyed: true)
      return true
    } catch let e as BinanceError where e.code == BinanceError.Code.listenKeyNotFound {
      return false
    }
  }
}

extension BinanceTradingAPI {
  /// The key's permissions from the spot API (`GET /sapi/v1/account/apiRestrictions` on
  /// `spotBase`): `enableFutures` and `enableWithdrawals`. Signed on the futures clock this
  /// client measured (both APIs keep Binance's time).
  public func permissions(spotBase: String, transport: HTTPTransport) throws
    -> BinanceKeyPermissions
  {
    let offset = rest.serverOffsetMs
    let spot = BinanceRESTClient(
      baseURL: spotBase, credentials: rest.credentials, transport: transport,
      localClock: { Int64(Date().timeIntervalSince1970 * 1000) + offset })
    let r = try spot.send("GET", "/sapi/v1/account/apiRestrictions", [])
    let doc = r.document
    func flag(_ key: String) -> Bool {
      if case .bool(let b)? = doc.member(r.root, key) { return b }
      return false
    }
    return BinanceKeyPermissions(
      futures: flag("enableFutures"), withdrawals: flag("enableWithdrawals"))
  }
}
