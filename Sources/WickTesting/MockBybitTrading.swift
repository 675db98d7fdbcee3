import Foundation
import WickCore
import WickData

/// A loopback Bybit v5 for the live venue's tests: signed REST (market time, instruments,
/// order create/realtime/history, position list and trading-stop, execution list) and the
/// private WebSocket (`/v5/private`: auth, subscribe, ping; `order`, `execution`, `position`),
/// answering in the documented shapes (`retCode`/`retMsg` envelopes, `result.list`, numbers as
/// strings, the server's own time).
///
/// It is strict where Bybit is: signatures and the recv window are checked against its own
/// clock (`clockSkewMs` from ours), an `orderLinkId` is accepted once, quantities must sit on
/// the lot step. And it is hostile on request: faults on order create (429, 5xx or a hang
/// *after* the order was placed, malformed answers), partial fills, a refused trading-stop,
/// stops not attached, duplicate, reordered or dropped stream messages.
///
///     let bybit = try MockBybitTrading()
///     bybit.orderCreateFaults = [.processThenHang(3)]   // placed, but the answer never comes in time
///     // BybitRESTClient(baseURL: bybit.baseURL, ...), BybitPrivateStream(url: bybit.wsURL, ...)
public final class MockBybitTrading: @unchecked Sendable {
  /// One injected misbehaviour of an endpoint.
  public enum Fault: Sendable {
    /// An HTTP error before processing (429 with Retry-After, or 5xx), nothing done.
    case status(Int, retryAfter: Int? = nil)
    /// HTTP 200 with this retCode, nothing done (10006 rate limit, 10001 refused...).
    case retCode(Int, String)
    /// A body that is not JSON, nothing done.
    case malformed
    /// retCode 0 with this `result` (valid JSON, not the documented shape), nothing done.
    case result(String)
    /// Processed (the order exists), then answered with this HTTP status.
    case processThenStatus(Int)
    /// Processed, then the answer comes after this many seconds (past the client's timeout).
    case processThenHang(Double)
    /// Processed, then the connection is reset.
    case processThenReset
    /// Processed, then a body that is not JSON.
    case processThenMalformed
    /// Nothing happens for this many seconds, then the request is processed and answered.
    case hangThenProcess(Double)
    /// Nothing happens for this many seconds, then the connection is reset unprocessed: as far
    /// as the exchange can tell, a client killed meanwhile never sent it.
    case swallow(Double)
    /// No fault: answered normally (to fault a later request of the queue, e.g. a pair's second leg).
    case pass
  }

  public struct Instrument: Sendable {
    public var tickSize: Double
    public var qtyStep: Double
    public var minOrderQty: Double
    public var minNotional: Double
    public init(tickSize: Double, qtyStep: Double, minOrderQty: Double, minNotional: Double) {
      self.tickSize = tickSize
      self.qtyStep = qtyStep
      self.minOrderQty = minOrderQty
      self.minNotional = minNotional
    }
  }

  public struct Order: Sendable {
    public var orderId: String
    public var orderLinkId: String
    public var symbol: String
    public var side: String
    public var qty: Double
    public var cumExecQty: Double
    public var cumExecValue: Double
    public var cumExecFee: Double
    public var status: String
    public var reduceOnly: Bool
    public var stopLoss: Double?
    public var takeProfit: Double?
    public var createdTime: Int64
    public var updatedTime: Int64
    /// A limit order's price (nil: market).
    public var price: Double? = nil
    public var orderType = "Market"
    public var timeInForce = "IOC"
    public var rejectReason = "EC_NoError"
  }

  public struct Position: Sendable {
    public var side: String  // "Buy", "Sell" or "" (flat)
    public var size: Double
    public var avgPrice: Double
    public var stopLoss: Double?
    public var takeProfit: Double?
    public var updatedTime: Int64
  }

  public struct Execution: Sendable {
    public var execId: String
    public var orderId: String
    public var orderLinkId: String
    public var symbol: String
    public var side: String
    public var price: Double
    public var qty: Double
    public var fee: Double
    public var time: Int64
    /// "Trade", or "Funding" for a settlement (fee: what the position paid; price: the mark).
    public var execType = "Trade"
    public var feeRate: Double? = nil
  }

  public let apiKey: String
  public let apiSecret: String
  let lock = NSLock()
  private var server: LoopbackServer!

  // Configuration (set before or during a test).
  private var _skew: Int64 = 0
  private var _instruments: [String: Instrument] = [
    "BTCUSDT": Instrument(tickSize: 0.1, qtyStep: 0.001, minOrderQty: 0.001, minNotional: 5),
    "ETHUSDT": Instrument(tickSize: 0.01, qtyStep: 0.01, minOrderQty: 0.01, minNotional: 5),
  ]
  /// The price market orders fill at (the last close once candles are pushed).
  var markPrices: [String: Double] = ["BTCUSDT": 60_000, "ETHUSDT": 3_000]
  private var _orderCreateFaults: [Fault] = []
  private var _tradingStopFaults: [Fault] = []
  private var _readFaults: [String: [Fault]] = [:]
  private var _partialFill: (fraction: Double, delay: Double)?
  private var _partialCancel: [String: Double] = [:]
  private var _attachStops = true
  private var _restingFills: [Double] = []
  let takerFee = 0.00055
  let makerFee = 0.0002

  // Exchange state.
  private var _orders: [Order] = []
  var _positions: [String: Position] = [:]
  var _executions: [Execution] = []
  private var _orderCreateRequests = 0
  private var _orderCreateLinkIDs: [String] = []
  private var _orderCreateBodies: [(linkID: String, body: String)] = []
  private var _requests: [String] = []
  private var lastUpdate: Int64 = 0
  private var ids = 0
  var stream = StreamState()
  private var leverages: [String: Double] = [:]
  private var _hedgeMode: Set<String> = []
  /// Symbols whose account position mode is hedge (two sides) rather than one-way.
  public var hedgeModeSymbols: Set<String> {
    get { lock.withLock { _hedgeMode } }
    set { lock.withLock { _hedgeMode = newValue } }
  }
  var market = MarketState()
  var account = AccountState()

  public init(apiKey: String = "mock-key-5f2a", apiSecret: String = "mock-secret-9d41c07b") throws {
    self.apiKey = apiKey
    self.apiSecret = apiSecret
    server = try LoopbackServer { [weak self] request in
      guard let self else { return .reset }
      return self.route(request)
    }
  }

  deinit { stop() }

  public func stop() {
    server.stop()
    dropStreams()
  }

  public var baseURL: String { "http://127.0.0.1:\(server.port)" }
  /// The WebSocket base; the private stream is at `wsURL + "/v5/private"`.
  public var wsURL: String { "ws://127.0.0.1:\(server.port)" }

  // MARK: - Test controls

  /// The exchange's clock minus ours, in ms (hours, if a test likes).
  public var clockSkewMs: Int64 {
    get { lock.withLock { _skew } }
    set { lock.withLock { _skew = newValue } }
  }
  public var serverNow: Int64 { lock.withLock { now() } }
  /// Moves the market: resting limit orders it trades *through* fill (at their price, maker).
  public func setMarkPrice(_ symbol: String, _ price: Double) {
    lock.withLock {
      markPrices[symbol] = price
      sweepResting(symbol)
    }
  }
  /// Each trade-through of a resting limit fills only this fraction of what is left (one
  /// fraction per trade-through, in order; none left: the whole rest).
  public func restingFills(_ fractions: [Double]) {
    lock.withLock { _restingFills = fractions }
  }
  public func setInstrument(_ symbol: String, _ i: Instrument) {
    lock.withLock { _instruments[symbol] = i }
  }
  /// Faults for the next order-create requests, one per request, in order.
  public var orderCreateFaults: [Fault] {
    get { lock.withLock { _orderCreateFaults } }
    set { lock.withLock { _orderCreateFaults = newValue } }
  }
  /// Faults for the next trading-stop requests.
  public var tradingStopFaults: [Fault] {
    get { lock.withLock { _tradingStopFaults } }
    set { lock.withLock { _tradingStopFaults = newValue } }
  }
  /// Faults for the next GETs of a path ("/v5/position/list", ...).
  public func injectReadFaults(_ path: String, _ faults: [Fault]) {
    lock.withLock { _readFaults[path, default: []] += faults }
  }
  /// Market orders fill `fraction` at once and the rest `delay` seconds later.
  public func partialFills(fraction: Double, delay: Double) {
    lock.withLock { _partialFill = (fraction, delay) }
  }
  /// The next market order on `symbol` fills only `fraction` and the rest is cancelled
  /// (`PartiallyFilledCanceled`, as Bybit ends a market order its slippage limit stops).
  public func partialFillThenCancel(_ symbol: String, fraction: Double) {
    lock.withLock { _partialCancel[symbol] = fraction }
  }
  /// false: stopLoss/takeProfit sent with an order are not attached to the position.
  public var attachStopsOnOrder: Bool {
    get { lock.withLock { _attachStops } }
    set { lock.withLock { _attachStops = newValue } }
  }

  public var orders: [Order] { lock.withLock { _orders } }
  public var executions: [Execution] { lock.withLock { _executions } }
  public func position(_ symbol: String) -> Position? {
    lock.withLock { _positions[symbol].flatMap { $0.size > 0 ? $0 : nil } }
  }
  /// Order-create requests received (including refused and faulted ones).
  public var orderCreateRequests: Int { lock.withLock { _orderCreateRequests } }
  /// The orderLinkId of every order-create request, in order (faulted and refused ones too).
  public var orderCreateLinkIDs: [String] { lock.withLock { _orderCreateLinkIDs } }
  /// Every order/create request's orderLinkId and body, in arrival order (a resend under the same
  /// id must say the same thing).
  public var orderCreateBodies: [(linkID: String, body: String)] {
    lock.withLock { _orderCreateBodies }
  }
  /// "METHOD path" of every request, in order.
  public var requests: [String] { lock.withLock { _requests } }

  /// A position opened outside Wick (by hand on the website, say).
  public func openForeignPosition(_ symbol: String, side: String, size: Double) {
    lock.withLock {
      let t = tick()
      _positions[symbol] = Position(
        side: side, size: size, avgPrice: markPrices[symbol] ?? 1, stopLoss: nil, takeProfit: nil,
        updatedTime: t)
      publishPosition(symbol)
    }
  }

  /// The stop vanishes from the position (cancelled by hand).
  public func removeStop(_ symbol: String) {
    lock.withLock {
      _positions[symbol]?.stopLoss = nil
      _positions[symbol]?.updatedTime = tick()
      publishPosition(symbol)
    }
  }

  /// The price reaches the stop: the exchange closes the position at the stop price.
  public func triggerStop(_ symbol: String) {
    lock.withLock {
      guard let p = _positions[symbol], p.size > 0, let stop = p.stopLoss else { return }
      var o = newOrder(
        symbol: symbol, side: p.side == "Buy" ? "Sell" : "Buy", qty: p.size, linkID: "",
        reduceOnly: true)
      o.status = "New"
      _orders.append(o)
      fill(orderIndex: _orders.count - 1, qty: p.size, price: stop)
    }
  }

  // MARK: - Clock and ids (under the lock)

  func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + _skew }

  /// Strictly increasing update times, so "newer" is well defined for the stream.
  func tick() -> Int64 {
    lastUpdate = max(lastUpdate + 1, now())
    return lastUpdate
  }

  func nextID(_ prefix: String) -> String {
    ids += 1
    return "\(prefix)-\(String(format: "%08d", ids))-mock"
  }

  // MARK: - Routing

  private func route(_ r: LoopbackRequest) -> LoopbackReply {
    if r.path == "/v5/private" { return .webSocket { [weak self] ws in self?.serveStream(ws) } }
    if r.path == "/v5/public/linear" {
      return .webSocket { [weak self] ws in self?.servePublicStream(ws) }
    }
    let fault: Fault? = lock.withLock {
      _requests.append("\(r.method) \(r.path)")
      switch r.path {
      case "/v5/order/create":
        _orderCreateRequests += 1
        if let doc = try? JSONDocument(r.body),
          case .string(let id)? = doc.member(doc.root, "orderLinkId")
        {
          _orderCreateLinkIDs.append(doc.text(id))
          _orderCreateBodies.append((doc.text(id), String(decoding: r.body, as: UTF8.self)))
        }
        return _orderCreateFaults.isEmpty ? nil : _orderCreateFaults.removeFirst()
      case "/v5/position/trading-stop":
        return _tradingStopFaults.isEmpty ? nil : _tradingStopFaults.removeFirst()
      default:
        guard var queue = _readFaults[r.path], !queue.isEmpty else { return nil }
        let f = queue.removeFirst()
        _readFaults[r.path] = queue
        return f
      }
    }
    switch fault {
    case .status(let code, let retryAfter)?:
      return .http(
        status: code, headers: retryAfter.map { [("Retry-After", "\($0)")] } ?? [],
        body: Array("{\"retCode\":\(code),\"retMsg\":\"injected HTTP \(code)\"}".utf8))
    case .retCode(let code, let message)?:
      return envelope(code, message, "{}")
    case .malformed?:
      return .http(status: 200, headers: [], body: Array("<html>bad gateway".utf8))
    case .result(let json)?:
      return envelope(0, "OK", json)
    case .hangThenProcess(let seconds)?:
      Thread.sleep(forTimeInterval: seconds)
    case .swallow(let seconds)?:
      Thread.sleep(forTimeInterval: seconds)
      return .reset
    default: break
    }
    let reply = answer(r)
    switch fault {
    case .processThenStatus(let code)?:
      return .http(status: code, headers: [], body: Array("upstream error".utf8))
    case .processThenHang(let seconds)?:
      Thread.sleep(forTimeInterval: seconds)
      return reply
    case .processThenReset?:
      return .reset
    case .processThenMalformed?:
      return .http(
        status: 200, headers: [], body: Array("{\"retCode\":0,\"result\":{\"orderId\":".utf8))
    default:
      return reply
    }
  }

  func envelope(_ code: Int, _ message: String, _ result: String) -> LoopbackReply {
    let t = lock.withLock { now() }
    return .http(
      status: 200, headers: [],
      body: Array(
        "{\"retCode\":\(code),\"retMsg\":\(quote(message)),\"result\":\(result),\"retExtInfo\":{},\"time\":\(t)}"
          .utf8))
  }

  private func answer(_ r: LoopbackRequest) -> LoopbackReply {
    switch (r.method, r.path) {
    case ("GET", "/v5/market/time"):
      let t = lock.withLock { now() }
      return envelope(0, "OK", "{\"timeSecond\":\"\(t / 1000)\",\"timeNano\":\"\(t)000000\"}")
    case ("GET", "/v5/market/instruments-info"):
      return instrumentsInfo(r.query)
    case ("GET", "/v5/market/kline"):
      return klines(r.query)
    case ("GET", "/v5/market/tickers"):
      return tickers(r.query)
    default: break
    }
    if let refusal = authenticate(r) { return refusal }
    let body = r.method == "POST" ? (try? JSONDocument(r.body)) : nil
    if r.method == "POST", body == nil { return envelope(10001, "request body is not JSON", "{}") }
    switch (r.method, r.path) {
    case ("POST", "/v5/order/create"): return createOrder(body!)
    case ("POST", "/v5/order/cancel"): return cancelOrder(body!)
    case ("POST", "/v5/position/trading-stop"): return tradingStop(body!)
    case ("POST", "/v5/position/set-leverage"): return setLeverage(body!)
    case ("GET", "/v5/order/realtime"): return listOrders(r.query, history: false)
    case ("GET", "/v5/order/history"): return listOrders(r.query, history: true)
    case ("GET", "/v5/position/list"): return listPositions(r.query)
    case ("GET", "/v5/execution/list"): return listExecutions(r.query)
    case ("GET", "/v5/account/wallet-balance"): return walletBalance(r.query)
    case ("GET", "/v5/user/query-api"): return queryAPIKey()
    case ("GET", "/v5/account/info"): return accountInfo()
    default:
      return .http(
        status: 404, headers: [], body: Array("{\"retCode\":404,\"retMsg\":\"Not Found\"}".utf8))
    }
  }

  /// Bybit's checks, in its order: key, timestamp in the recv window, signature.
  private func authenticate(_ r: LoopbackRequest) -> LoopbackReply? {
    guard let key = r.headers["x-bapi-api-key"], key == apiKey else {
      return envelope(10003, "API key is invalid.", "{}")
    }
    let window = r.headers["x-bapi-recv-window"].flatMap(Int64.init) ?? 5000
    let serverTime = lock.withLock { now() }
    guard let ts = r.headers["x-bapi-timestamp"].flatMap(Int64.init),
      serverTime - window <= ts, ts < serverTime + 1000
    else {
      return envelope(
        10002,
        "invalid request, please check your server timestamp or recv_window param. req_timestamp[\(r.headers["x-bapi-timestamp"] ?? "")],server_timestamp[\(serverTime)],recv_window[\(window)]",
        "{}")
    }
    let payload = r.method == "GET" ? r.queryString : String(decoding: r.body, as: UTF8.self)
    let origin = "\(ts)\(key)\(window)\(payload)"
    let expected = Self.hmac(origin, secret: apiSecret)
    guard r.headers["x-bapi-sign"] == expected else {
      // Bybit quotes the whole signed string back, key included: clients must scrub it.
      return envelope(10004, "error sign! origin_string[\(origin)]", "{}")
    }
    return nil
  }

  static func hmac(_ message: String, secret: String) -> String {
    MockCrypto.hmacSHA256Hex(message, secret: secret)
  }

  // MARK: - Endpoints

  private func instrumentsInfo(_ q: [String: String]) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      _instruments.filter { q["symbol"] == nil || q["symbol"] == $0.key }.sorted { $0.key < $1.key }
        .map { symbol, i in
          """
          {"symbol":"\(symbol)","contractType":"LinearPerpetual","status":"Trading","baseCoin":"\(symbol.dropLast(4))","quoteCoin":"USDT","settleCoin":"USDT",\
          "priceScale":"\(decimals(i.tickSize))","leverageFilter":{"minLeverage":"1","maxLeverage":"100.00","leverageStep":"0.01"},\
          "priceFilter":{"minPrice":"\(fmt(i.tickSize, i.tickSize))","maxPrice":"1999999.80","tickSize":"\(fmt(i.tickSize, i.tickSize))"},\
          "lotSizeFilter":{"maxOrderQty":"1190.000","minOrderQty":"\(fmt(i.minOrderQty, i.qtyStep))","qtyStep":"\(fmt(i.qtyStep, i.qtyStep))",\
          "postOnlyMaxOrderQty":"1190.000","maxMktOrderQty":"500.000","minNotionalValue":"\(fmt(i.minNotional, 1))"}}
          """
        }
    }
    return envelope(
      0, "OK",
      "{\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))],\"nextPageCursor\":\"\"}")
  }

  /// A string field of a request body.
  private func text(_ doc: JSONDocument, _ key: String) -> String? {
    guard case .string(let r)? = doc.member(doc.root, key) else { return nil }
    return doc.text(r)
  }

  private func createOrder(_ doc: JSONDocument) -> LoopbackReply {
    func field(_ k: String) -> String? { text(doc, k) }
    let reduceOnly: Bool = {
      if case .bool(let b)? = doc.member(doc.root, "reduceOnly") { return b }
      return false
    }()
    let orderType = field("orderType")
    let limitPrice = field("price").flatMap(Double.init)
    let timeInForce = field("timeInForce") ?? (orderType == "Limit" ? "GTC" : "IOC")
    guard field("category") == "linear", let symbol = field("symbol"), let side = field("side"),
      side == "Buy" || side == "Sell", orderType == "Market" || orderType == "Limit",
      let qtyText = field("qty"), let qty = Double(qtyText), qty > 0
    else {
      return envelope(
        10001,
        "params error: category, symbol, side, orderType (Market, Limit) and qty are required",
        "{}")
    }
    if orderType == "Limit" {
      guard let limitPrice, limitPrice > 0, ["GTC", "PostOnly", "IOC"].contains(timeInForce) else {
        return envelope(
          10001, "params error: a Limit order needs a price and timeInForce GTC, PostOnly or IOC",
          "{}")
      }
      return createLimitOrder(
        doc, symbol: symbol, side: side, qty: qty, price: limitPrice, timeInForce: timeInForce,
        reduceOnly: reduceOnly)
    }
    let linkID = field("orderLinkId") ?? ""
    let result: (Int, String, String) = lock.withLock {
      guard let inst = _instruments[symbol], let mark = markPrices[symbol] else {
        return (10001, "params error: symbol invalid", "{}")
      }
      if !linkID.isEmpty, _orders.contains(where: { $0.orderLinkId == linkID }) {
        return (BybitCodes.duplicateLinkID, "OrderLinkedID is duplicate", "{}")
      }
      let steps = qty / inst.qtyStep
      guard abs(steps - steps.rounded()) < 1e-6, qty >= inst.minOrderQty - 1e-12 else {
        return (10001, "params error: The number of contracts exceeds minimum limit allowed", "{}")
      }
      var fillQty = qty
      if reduceOnly {
        guard let p = _positions[symbol], p.size > 0, p.side != side else {
          return (
            BybitCodes.reduceOnlyNotSatisfied,
            "current position is zero, cannot fix reduce-only order qty", "{}"
          )
        }
        fillQty = min(qty, p.size)
      } else if qty * mark < inst.minNotional {
        return (
          110094, "Order does not meet minimum order value \(fmt(inst.minNotional, 1))USDT", "{}"
        )
      }
      var o = newOrder(symbol: symbol, side: side, qty: qty, linkID: linkID, reduceOnly: reduceOnly)
      o.stopLoss = field("stopLoss").flatMap(Double.init)
      o.takeProfit = field("takeProfit").flatMap(Double.init)
      _orders.append(o)
      publishOrder(_orders.count - 1)
      let index = _orders.count - 1
      if let fraction = _partialCancel.removeValue(forKey: symbol), !reduceOnly {
        let part = max(
          inst.qtyStep, ((fillQty * fraction) / inst.qtyStep).rounded(.down) * inst.qtyStep)
        fill(orderIndex: index, qty: min(part, fillQty), price: mark)
        if _orders[index].status != "Filled" {
          _orders[index].status = "PartiallyFilledCanceled"
          _orders[index].updatedTime = tick()
          publishOrder(index)
        }
      } else if let partial = _partialFill, !reduceOnly {
        let first = max(
          inst.qtyStep, ((fillQty * partial.fraction) / inst.qtyStep).rounded(.down) * inst.qtyStep)
        fill(orderIndex: index, qty: min(first, fillQty), price: mark)
        if first < fillQty {
          let rest = fillQty - first
          let delay = partial.delay
          Thread { [weak self] in
            Thread.sleep(forTimeInterval: delay)
            guard let self else { return }
            self.lock.withLock {
              self.fill(orderIndex: index, qty: rest, price: self.markPrices[symbol] ?? mark)
            }
          }.start()
        }
      } else {
        fill(orderIndex: index, qty: fillQty, price: mark)
      }
      return (0, "OK", "{\"orderId\":\"\(o.orderId)\",\"orderLinkId\":\(quote(linkID))}")
    }
    return envelope(result.0, result.1, result.2)
  }

  /// A Limit order: one that would cross the market at once fills as a taker (GTC, IOC), or,
  /// PostOnly, is accepted and at once cancelled with rejectReason EC_PostOnlyWillTakeLiquidity
  /// (as Bybit does: retCode 0, the refusal shows in the order's state); otherwise it rests
  /// until the market trades through it (`setMarkPrice`) or it is cancelled.
  private func createLimitOrder(
    _ doc: JSONDocument, symbol: String, side: String, qty: Double, price: Double,
    timeInForce: String, reduceOnly: Bool
  ) -> LoopbackReply {
    let linkID = text(doc, "orderLinkId") ?? ""
    let result: (Int, String, String) = lock.withLock {
      guard let inst = _instruments[symbol], let mark = markPrices[symbol] else {
        return (10001, "params error: symbol invalid", "{}")
      }
      if !linkID.isEmpty, _orders.contains(where: { $0.orderLinkId == linkID }) {
        return (BybitCodes.duplicateLinkID, "OrderLinkedID is duplicate", "{}")
      }
      let steps = qty / inst.qtyStep
      let ticks = price / inst.tickSize
      guard abs(steps - steps.rounded()) < 1e-6, qty >= inst.minOrderQty - 1e-12,
        abs(ticks - ticks.rounded()) < 1e-6
      else {
        return (10001, "params error: qty or price is not a multiple of its step", "{}")
      }
      if !reduceOnly, qty * price < inst.minNotional {
        return (
          110094, "Order does not meet minimum order value \(fmt(inst.minNotional, 1))USDT", "{}"
        )
      }
      var o = newOrder(symbol: symbol, side: side, qty: qty, linkID: linkID, reduceOnly: reduceOnly)
      o.price = price
      o.orderType = "Limit"
      o.timeInForce = timeInForce
      o.stopLoss = text(doc, "stopLoss").flatMap(Double.init)
      o.takeProfit = text(doc, "takeProfit").flatMap(Double.init)
      let crosses = side == "Buy" ? price >= mark : price <= mark
      if crosses, timeInForce == "PostOnly" {
        o.status = "Cancelled"
        o.rejectReason = "EC_PostOnlyWillTakeLiquidity"
      }
      _orders.append(o)
      let index = _orders.count - 1
      publishOrder(index)
      if crosses, timeInForce != "PostOnly" {
        fill(orderIndex: index, qty: qty, price: mark)
      } else if timeInForce == "IOC" {
        _orders[index].status = "Cancelled"
        _orders[index].updatedTime = tick()
        publishOrder(index)
      }
      return (0, "OK", "{\"orderId\":\"\(o.orderId)\",\"orderLinkId\":\(quote(linkID))}")
    }
    return envelope(result.0, result.1, result.2)
  }

  /// Resting limit orders of `symbol` the mark has traded through fill at their price (maker),
  /// each by the next `restingFills` fraction of what is left, else in full.
  func sweepResting(_ symbol: String) {
    guard let mark = markPrices[symbol] else { return }
    for i in _orders.indices {
      let o = _orders[i]
      guard o.symbol == symbol, o.orderType == "Limit", let price = o.price, !isFinal(o.status),
        o.side == "Buy" ? mark < price : mark > price
      else { continue }
      let step = _instruments[symbol]?.qtyStep ?? 1e-9
      let left = o.qty - o.cumExecQty
      var part = left
      if !_restingFills.isEmpty {
        let f = _restingFills.removeFirst()
        part = min(left, max(step, ((left * f) / step + 1e-9).rounded(.down) * step))
      }
      fill(orderIndex: i, qty: part, price: price, feeRate: makerFee)
    }
  }

  /// POST /v5/order/cancel: only a New or PartiallyFilled order can be cancelled; anything else
  /// (unknown, filled, already cancelled) is 110001.
  private func cancelOrder(_ doc: JSONDocument) -> LoopbackReply {
    guard text(doc, "category") == "linear", let symbol = text(doc, "symbol"),
      text(doc, "orderId") != nil || text(doc, "orderLinkId") != nil
    else {
      return envelope(
        10001, "params error: category, symbol and orderId or orderLinkId are required", "{}")
    }
    let result: (Int, String, String) = lock.withLock {
      let id = text(doc, "orderId")
      let link = text(doc, "orderLinkId")
      guard
        let i = _orders.firstIndex(where: { o in
          o.symbol == symbol && (id.map { o.orderId == $0 } ?? (o.orderLinkId == link))
        }), !isFinal(_orders[i].status)
      else { return (BybitCodes.orderNotExists, "order not exists or too late to cancel", "{}") }
      _orders[i].status = _orders[i].cumExecQty > 0 ? "PartiallyFilledCanceled" : "Cancelled"
      _orders[i].updatedTime = tick()
      publishOrder(i)
      let o = _orders[i]
      return (0, "OK", "{\"orderId\":\"\(o.orderId)\",\"orderLinkId\":\(quote(o.orderLinkId))}")
    }
    return envelope(result.0, result.1, result.2)
  }

  func newOrder(symbol: String, side: String, qty: Double, linkID: String, reduceOnly: Bool)
    -> Order
  {
    let t = tick()
    return Order(
      orderId: nextID("o"), orderLinkId: linkID, symbol: symbol, side: side, qty: qty,
      cumExecQty: 0,
      cumExecValue: 0, cumExecFee: 0, status: "New", reduceOnly: reduceOnly, stopLoss: nil,
      takeProfit: nil, createdTime: t, updatedTime: t)
  }

  /// One execution of an order: updates the order, the position and the stream.
  func fill(orderIndex i: Int, qty: Double, price: Double, feeRate: Double? = nil) {
    var o = _orders[i]
    let t = tick()
    let fee = qty * price * (feeRate ?? takerFee)
    o.cumExecQty += qty
    o.cumExecValue += qty * price
    o.cumExecFee += fee
    o.updatedTime = t
    let step = _instruments[o.symbol]?.qtyStep ?? 1e-9
    o.status = o.cumExecQty >= o.qty - step / 2 || o.reduceOnly ? "Filled" : "PartiallyFilled"
    _orders[i] = o
    let e = Execution(
      execId: nextID("e"), orderId: o.orderId, orderLinkId: o.orderLinkId, symbol: o.symbol,
      side: o.side,
      price: price, qty: qty, fee: fee, time: t, feeRate: feeRate)
    _executions.append(e)
    var p =
      _positions[o.symbol]
      ?? Position(side: "", size: 0, avgPrice: 0, stopLoss: nil, takeProfit: nil, updatedTime: t)
    // The wallet: fees always, realised PnL on the part of a fill that reduces the position.
    account.walletBalance -= fee
    if p.size > 0, p.side != o.side {
      account.walletBalance += (price - p.avgPrice) * min(qty, p.size) * (p.side == "Buy" ? 1 : -1)
    }
    if p.size == 0 || p.side == o.side {
      p.avgPrice = (p.avgPrice * p.size + price * qty) / (p.size + qty)
      p.size += qty
      p.side = o.side
      if _attachStops, !o.reduceOnly {
        if let sl = o.stopLoss { p.stopLoss = sl }
        if let tp = o.takeProfit { p.takeProfit = tp }
      }
    } else {
      p.size = max(0, p.size - qty)
      if p.size < step / 2 {
        // Bybit cancels the position's TP/SL with the position.
        p = Position(side: "", size: 0, avgPrice: 0, stopLoss: nil, takeProfit: nil, updatedTime: t)
      }
    }
    p.updatedTime = t
    _positions[o.symbol] = p
    publishOrder(i)
    publishExecution(e)
    publishPosition(o.symbol)
  }

  private func tradingStop(_ doc: JSONDocument) -> LoopbackReply {
    func field(_ k: String) -> String? { text(doc, k) }
    guard field("category") == "linear", let symbol = field("symbol"), field("tpslMode") != nil,
      doc.member(doc.root, "positionIdx") != nil
    else {
      return envelope(
        10001, "params error: category, symbol, tpslMode and positionIdx are required", "{}")
    }
    let result: (Int, String) = lock.withLock {
      guard var p = _positions[symbol], p.size > 0 else {
        return (10001, "can not set tp/sl/ts for zero position")
      }
      let mark = markPrices[symbol] ?? p.avgPrice
      let sl = field("stopLoss").flatMap(Double.init)
      let tp = field("takeProfit").flatMap(Double.init)
      if let sl, sl > 0, (p.side == "Buy" && sl >= mark) || (p.side == "Sell" && sl <= mark) {
        return (
          10001,
          "StopLoss:\(Int(sl * 1e4)) set for \(p.side) position should \(p.side == "Buy" ? "lower" : "higher") than base_price:\(Int(mark * 1e4))??LastPrice"
        )
      }
      if sl == p.stopLoss, tp == nil || tp == p.takeProfit {
        return (BybitCodes.notModified, "not modified")
      }
      if let sl { p.stopLoss = sl > 0 ? sl : nil }
      if let tp { p.takeProfit = tp > 0 ? tp : nil }
      p.updatedTime = tick()
      _positions[symbol] = p
      publishPosition(symbol)
      return (0, "OK")
    }
    return envelope(result.0, result.1, "{}")
  }

  private func setLeverage(_ doc: JSONDocument) -> LoopbackReply {
    guard case .string(let r)? = doc.member(doc.root, "symbol"),
      case .string(let b)? = doc.member(doc.root, "buyLeverage"), let buy = Double(doc.text(b)),
      case .string(let sl)? = doc.member(doc.root, "sellLeverage"), let sell = Double(doc.text(sl)),
      buy == sell, buy >= 1, buy <= 100
    else {
      return envelope(10001, "params error: symbol, buyLeverage = sellLeverage in [1, 100]", "{}")
    }
    let symbol = doc.text(r)
    let result: (Int, String) = lock.withLock {
      guard _instruments[symbol] != nil else { return (10001, "params error: symbol invalid") }
      if leverages[symbol] == buy { return (110043, "leverage not modified") }
      leverages[symbol] = buy
      return (0, "OK")
    }
    return envelope(result.0, result.1, "{}")
  }

  /// Leverage per symbol as set through the API.
  public func leverage(_ symbol: String) -> Double? { lock.withLock { leverages[symbol] } }

  private func listOrders(_ q: [String: String], history: Bool) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      var list = _orders
      if let id = q["orderId"] {
        list = list.filter { $0.orderId == id }
      } else if let link = q["orderLinkId"] {
        list = list.filter { $0.orderLinkId == link }
      } else if let symbol = q["symbol"] {
        list = list.filter { $0.symbol == symbol && (history || !isFinal($0.status)) }
      }
      return list.sorted { $0.createdTime > $1.createdTime }.map(orderJSON)
    }
    return envelope(
      0, "OK",
      "{\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))],\"nextPageCursor\":\"\"}")
  }

  private func listPositions(_ q: [String: String]) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      if let symbol = q["symbol"] {
        // Bybit lists a flat row for a symbol it is asked about.
        let p =
          _positions[symbol]
          ?? Position(
            side: "", size: 0, avgPrice: 0, stopLoss: nil, takeProfit: nil, updatedTime: 0)
        if _hedgeMode.contains(symbol) {
          // Hedge mode: one row per side, positionIdx 1 (buy side) and 2 (sell side).
          return [1, 2].map {
            positionJSON(symbol, p).replacingOccurrences(
              of: "\"positionIdx\":0", with: "\"positionIdx\":\($0)")
          }
        }
        return [positionJSON(symbol, p)]
      }
      return _positions.filter { $0.value.size > 0 }.sorted { $0.key < $1.key }.map {
        positionJSON($0.key, $0.value)
      }
    }
    return envelope(
      0, "OK",
      "{\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))],\"nextPageCursor\":\"\"}")
  }

  private func listExecutions(_ q: [String: String]) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      _executions.filter { e in
        (q["symbol"] == nil || q["symbol"] == e.symbol)
          && (q["orderLinkId"] == nil || q["orderLinkId"] == e.orderLinkId)
          && (q["execType"] == nil || q["execType"] == e.execType)
          && (q["startTime"].flatMap { Int64($0) }.map { e.time >= $0 } ?? true)
      }.reversed().map(executionJSON)
    }
    return envelope(
      0, "OK",
      "{\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))],\"nextPageCursor\":\"\"}")
  }

  func _ordersForStream(_ i: Int) -> Order { _orders[i] }
  func _positionForStream(_ symbol: String) -> Position {
    _positions[symbol]
      ?? Position(
        side: "", size: 0, avgPrice: 0, stopLoss: nil, takeProfit: nil, updatedTime: tick())
  }

  // MARK: - Shapes

  func isFinal(_ status: String) -> Bool {
    ["Filled", "Cancelled", "Rejected", "PartiallyFilledCanceled", "Deactivated"].contains(status)
  }

  func orderJSON(_ o: Order) -> String {
    let i = _instruments[o.symbol]
    let avg = o.cumExecQty > 0 ? fmt(o.cumExecValue / o.cumExecQty, i?.tickSize ?? 0.01) : ""
    return """
      {"orderId":"\(o.orderId)","orderLinkId":\(quote(o.orderLinkId)),"blockTradeId":"","symbol":"\(o.symbol)","price":"\(o.price.map { fmt($0, i?.tickSize ?? 0.01) } ?? "0")","qty":"\(fmt(o.qty, i?.qtyStep ?? 0.001))",\
      "side":"\(o.side)","isLeverage":"","positionIdx":0,"orderStatus":"\(o.status)","cancelType":"UNKNOWN","rejectReason":"\(o.rejectReason)",\
      "avgPrice":"\(avg)","leavesQty":"\(fmt(max(0, o.qty - o.cumExecQty), i?.qtyStep ?? 0.001))","leavesValue":"0",\
      "cumExecQty":"\(fmt(o.cumExecQty, i?.qtyStep ?? 0.001))","cumExecValue":"\(fmt(o.cumExecValue, 0.0001))","cumExecFee":"\(fmt(o.cumExecFee, 0.00000001))",\
      "timeInForce":"\(o.timeInForce)","orderType":"\(o.orderType)","stopOrderType":"","orderIv":"","triggerPrice":"",\
      "takeProfit":"\(o.takeProfit.map { fmt($0, i?.tickSize ?? 0.01) } ?? "")","stopLoss":"\(o.stopLoss.map { fmt($0, i?.tickSize ?? 0.01) } ?? "")",\
      "tpTriggerBy":"","slTriggerBy":"","triggerDirection":0,"triggerBy":"","lastPriceOnCreated":"","reduceOnly":\(o.reduceOnly),"closeOnTrigger":false,\
      "smpType":"None","smpGroup":0,"smpOrderId":"","tpslMode":"\(o.stopLoss == nil ? "" : "Full")","tpLimitPrice":"","slLimitPrice":"","placeType":"",\
      "createdTime":"\(o.createdTime)","updatedTime":"\(o.updatedTime)"}
      """
  }

  func positionJSON(_ symbol: String, _ p: Position) -> String {
    let i = _instruments[symbol]
    let tick = i?.tickSize ?? 0.01
    return """
      {"positionIdx":0,"riskId":1,"riskLimitValue":"2000000","symbol":"\(symbol)","side":"\(p.side)","size":"\(fmt(p.size, i?.qtyStep ?? 0.001))",\
      "avgPrice":"\(p.size > 0 ? fmt(p.avgPrice, tick) : "0")","positionValue":"\(fmt(p.size * p.avgPrice, 0.0001))","tradeMode":0,"autoAddMargin":0,\
      "positionStatus":"Normal","leverage":"\(formatNumber(leverages[symbol] ?? 10))","markPrice":"\(fmt(markPrices[symbol] ?? 0, tick))","liqPrice":"","bustPrice":"",\
      "positionIM":"0","positionMM":"0","tpslMode":"Full","takeProfit":"\(p.takeProfit.map { fmt($0, tick) } ?? "0")",\
      "stopLoss":"\(p.stopLoss.map { fmt($0, tick) } ?? "0")","trailingStop":"0","unrealisedPnl":"0","curRealisedPnl":"0","cumRealisedPnl":"0",\
      "adlRankIndicator":0,"isReduceOnly":false,"createdTime":"\(p.updatedTime)","updatedTime":"\(p.updatedTime)","seq":\(p.updatedTime)}
      """
  }

  func executionJSON(_ e: Execution) -> String {
    let i = _instruments[e.symbol]
    return """
      {"symbol":"\(e.symbol)","orderId":"\(e.orderId)","orderLinkId":\(quote(e.orderLinkId)),"side":"\(e.side)","orderPrice":"0","orderQty":"0",\
      "leavesQty":"0","createType":"CreateByUser","orderType":"Market","stopOrderType":"","execFee":"\(fmt(e.fee, 0.00000001))",\
      "execId":"\(e.execId)","execPrice":"\(fmt(e.price, i?.tickSize ?? 0.01))","execQty":"\(fmt(e.qty, i?.qtyStep ?? 0.001))","execType":"\(e.execType)",\
      "execValue":"\(fmt(e.qty * e.price, 0.0001))","execTime":"\(e.time)","isMaker":\(e.feeRate == makerFee),"feeRate":"\(e.feeRate ?? takerFee)","markPrice":"0","closedSize":"0","seq":\(e.time)}
      """
  }

  func decimals(_ step: Double) -> Int {
    var d = 0
    var s = step
    while d < 10, abs(s - s.rounded()) > 1e-9 {
      s *= 10
      d += 1
    }
    return d
  }

  func fmt(_ x: Double, _ step: Double) -> String { String(format: "%.\(decimals(step))f", x) }

  /// A JSON string literal (an echoed client value may hold any character).
  func quote(_ s: String) -> String { JSONText.quoted(s) }
}

/// Bybit's documented codes the mock answers with.
public enum BybitCodes {
  public static let duplicateLinkID = 110072
  public static let reduceOnlyNotSatisfied = 110017
  public static let notModified = 34040
  public static let orderNotExists = 110001
}
