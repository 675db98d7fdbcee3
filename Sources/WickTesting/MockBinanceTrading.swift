import Foundation
import WickCore
import WickData

/// A loopback Binance USDⓈ-M futures exchange for the live client and `wick doctor`, written
/// from developers.binance.com/docs/derivatives/usds-margined-futures, then made hostile.
///
/// As documented:
/// - `GET /fapi/v1/time` `{"serverTime"}`; `GET /fapi/v1/exchangeInfo` with `PRICE_FILTER`,
///   `LOT_SIZE`, `MARKET_LOT_SIZE`, `MIN_NOTIONAL` filters; `GET /fapi/v1/ticker/price`.
/// - SIGNED endpoints: `X-MBX-APIKEY` (else -2015), `timestamp` within `recvWindow` of the
///   server's clock and not more than 1 s ahead (else -1021), `signature` = hex HMAC-SHA256 of the
///   query string before `&signature=` plus the body (else -1022). Every answer carries
///   `X-MBX-USED-WEIGHT-1M`; errors are HTTP 400 `{"code":-n,"msg":…}`.
/// - `GET /fapi/v1/positionSide/dual`, `GET /fapi/v1/multiAssetsMargin`, `POST /fapi/v1/marginType`
///   (-4046 "No need to change margin type."), `POST /fapi/v1/leverage`.
/// - `POST /fapi/v1/order` (MARKET; `newClientOrderId`, -4116 for a used one; -4164 below the
///   minimum notional unless reduce-only; -2022 reduce-only with nothing to reduce) and, since
///   2025-12-09, -4120 for STOP_MARKET/TAKE_PROFIT_MARKET/STOP/TAKE_PROFIT/TRAILING_STOP_MARKET.
/// - `GET /fapi/v1/order?origClientOrderId` (-2013 "Order does not exist.").
/// - The Algo Order API: `POST /fapi/v1/algoOrder` (`algoType=CONDITIONAL`, `triggerPrice`,
///   `closePosition`, `clientAlgoId`; -2021 "Order would immediately trigger." when the mark price
///   is already past the trigger), `GET /fapi/v1/openAlgoOrders`, `DELETE /fapi/v1/algoOrder`.
/// - `GET /fapi/v3/positionRisk`, `GET /fapi/v3/account`, `GET /fapi/v1/income`.
/// - `POST`/`PUT /fapi/v1/listenKey` (API key only; -1125 for an expired key).
/// - `GET /fapi/v1/symbolConfig` (margin type and leverage per symbol).
/// - `GET /sapi/v1/account/apiRestrictions` (the spot API's key permissions).
/// - WebSockets under `/ws` and `/stream` are accepted (and stay silent).
///
/// Assumed where the documentation is silent: a duplicate `clientAlgoId` answers -4116 like an
/// order's; `/fapi/v1/order` refuses conditional types before any other check.
public final class MockBinanceTrading: @unchecked Sendable {
  public let apiKey: String
  public let apiSecret: String
  private var server: LoopbackServer!
  let lock = NSLock()
  private let weightLock = NSLock()

  public struct Order: Sendable, Equatable {
    public var orderId: Int64
    public var clientOrderId: String
    public var symbol: String
    public var side: String
    public var qty: Double
    public var executedQty: Double
    public var avgPrice: Double
    public var status: String
    public var reduceOnly: Bool
    public var updateTime: Int64 = 0
    /// `MARKET` or `LIMIT`; a limit order's price and `GTC`/`GTX`.
    public var type = "MARKET"
    public var price = 0.0
    public var timeInForce = "GTC"
    /// NEW and PARTIALLY_FILLED rest on the book.
    public var isWorking: Bool { status == "NEW" || status == "PARTIALLY_FILLED" }
  }

  public struct AlgoOrder: Sendable, Equatable {
    public var algoId: Int64
    public var clientAlgoId: String
    public var symbol: String
    public var side: String
    public var type: String
    public var triggerPrice: Double
    public var status: String
  }

  public struct Instrument: Sendable {
    public var tickSize: Double
    public var stepSize: Double
    public var minQty: Double
    public var minNotional: Double
    public init(tickSize: Double, stepSize: Double, minQty: Double, minNotional: Double) {
      self.tickSize = tickSize
      self.stepSize = stepSize
      self.minQty = minQty
      self.minNotional = minNotional
    }
  }

  /// A fault for the next order placement.
  public enum Fault: Sendable {
    /// Answered as usual (lets the requests before a fault through).
    case pass
    /// Processed, then the connection resets (the client cannot know).
    case processThenReset
    /// HTTP 429 with Retry-After (not processed).
    case rateLimited(retryAfter: Int)
    /// HTTP 503 "Unknown error" after processing (Binance: execution status unknown).
    case processThen503
    /// Processed, then the answer is held back this long (a client killed meanwhile never
    /// hears it).
    case processThenHang(Double)
    /// Never processed: the connection hangs this long, then resets.
    case swallow(Double)
  }

  private var _skew: Int64 = 0
  private var _hedge = false
  private var _multiAssets = false
  private var _withdrawals = false
  private var _futuresEnabled = true
  var _instruments: [String: Instrument] = [
    "BTCUSDT": Instrument(tickSize: 0.1, stepSize: 0.001, minQty: 0.001, minNotional: 100),
    "ETHUSDT": Instrument(tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 20),
  ]
  var _marks: [String: Double] = ["BTCUSDT": 60_000, "ETHUSDT": 3_000]
  private var _marginTypes: [String: String] = [:]
  private var _leverages: [String: Int] = [:]
  var _orders: [Order] = []
  private var _algos: [AlgoOrder] = []
  private var _positions: [String: (amount: Double, entry: Double)] = [:]
  private var _wallet = 1_000.0
  private var _income: [(symbol: String, time: Int64, amount: Double, id: Int64)] = []
  private var _listenKeys: Set<String> = []
  private var _orderFaults: [Fault] = []
  private var _algoFaults: [Fault] = []
  var _trades: [Trade] = []
  /// Events for the user data streams, sent once the lock is released.
  var _outbox: [String] = []
  var market = MarketState()
  private var _partial: [String: (fraction: Double, idSuffix: String)] = [:]
  private var _requests: [String] = []
  private var _weight = 0
  var ids: Int64 = 1000
  let takerFee = 0.0005

  public init(
    apiKey: String = "mock-binance-key-7c1e", apiSecret: String = "mock-binance-secret-2b9f"
  )
    throws
  {
    self.apiKey = apiKey
    self.apiSecret = apiSecret
    server = try LoopbackServer { [weak self] request in
      guard let self else { return .reset }
      return self.route(request)
    }
  }

  deinit { server.stop() }
  public func stop() { server.stop() }

  public var baseURL: String { "http://127.0.0.1:\(server.port)" }
  public var wsURL: String { "ws://127.0.0.1:\(server.port)" }

  // MARK: - Test controls

  /// The exchange's clock minus ours, in ms.
  public var clockSkewMs: Int64 {
    get { lock.withLock { _skew } }
    set { lock.withLock { _skew = newValue } }
  }
  public var hedgeMode: Bool {
    get { lock.withLock { _hedge } }
    set { lock.withLock { _hedge = newValue } }
  }
  public var multiAssetsMode: Bool {
    get { lock.withLock { _multiAssets } }
    set { lock.withLock { _multiAssets = newValue } }
  }
  /// The key may withdraw (`enableWithdrawals`).
  public var withdrawalsEnabled: Bool {
    get { lock.withLock { _withdrawals } }
    set { lock.withLock { _withdrawals = newValue } }
  }
  public var futuresEnabled: Bool {
    get { lock.withLock { _futuresEnabled } }
    set { lock.withLock { _futuresEnabled = newValue } }
  }
  public var walletBalance: Double {
    get { lock.withLock { _wallet } }
    set { lock.withLock { _wallet = newValue } }
  }
  public func setMarkPrice(_ symbol: String, _ price: Double) {
    lock.withLock { if market.pinned[symbol] == nil { _marks[symbol] = price } }
  }
  /// Holds the mark (and the book's touch) at `price` whatever klines are pushed; nil releases it.
  public func pinMarkPrice(_ symbol: String, _ price: Double?) {
    lock.withLock {
      market.pinned[symbol] = price
      if let price { _marks[symbol] = price }
    }
  }
  /// Under the lock.
  func mark(_ symbol: String) -> Double? { _marks[symbol] }
  public func setInstrument(_ symbol: String, _ i: Instrument) {
    lock.withLock { _instruments[symbol] = i }
  }
  public func setMarginType(_ symbol: String, _ type: String) {
    lock.withLock { _marginTypes[symbol] = type }
  }
  public func marginType(_ symbol: String) -> String {
    lock.withLock { _marginTypes[symbol] ?? "CROSSED" }
  }
  public func leverage(_ symbol: String) -> Int? { lock.withLock { _leverages[symbol] } }
  /// Faults for the next conditional (algo) order placements, one per request; when empty,
  /// `orderFaults` applies to them too.
  public var algoFaults: [Fault] {
    get { lock.withLock { _algoFaults } }
    set { lock.withLock { _algoFaults = newValue } }
  }
  /// Faults for the next order placements, one per request.
  public var orderFaults: [Fault] {
    get { lock.withLock { _orderFaults } }
    set { lock.withLock { _orderFaults = newValue } }
  }
  /// The next market order on `symbol` (whose client order id ends with `idSuffix`, when given)
  /// fills only `fraction`; the rest expires.
  public func partialFillThenExpire(_ symbol: String, fraction: Double, idSuffix: String = "") {
    lock.withLock { _partial[symbol] = (fraction, idSuffix) }
  }
  /// A funding settlement booked on the account.
  public func settleFunding(_ symbol: String, time: Int64, amount: Double) {
    lock.withLock {
      ids += 1
      _income.append((symbol, time, amount, ids))
      _wallet += amount
    }
  }
  /// Every listenKey expires (as after 60 minutes without a keepalive): the streams get
  /// `listenKeyExpired` and are closed, and a keepalive answers -1125.
  public func expireListenKeys() {
    let sockets = lock.withLock {
      _listenKeys.removeAll()
      return market.users.map(\.socket)
    }
    let t = lock.withLock { now() }
    for ws in sockets {
      _ = ws.send("{\"e\":\"listenKeyExpired\",\"E\":\(t),\"listenKey\":\"expired\"}")
      ws.drop()
    }
  }
  /// Under the lock.
  func listenKeyValid(_ key: String) -> Bool { _listenKeys.contains(key) }
  /// listenKeys created so far (each stream session asks for one).
  public var listenKeysCreated: Int { lock.withLock { market.listenKeyPosts } }
  /// The weight the next answers report used in this minute.
  public var usedWeight: Int {
    get { weightLock.withLock { _weight } }
    set { weightLock.withLock { _weight = newValue } }
  }

  public var orders: [Order] { lock.withLock { _orders } }
  /// `newClientOrderId` of every order request that arrived (before any check), in order.
  public var orderRequestIDs: [String] { lock.withLock { market.orderRequestIDs } }
  public var algoOrders: [AlgoOrder] { lock.withLock { _algos } }
  public func positionAmount(_ symbol: String) -> Double {
    lock.withLock { _positions[symbol]?.amount ?? 0 }
  }
  /// "METHOD path" of every request, in order.
  public var requests: [String] { lock.withLock { _requests } }

  /// The mark price crosses the symbol's stop: the algo order triggers and closes the position.
  public func triggerStop(_ symbol: String) {
    lock.withLock {
      guard
        let i = _algos.firstIndex(where: {
          $0.symbol == symbol && $0.status == "NEW" && $0.type == "STOP_MARKET"
        }), let p = _positions[symbol], p.amount != 0
      else { return }
      _algos[i].status = "FINISHED"
      let price = _algos[i].triggerPrice
      emitAlgo(_algos[i])
      _ = execute(
        symbol: symbol, side: p.amount > 0 ? "SELL" : "BUY", qty: abs(p.amount), price: price,
        clientID: "autoclose-\(_algos[i].algoId)", reduceOnly: true)
    }
    flush()
  }

  /// The symbol's stop disappears from the exchange without closing the position (an operator
  /// cancelled it, or the exchange expired it).
  public func dropStop(_ symbol: String) {
    lock.withLock {
      for i in _algos.indices
      where _algos[i].symbol == symbol && _algos[i].status == "NEW"
        && _algos[i].type == "STOP_MARKET"
      {
        _algos[i].status = "CANCELED"
        emitAlgo(_algos[i])
      }
    }
    flush()
  }

  /// The open STOP_MARKET trigger of `symbol`'s position, if any.
  public func stopTrigger(_ symbol: String) -> Double? {
    lock.withLock {
      _algos.last { $0.symbol == symbol && $0.status == "NEW" && $0.type == "STOP_MARKET" }?
        .triggerPrice
    }
  }

  /// Sends the user-data events queued under the lock.
  func flush() {
    let (events, sockets) = lock.withLock {
      defer { _outbox.removeAll() }
      return (_outbox, market.users.map(\.socket))
    }
    for e in events { for ws in sockets { _ = ws.send(e) } }
  }

  /// `ALGO_UPDATE` for a conditional order's new status (under the lock).
  private func emitAlgo(_ a: AlgoOrder) {
    _outbox.append(
      "{\"e\":\"ALGO_UPDATE\",\"T\":\(now()),\"E\":\(now()),\"o\":{\"caid\":\"\(a.clientAlgoId)\",\"aid\":\(a.algoId),\"at\":\"CONDITIONAL\",\"o\":\"\(a.type)\",\"s\":\"\(a.symbol)\",\"S\":\"\(a.side)\",\"ps\":\"BOTH\",\"f\":\"GTC\",\"q\":\"0\",\"X\":\"\(a.status)\",\"tp\":\"\(a.triggerPrice)\",\"wt\":\"MARK_PRICE\",\"cp\":true}}"
    )
  }

  // MARK: - Routing

  func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + _skew }

  private func route(_ r: LoopbackRequest) -> LoopbackReply {
    if r.path.hasPrefix("/ws") || r.path.hasPrefix("/stream") { return stream(r) }
    let fault: Fault? = lock.withLock {
      _requests.append("\(r.method) \(r.path)")
      if r.path == "/fapi/v1/order", r.method == "POST" {
        market.orderRequestIDs.append(r.query["newClientOrderId"] ?? "")
      }
      if r.path == "/fapi/v1/algoOrder", r.method == "POST", !_algoFaults.isEmpty {
        return _algoFaults.removeFirst()
      }
      if r.path == "/fapi/v1/order", r.method == "DELETE", !market.cancelFaults.isEmpty {
        return market.cancelFaults.removeFirst()
      }
      guard r.path == "/fapi/v1/order" || r.path == "/fapi/v1/algoOrder", r.method == "POST",
        !_orderFaults.isEmpty
      else { return nil }
      return _orderFaults.removeFirst()
    }
    if case .swallow(let seconds)? = fault {
      Thread.sleep(forTimeInterval: seconds)
      return .reset
    }
    if case .rateLimited(let seconds)? = fault {
      return reply(
        429,
        "{\"code\":-1003,\"msg\":\"Too many requests; please use the websocket for live updates.\"}",
        extra: [("Retry-After", "\(seconds)")])
    }
    let answer = self.answer(r)
    flush()
    switch fault {
    case .processThenHang(let seconds)?:
      Thread.sleep(forTimeInterval: seconds)
      return answer
    case .processThenReset?: return .reset
    case .processThen503?:
      return reply(
        503,
        "{\"code\":-1000,\"msg\":\"Unknown error, please check your request or try again later.\"}")
    default: return answer
    }
  }

  func reply(_ status: Int, _ json: String, extra: [(String, String)] = []) -> LoopbackReply {
    // Its own lock: answers are built while the exchange's state is locked.
    let weight = weightLock.withLock { _weight }
    return .http(
      status: status,
      headers: [("Content-Type", "application/json"), ("X-MBX-USED-WEIGHT-1M", "\(weight)")]
        + extra,
      body: Array(json.utf8))
  }

  func error(_ code: Int, _ message: String, status: Int = 400) -> LoopbackReply {
    reply(status, "{\"code\":\(code),\"msg\":\(JSONText.quoted(message))}")
  }

  private func answer(_ r: LoopbackRequest) -> LoopbackReply {
    let q = r.query
    switch (r.method, r.path) {
    case ("GET", "/fapi/v1/time"), ("GET", "/api/v3/time"):
      return reply(200, "{\"serverTime\":\(lock.withLock { now() })}")
    case ("GET", "/fapi/v1/ping"): return reply(200, "{}")
    case ("GET", "/fapi/v1/klines"): return klines(q)
    case ("GET", "/fapi/v1/exchangeInfo"): return exchangeInfo()
    case ("GET", "/fapi/v1/ticker/price"):
      guard let s = q["symbol"], let p = lock.withLock({ _marks[s] }) else {
        return error(-1121, "Invalid symbol.")
      }
      return reply(
        200, "{\"symbol\":\"\(s)\",\"price\":\"\(p)\",\"time\":\(lock.withLock { now() })}")
    case ("POST", "/fapi/v1/listenKey"), ("PUT", "/fapi/v1/listenKey"):
      guard r.headers["x-mbx-apikey"] == apiKey else {
        return error(-2015, "Invalid API-key, IP, or permissions for action.", status: 401)
      }
      return lock.withLock {
        if r.method == "PUT" {
          guard !_listenKeys.isEmpty else { return error(-1125, "This listenKey does not exist.") }
          return reply(200, "{}")
        }
        ids += 1
        let key = _listenKeys.first ?? "lk\(ids)mock"
        _listenKeys.insert(key)
        market.listenKeyPosts += 1
        return reply(200, "{\"listenKey\":\"\(key)\"}")
      }
    default: break
    }
    if let refusal = authenticate(r) { return refusal }
    switch (r.method, r.path) {
    case ("GET", "/fapi/v1/positionSide/dual"):
      return reply(200, "{\"dualSidePosition\":\(lock.withLock { _hedge })}")
    case ("GET", "/fapi/v1/symbolConfig"):
      let rows = lock.withLock {
        _instruments.keys.sorted().filter { q["symbol"] == nil || $0 == q["symbol"] }.map {
          "{\"symbol\":\"\($0)\",\"marginType\":\"\(_marginTypes[$0] ?? "CROSSED")\",\"isAutoAddMargin\":\"false\",\"leverage\":\(_leverages[$0] ?? 20),\"maxNotionalValue\":\"1000000\"}"
        }
      }
      return reply(200, "[" + rows.joined(separator: ",") + "]")
    case ("GET", "/fapi/v1/multiAssetsMargin"):
      return reply(200, "{\"multiAssetsMargin\":\(lock.withLock { _multiAssets })}")
    case ("POST", "/fapi/v1/marginType"):
      guard let s = q["symbol"], let type = q["marginType"], ["ISOLATED", "CROSSED"].contains(type)
      else { return error(-1102, "Mandatory parameter 'marginType' was not sent.") }
      return lock.withLock {
        if (_marginTypes[s] ?? "CROSSED") == type {
          return error(-4046, "No need to change margin type.")
        }
        _marginTypes[s] = type
        return reply(200, "{\"code\":200,\"msg\":\"success\"}")
      }
    case ("POST", "/fapi/v1/leverage"):
      guard let s = q["symbol"], let lev = q["leverage"].flatMap(Int.init), (1...125).contains(lev)
      else {
        return error(-4028, "Leverage is not valid")
      }
      lock.withLock { _leverages[s] = lev }
      return reply(
        200, "{\"leverage\":\(lev),\"maxNotionalValue\":\"1000000\",\"symbol\":\"\(s)\"}")
    case ("POST", "/fapi/v1/order"): return placeOrder(q)
    case ("DELETE", "/fapi/v1/order"): return cancelOrder(q)
    case ("GET", "/fapi/v1/openOrders"):
      // Resting limit orders, and any a test planted.
      let rows = lock.withLock {
        _orders.filter { $0.isWorking && (q["symbol"] == nil || $0.symbol == q["symbol"]) }
      }
      return reply(200, "[" + rows.map(orderJSON).joined(separator: ",") + "]")
    case ("GET", "/fapi/v1/userTrades"):
      let rows = lock.withLock {
        _trades.filter {
          $0.symbol == q["symbol"] && (q["orderId"] == nil || "\($0.orderId)" == q["orderId"])
        }
      }
      return reply(200, "[" + rows.map(tradeJSON).joined(separator: ",") + "]")
    case ("GET", "/fapi/v1/order"):
      let found = lock.withLock { _orders.first { $0.clientOrderId == q["origClientOrderId"] } }
      guard let o = found else { return error(-2013, "Order does not exist.") }
      return reply(200, orderJSON(o))
    case ("POST", "/fapi/v1/algoOrder"): return placeAlgo(q)
    case ("GET", "/fapi/v1/openAlgoOrders"):
      let rows = lock.withLock {
        _algos.filter { $0.status == "NEW" && (q["symbol"] == nil || $0.symbol == q["symbol"]) }
      }
      return reply(200, "[" + rows.map(algoJSON).joined(separator: ",") + "]")
    case ("DELETE", "/fapi/v1/algoOrder"):
      return lock.withLock {
        guard
          let i = _algos.firstIndex(where: {
            $0.status == "NEW"
              && ($0.clientAlgoId == q["clientAlgoId"] || "\($0.algoId)" == q["algoId"])
          })
        else { return error(-2011, "Unknown order sent.") }
        _algos[i].status = "CANCELED"
        emitAlgo(_algos[i])
        return reply(
          200,
          "{\"algoId\":\(_algos[i].algoId),\"clientAlgoId\":\"\(_algos[i].clientAlgoId)\",\"code\":\"200\",\"msg\":\"success\"}"
        )
      }
    case ("GET", "/fapi/v3/positionRisk"):
      let rows = lock.withLock {
        _positions.filter { $0.value.amount != 0 && (q["symbol"] == nil || $0.key == q["symbol"]) }
          .sorted { $0.key < $1.key }
          .map {
            "{\"symbol\":\"\($0.key)\",\"positionSide\":\"BOTH\",\"positionAmt\":\"\($0.value.amount)\",\"entryPrice\":\"\($0.value.entry)\",\"marginAsset\":\"USDT\"}"
          }
      }
      return reply(200, "[" + rows.joined(separator: ",") + "]")
    case ("GET", "/fapi/v3/account"):
      let (wallet, upnl) = lock.withLock {
        (
          _wallet,
          _positions.reduce(0.0) {
            $0 + $1.value.amount * ((_marks[$1.key] ?? $1.value.entry) - $1.value.entry)
          }
        )
      }
      return reply(
        200,
        "{\"totalWalletBalance\":\"\(wallet)\",\"totalUnrealizedProfit\":\"\(upnl)\",\"totalMarginBalance\":\"\(wallet + upnl)\",\"availableBalance\":\"\(wallet)\",\"assets\":[{\"asset\":\"USDT\",\"walletBalance\":\"\(wallet)\",\"unrealizedProfit\":\"\(upnl)\",\"marginBalance\":\"\(wallet + upnl)\"}],\"positions\":[]}"
      )
    case ("GET", "/fapi/v1/income"):
      let start = q["startTime"].flatMap(Int64.init) ?? 0
      let rows = lock.withLock {
        _income.filter {
          (q["symbol"] == nil || $0.symbol == q["symbol"]) && $0.time >= start
            && (q["incomeType"] ?? "FUNDING_FEE") == "FUNDING_FEE"
        }
        .map {
          "{\"symbol\":\"\($0.symbol)\",\"incomeType\":\"FUNDING_FEE\",\"income\":\"\($0.amount)\",\"asset\":\"USDT\",\"info\":\"FUNDING_FEE\",\"time\":\($0.time),\"tranId\":\($0.id),\"tradeId\":\"\"}"
        }
      }
      return reply(200, "[" + rows.joined(separator: ",") + "]")
    case ("GET", "/sapi/v1/account/apiRestrictions"):
      let (w, f) = lock.withLock { (_withdrawals, _futuresEnabled) }
      return reply(
        200,
        "{\"ipRestrict\":false,\"createTime\":1698645219000,\"enableReading\":true,\"enableWithdrawals\":\(w),\"enableInternalTransfer\":false,\"enableMargin\":false,\"enableFutures\":\(f),\"permitsUniversalTransfer\":false,\"enableVanillaOptions\":false,\"enableSpotAndMarginTrading\":false}"
      )
    default:
      return error(-1000, "not found", status: 404)
    }
  }

  /// Binance's checks, in its order: key, timestamp in the window, signature.
  private func authenticate(_ r: LoopbackRequest) -> LoopbackReply? {
    guard r.headers["x-mbx-apikey"] == apiKey else {
      return error(-2015, "Invalid API-key, IP, or permissions for action.", status: 401)
    }
    let q = r.query
    let window = q["recvWindow"].flatMap(Int64.init) ?? 5000
    let serverTime = lock.withLock { now() }
    guard let ts = q["timestamp"].flatMap(Int64.init), ts < serverTime + 1000,
      serverTime - ts <= window
    else {
      return error(-1021, "Timestamp for this request is outside of the recvWindow.")
    }
    let query = r.queryString
    guard let range = query.range(of: "&signature=") else {
      return error(-1022, "Signature for this request is not valid.")
    }
    let payload = String(query[..<range.lowerBound]) + String(decoding: r.body, as: UTF8.self)
    let expected = MockCrypto.hmacSHA256Hex(payload, secret: apiSecret)
    guard String(query[range.upperBound...]) == expected else {
      return error(-1022, "Signature for this request is not valid.")
    }
    return nil
  }

  // MARK: - Endpoints

  private func exchangeInfo() -> LoopbackReply {
    let rows = lock.withLock {
      _instruments.sorted { $0.key < $1.key }.map { s, i in
        "{\"symbol\":\"\(s)\",\"pair\":\"\(s)\",\"contractType\":\"PERPETUAL\",\"status\":\"TRADING\",\"quoteAsset\":\"USDT\",\"marginAsset\":\"USDT\",\"filters\":[{\"filterType\":\"PRICE_FILTER\",\"minPrice\":\"0.10\",\"maxPrice\":\"4529764\",\"tickSize\":\"\(i.tickSize)\"},{\"filterType\":\"LOT_SIZE\",\"minQty\":\"\(i.minQty)\",\"maxQty\":\"1000\",\"stepSize\":\"\(i.stepSize)\"},{\"filterType\":\"MARKET_LOT_SIZE\",\"minQty\":\"\(i.minQty)\",\"maxQty\":\"120\",\"stepSize\":\"\(i.stepSize)\"},{\"filterType\":\"MIN_NOTIONAL\",\"notional\":\"\(i.minNotional)\"}]}"
      }
    }
    return reply(
      200,
      "{\"timezone\":\"UTC\",\"serverTime\":\(lock.withLock { now() }),\"rateLimits\":[{\"rateLimitType\":\"REQUEST_WEIGHT\",\"interval\":\"MINUTE\",\"intervalNum\":1,\"limit\":2400}],\"symbols\":[\(rows.joined(separator: ","))]}"
    )
  }

  static let conditionalTypes: Set<String> = [
    "STOP_MARKET", "TAKE_PROFIT_MARKET", "STOP", "TAKE_PROFIT", "TRAILING_STOP_MARKET",
  ]

  private func placeOrder(_ q: [String: String]) -> LoopbackReply {
    guard let type = q["type"], let symbol = q["symbol"], let side = q["side"] else {
      return error(-1102, "Mandatory parameter was not sent, was empty/null, or malformed.")
    }
    if Self.conditionalTypes.contains(type) {
      return error(
        -4120,
        "Order type not supported for this endpoint. Please use the Algo Order API endpoints instead."
      )
    }
    if type == "LIMIT" { return placeLimit(q) }
    guard type == "MARKET", let qty = q["quantity"].flatMap(Double.init), qty > 0 else {
      return error(-1116, "Invalid orderType.")
    }
    let reduceOnly = q["reduceOnly"] == "true"
    return lock.withLock {
      let id = q["newClientOrderId"] ?? "auto\(ids + 1)"
      if _orders.contains(where: { $0.clientOrderId == id }) {
        return error(-4116, "ClientOrderId is duplicated.")
      }
      guard let mark = _marks[symbol], let rules = _instruments[symbol] else {
        return error(-1121, "Invalid symbol.")
      }
      if !reduceOnly, qty * mark < rules.minNotional {
        return error(
          -4164,
          "Order's notional must be no smaller than \(rules.minNotional) (unless you choose reduce only)."
        )
      }
      let held = _positions[symbol]?.amount ?? 0
      if reduceOnly, held == 0 || (held > 0) == (side == "BUY") {
        return error(-2022, "ReduceOnly Order is rejected.")
      }
      let o = execute(
        symbol: symbol, side: side, qty: reduceOnly ? min(qty, abs(held)) : qty, price: mark,
        clientID: id, reduceOnly: reduceOnly)
      return reply(200, orderJSON(o))
    }
  }

  /// Fills a market order at `price` (under the lock); a partial fill expires the rest.
  private func execute(
    symbol: String, side: String, qty: Double, price: Double, clientID: String, reduceOnly: Bool
  ) -> Order {
    ids += 1
    var filled = qty
    var status = "FILLED"
    if let partial = _partial[symbol], clientID.hasSuffix(partial.idSuffix) {
      _partial[symbol] = nil
      let step = _instruments[symbol]?.stepSize ?? 0.001
      filled = ((qty * partial.fraction) / step).rounded(.down) * step
      status = "EXPIRED"
    }
    let o = Order(
      orderId: ids, clientOrderId: clientID, symbol: symbol, side: side, qty: qty,
      executedQty: filled, avgPrice: filled > 0 ? price : 0, status: status, reduceOnly: reduceOnly,
      updateTime: now())
    _orders.append(o)
    let t = now()
    var commission = 0.0
    if filled > 0 {
      ids += 1
      commission = filled * price * takerFee
      _trades.append(
        Trade(
          id: ids, orderId: o.orderId, symbol: symbol, side: side, price: price, qty: filled,
          commission: commission, time: t))
    }
    _outbox.append(
      "{\"e\":\"ORDER_TRADE_UPDATE\",\"E\":\(t),\"T\":\(t),\"o\":{\"s\":\"\(symbol)\",\"c\":\"\(clientID)\",\"S\":\"\(side)\",\"o\":\"MARKET\",\"f\":\"GTC\",\"q\":\"\(qty)\",\"p\":\"0\",\"ap\":\"\(o.avgPrice)\",\"sp\":\"0\",\"x\":\"TRADE\",\"X\":\"\(status)\",\"i\":\(o.orderId),\"l\":\"\(filled)\",\"z\":\"\(filled)\",\"L\":\"\(price)\",\"N\":\"USDT\",\"n\":\"\(commission)\",\"T\":\(t),\"t\":\(filled > 0 ? ids : 0),\"m\":false,\"R\":\(reduceOnly),\"ps\":\"BOTH\",\"cp\":false}}"
    )
    position(
      symbol: symbol, side: side, filled: filled, price: price, fee: filled * price * takerFee)
    return o
  }

  /// A fill's effect on the position and the wallet (under the lock), with `ACCOUNT_UPDATE`.
  func position(symbol: String, side: String, filled: Double, price: Double, fee: Double) {
    let t = now()
    let signed = side == "BUY" ? filled : -filled
    let p = _positions[symbol] ?? (0, 0)
    let amount = p.amount + signed
    if p.amount != 0, (p.amount > 0) != (signed > 0) {
      _wallet += (price - p.entry) * min(abs(signed), abs(p.amount)) * (p.amount > 0 ? 1 : -1)
    }
    _wallet -= fee
    // Binance's entry price: a fill that adds to the position averages in; a reduce keeps it.
    let adds = p.amount == 0 || (p.amount > 0) == (signed > 0)
    let entry =
      adds && abs(amount) > 0 ? (abs(p.amount) * p.entry + filled * price) / abs(amount) : p.entry
    _positions[symbol] = (abs(amount) < 1e-12 ? 0 : amount, entry)
    if amount == 0 {
      // A closed position takes its close-all conditional orders with it (EXPIRED: cancelled by
      // the system, as the ALGO_UPDATE documentation describes).
      for i in _algos.indices where _algos[i].symbol == symbol && _algos[i].status == "NEW" {
        _algos[i].status = "EXPIRED"
        emitAlgo(_algos[i])
      }
    }
    let held = _positions[symbol]?.amount ?? 0
    _outbox.append(
      "{\"e\":\"ACCOUNT_UPDATE\",\"E\":\(t),\"T\":\(t),\"a\":{\"m\":\"ORDER\",\"B\":[{\"a\":\"USDT\",\"wb\":\"\(_wallet)\",\"cw\":\"\(_wallet)\",\"bc\":\"0\"}],\"P\":[{\"s\":\"\(symbol)\",\"pa\":\"\(held)\",\"ep\":\"\(_positions[symbol]?.entry ?? 0)\",\"cr\":\"0\",\"up\":\"0\",\"mt\":\"isolated\",\"iw\":\"0\",\"ps\":\"BOTH\"}]}}"
    )
  }

  private func placeAlgo(_ q: [String: String]) -> LoopbackReply {
    guard q["algoType"] == "CONDITIONAL", let symbol = q["symbol"], let side = q["side"],
      let type = q["type"], Self.conditionalTypes.contains(type),
      let trigger = q["triggerPrice"].flatMap(Double.init)
    else {
      return error(-1102, "Mandatory parameter was not sent, was empty/null, or malformed.")
    }
    return lock.withLock {
      let id = q["clientAlgoId"] ?? "algo\(ids + 1)"
      if _algos.contains(where: { $0.clientAlgoId == id }) {
        return error(-4116, "ClientOrderId is duplicated.")
      }
      guard let mark = _marks[symbol] else { return error(-1121, "Invalid symbol.") }
      // A sell stop at or above the mark (or a buy stop at or below it) would trigger at once;
      // take-profits the other way round.
      let sellStopCrossed = side == "SELL" ? trigger >= mark : trigger <= mark
      let crossed = type.hasPrefix("STOP") ? sellStopCrossed : !sellStopCrossed
      if crossed { return error(-2021, "Order would immediately trigger.") }
      ids += 1
      let a = AlgoOrder(
        algoId: ids, clientAlgoId: id, symbol: symbol, side: side, type: type,
        triggerPrice: trigger, status: "NEW")
      _algos.append(a)
      emitAlgo(a)
      return reply(200, algoJSON(a))
    }
  }

  func orderJSON(_ o: Order) -> String {
    "{\"orderId\":\(o.orderId),\"clientOrderId\":\"\(o.clientOrderId)\",\"symbol\":\"\(o.symbol)\",\"side\":\"\(o.side)\",\"positionSide\":\"BOTH\",\"type\":\"\(o.type)\",\"origType\":\"\(o.type)\",\"price\":\"\(o.price)\",\"status\":\"\(o.status)\",\"origQty\":\"\(o.qty)\",\"executedQty\":\"\(o.executedQty)\",\"avgPrice\":\"\(o.avgPrice)\",\"cumQuote\":\"\(o.executedQty * o.avgPrice)\",\"reduceOnly\":\(o.reduceOnly),\"closePosition\":false,\"timeInForce\":\"\(o.timeInForce)\",\"updateTime\":\(o.updateTime)}"
  }

  private func algoJSON(_ a: AlgoOrder) -> String {
    "{\"algoId\":\(a.algoId),\"clientAlgoId\":\"\(a.clientAlgoId)\",\"algoType\":\"CONDITIONAL\",\"orderType\":\"\(a.type)\",\"symbol\":\"\(a.symbol)\",\"side\":\"\(a.side)\",\"positionSide\":\"BOTH\",\"timeInForce\":\"GTC\",\"quantity\":\"0\",\"algoStatus\":\"\(a.status)\",\"triggerPrice\":\"\(a.triggerPrice)\",\"price\":\"0\",\"workingType\":\"MARK_PRICE\",\"closePosition\":true,\"reduceOnly\":false,\"priceProtect\":false}"
  }
}
