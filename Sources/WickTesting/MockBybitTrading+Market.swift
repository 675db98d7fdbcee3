import Foundation
import WickCore

/// The mock's public market data, so one loopback Bybit can serve a whole live run: REST
/// `/v5/market/kline` (newest first, closed candles by the server's clock, as documented) and the
/// public stream `/v5/public/linear` (`kline.{interval}.{symbol}` with `confirm`, ping/pong).
extension MockBybitTrading {
  struct MarketState {
    var candles: [String: [Candle]] = [:]
    var timeframe: Timeframe = .oneMinute
    var sessions: [(socket: LoopbackWebSocket, topics: Set<String>)] = []
    var subscriptions = 0
    var klineSubscriptions = 0
  }

  /// Subscribe requests received on the public stream so far (a restarted client adds one).
  public var publicSubscriptions: Int { lock.withLock { market.subscriptions } }
  /// Subscribe requests for kline topics so far (a run's candle stream, not a liquidation
  /// recorder beside it).
  public var klineSubscriptions: Int { lock.withLock { market.klineSubscriptions } }

  /// Candles the REST kline endpoint serves (also the mark price: the last close).
  public func setCandles(_ symbol: String, _ candles: [Candle], timeframe: Timeframe) {
    lock.withLock {
      market.timeframe = timeframe
      market.candles[symbol] = candles.sorted { $0.time < $1.time }
      if let last = candles.last { markPrices[symbol] = last.close }
    }
  }

  /// Clients subscribed to the public stream.
  public var publicSubscribers: Int {
    lock.withLock { market.sessions.filter { !$0.socket.isClosed && !$0.topics.isEmpty }.count }
  }

  /// Clients subscribed to a kline topic on the public stream (a run's candle stream, not the
  /// liquidation recorder beside it).
  public var klineSubscribers: Int {
    lock.withLock {
      market.sessions.filter {
        !$0.socket.isClosed && $0.topics.contains { $0.hasPrefix("kline.") }
      }.count
    }
  }

  /// Pushes a kline update; a confirmed one joins the REST candles and moves the mark price.
  public func pushKline(_ symbol: String, _ c: Candle, confirm: Bool) {
    let (sockets, text): ([LoopbackWebSocket], String) = lock.withLock {
      let tf = market.timeframe
      if confirm {
        var list = market.candles[symbol] ?? []
        list.removeAll { $0.time == c.time }
        list.append(c)
        list.sort { $0.time < $1.time }
        market.candles[symbol] = list
      }
      markPrices[symbol] = c.close
      let topic = "kline.\(Self.interval(tf)).\(symbol)"
      let t = now()
      let text = """
        {"topic":"\(topic)","data":[{"start":\(c.time),"end":\(c.time + tf.milliseconds - 1),"interval":"\(Self.interval(tf))",\
        "open":"\(c.open)","close":"\(c.close)","high":"\(c.high)","low":"\(c.low)","volume":"\(c.volume)","turnover":"\(c.volume * c.close)",\
        "confirm":\(confirm),"timestamp":\(t)}],"ts":\(t),"type":"snapshot"}
        """
      return (market.sessions.filter { $0.topics.contains(topic) }.map(\.socket), text)
    }
    for s in sockets { s.send(text) }
  }

  /// Drops every public connection.
  public func dropPublicStreams() {
    let sockets = lock.withLock { market.sessions.map(\.socket) }
    sockets.forEach { $0.drop() }
  }

  static func interval(_ tf: Timeframe) -> String {
    switch tf.milliseconds {
    case 86_400_000: return "D"
    case 604_800_000: return "W"
    default: return String(tf.milliseconds / 60_000)
    }
  }

  func klines(_ q: [String: String]) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      let tf = market.timeframe.milliseconds
      let start = q["start"].flatMap(Int64.init) ?? 0
      let end = q["end"].flatMap(Int64.init) ?? Int64.max
      let limit = q["limit"].flatMap(Int.init) ?? 200
      let serverNow = now()
      let page = (market.candles[q["symbol"] ?? ""] ?? [])
        .filter { $0.time >= start && $0.time <= end && $0.time + tf <= serverNow }
        .suffix(limit).reversed()
      return page.map {
        "[\"\($0.time)\",\"\($0.open)\",\"\($0.high)\",\"\($0.low)\",\"\($0.close)\",\"\($0.volume)\",\"\($0.volume * $0.close)\"]"
      }
    }
    return envelope(
      0, "OK",
      "{\"symbol\":\(quote(q["symbol"] ?? "")),\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))]}"
    )
  }

  func servePublicStream(_ ws: LoopbackWebSocket) {
    lock.withLock { market.sessions.append((ws, [])) }
    let conn = "pub-\(UInt32.random(in: 1...UInt32.max))"
    while let text = ws.receive() {
      guard let (op, reqID, message) = Self.request(text) else { continue }
      switch op {
      case "subscribe":
        let topics = Set((message["args"] as? [String]) ?? [])
        lock.withLock {
          market.subscriptions += 1
          if topics.contains(where: { $0.hasPrefix("kline.") }) { market.klineSubscriptions += 1 }
          if let i = market.sessions.firstIndex(where: { $0.socket === ws }) {
            market.sessions[i].topics.formUnion(topics)
          }
        }
        ws.send(
          "{\"success\":true,\"ret_msg\":\"subscribe\",\"conn_id\":\"\(conn)\",\"req_id\":\"\(reqID)\",\"op\":\"subscribe\"}"
        )
      case "ping":
        ws.send(
          "{\"success\":true,\"ret_msg\":\"pong\",\"conn_id\":\"\(conn)\",\"req_id\":\"\(reqID)\",\"op\":\"ping\"}"
        )
      default:
        ws.send(
          "{\"success\":false,\"ret_msg\":\"unknown op\",\"conn_id\":\"\(conn)\",\"op\":\"\(op)\"}")
      }
    }
    lock.withLock { market.sessions.removeAll { $0.socket === ws } }
  }
}
