import Foundation
import WickCore
import WickData

/// The mock's streams and market data, so one loopback Binance serves a whole live run:
///
/// - REST `GET /fapi/v1/klines` (oldest first; `startTime`, `endTime`, `limit` up to 1500).
/// - The combined market stream `/stream?streams=<symbol>@kline_<interval>/…`: `pushKline` sends
///   a kline event, `"x": false` while the candle forms and `true` when it closes.
/// - The user data stream `/ws/<listenKey>` (a key `POST /fapi/v1/listenKey` gave, else the
///   socket closes at once): `ORDER_TRADE_UPDATE` for each order, `ACCOUNT_UPDATE` when a position
///   changes, `ALGO_UPDATE` when a conditional order is placed, cancelled, triggered or expires;
///   `listenKeyExpired` when the keys expire (`expireListenKeys`).
extension MockBinanceTrading {
  struct Trade: Sendable {
    var id: Int64
    var orderId: Int64
    var symbol: String
    var side: String
    var price: Double
    var qty: Double
    var commission: Double
    var time: Int64
    var maker = false
  }

  struct MarketState {
    var candles: [String: [Candle]] = [:]
    var timeframe: Timeframe = .oneMinute
    var klineSockets: [(socket: LoopbackWebSocket, streams: Set<String>)] = []
    var klineConnections = 0
    var users: [(socket: LoopbackWebSocket, key: String)] = []
    var userConnections = 0
    var listenKeyPosts = 0
    var orderRequestIDs: [String] = []
    /// Marks held by `pinMarkPrice` (pushed klines leave them).
    var pinned: [String: Double] = [:]
    /// Resting orders (MockBinanceTrading+Resting.swift).
    var resting = RestingControls()
    var cancelFaults: [Fault] = []
  }

  /// Candles the REST kline endpoint serves; the last close becomes the mark price.
  public func setCandles(_ symbol: String, _ candles: [Candle], timeframe: Timeframe) {
    lock.withLock {
      market.timeframe = timeframe
      market.candles[symbol] = candles.sorted { $0.time < $1.time }
    }
    if let last = candles.last { setMarkPrice(symbol, last.close) }
  }

  /// Kline stream connections made so far (a restarted client adds one).
  public var klineConnections: Int { lock.withLock { market.klineConnections } }
  /// Kline stream clients connected now.
  public var klineSubscribers: Int {
    lock.withLock {
      // A liquidation recorder's `@forceOrder` socket beside the run is not a kline subscriber.
      market.klineSockets.filter {
        !$0.socket.isClosed && $0.streams.contains { $0.contains("@kline_") }
      }.count
    }
  }
  /// User data stream connections made so far, and those open now.
  public var userConnections: Int { lock.withLock { market.userConnections } }
  public var userSubscribers: Int {
    lock.withLock { market.users.filter { !$0.socket.isClosed }.count }
  }

  /// Pushes a kline event; a closed one joins the REST candles. The mark price follows.
  public func pushKline(_ symbol: String, _ c: Candle, closed: Bool) {
    let (sockets, text): ([LoopbackWebSocket], String) = lock.withLock {
      let tf = market.timeframe
      if closed {
        var list = market.candles[symbol] ?? []
        list.removeAll { $0.time == c.time }
        list.append(c)
        list.sort { $0.time < $1.time }
        market.candles[symbol] = list
      }
      let interval = (try? BinanceAPI.interval(tf)) ?? "1m"
      let stream = "\(symbol.lowercased())@kline_\(interval)"
      let text = MockKlineStream.binanceKlineMessage(
        symbol: symbol, interval: interval, candle: c, closed: closed, timeframe: tf)
      return (market.klineSockets.filter { $0.streams.contains(stream) }.map(\.socket), text)
    }
    setMarkPrice(symbol, c.close)
    // The candle's trades reach the resting book before its kline reaches anyone.
    trade(symbol, low: c.low, high: c.high)
    for s in sockets { _ = s.send(text) }
  }

  /// Drops every market-data connection (the client reconnects and backfills over REST).
  public func dropKlineStreams() {
    lock.withLock { market.klineSockets.map(\.socket) }.forEach { $0.drop() }
  }

  /// Drops every user-data connection (the listenKey stays valid).
  public func dropUserStreams() {
    lock.withLock { market.users.map(\.socket) }.forEach { $0.drop() }
  }

  func stream(_ r: LoopbackRequest) -> LoopbackReply {
    if r.path.hasPrefix("/ws/") {
      let key = String(r.path.dropFirst("/ws/".count))
      return .webSocket { [weak self] ws in
        guard let self else { return }
        let valid = self.lock.withLock {
          guard self.listenKeyValid(key) else { return false }
          self.market.users.append((ws, key))
          self.market.userConnections += 1
          return true
        }
        guard valid else {
          ws.drop()
          return
        }
        while ws.receive() != nil {}
        self.lock.withLock { self.market.users.removeAll { $0.socket === ws } }
      }
    }
    let streams = Set(
      (r.query["streams"] ?? "").split(separator: "/").map(String.init))
    return .webSocket { [weak self] ws in
      guard let self else { return }
      self.lock.withLock {
        self.market.klineSockets.append((ws, streams))
        if streams.contains(where: { $0.contains("@kline_") }) { self.market.klineConnections += 1 }
      }
      while ws.receive() != nil {}
      self.lock.withLock { self.market.klineSockets.removeAll { $0.socket === ws } }
    }
  }

  func klines(_ q: [String: String]) -> LoopbackReply {
    let limit = q["limit"].flatMap(Int.init) ?? 500
    guard (1...1500).contains(limit) else {
      return error(-1130, "Data sent for parameter 'limit' is not valid.")
    }
    let rows: [String] = lock.withLock {
      let tf = market.timeframe.milliseconds
      let start = q["startTime"].flatMap(Int64.init)
      let end = q["endTime"].flatMap(Int64.init) ?? Int64.max
      let serverNow = now()
      let listed = (market.candles[q["symbol"] ?? ""] ?? []).filter {
        $0.time >= (start ?? 0) && $0.time <= end && $0.time <= serverNow
      }
      let page = start == nil ? Array(listed.suffix(limit)) : Array(listed.prefix(limit))
      return page.map {
        "[\($0.time),\"\($0.open)\",\"\($0.high)\",\"\($0.low)\",\"\($0.close)\",\"\($0.volume)\",\($0.time + tf - 1),\"\($0.volume * $0.close)\",10,\"0\",\"0\",\"0\"]"
      }
    }
    return reply(200, "[" + rows.joined(separator: ",") + "]")
  }

  func tradeJSON(_ t: Trade) -> String {
    "{\"buyer\":\(t.side == "BUY"),\"commission\":\"\(t.commission)\",\"commissionAsset\":\"USDT\",\"id\":\(t.id),\"maker\":\(t.maker),\"orderId\":\(t.orderId),\"price\":\"\(t.price)\",\"qty\":\"\(t.qty)\",\"quoteQty\":\"\(t.price * t.qty)\",\"realizedPnl\":\"0\",\"side\":\"\(t.side)\",\"positionSide\":\"BOTH\",\"symbol\":\"\(t.symbol)\",\"time\":\(t.time)}"
  }
}
