import Foundation

/// The mock's private WebSocket: `/v5/private` with auth, subscribe and ping, pushing `order`,
/// `execution` and `position` updates, and the stream faults a test can turn on.
extension MockBybitTrading {
  struct StreamState {
    var sessions: [(socket: LoopbackWebSocket, topics: Set<String>)] = []
    /// Every message is sent twice.
    var duplicate = false
    /// The next order update is held back and sent after the one that follows it.
    var reorderNextOrder = false
    var held: (topic: String, text: String)?
    /// Drop the connection after this many more pushes.
    var dropAfter: Int?
    /// Refuse new connections' auth (the stream stays down; REST must carry on).
    var refuseAuth = false
    var pushed = 0
    var authenticatedSessions = 0
    var malformedNext = false
  }

  /// Every message sent twice from now on.
  public func duplicateStreamMessages(_ on: Bool = true) { lock.withLock { stream.duplicate = on } }
  /// The next order update arrives after the update that follows it.
  public func reorderNextOrderUpdate() { lock.withLock { stream.reorderNextOrder = true } }
  /// The sockets drop after `count` more pushes.
  public func dropStreams(afterPushes count: Int) { lock.withLock { stream.dropAfter = count } }
  /// The next push is not JSON.
  public func malformedNextPush() { lock.withLock { stream.malformedNext = true } }
  /// New sessions fail to authenticate.
  public var refuseStreamAuth: Bool {
    get { lock.withLock { stream.refuseAuth } }
    set { lock.withLock { stream.refuseAuth = newValue } }
  }
  /// Sessions that authenticated so far (reconnects count).
  public var streamSessions: Int { lock.withLock { stream.authenticatedSessions } }
  public var subscribedStreams: Int {
    lock.withLock { stream.sessions.filter { !$0.socket.isClosed && !$0.topics.isEmpty }.count }
  }

  /// Drops every private connection now (no close frame).
  public func dropStreams() {
    let sockets = lock.withLock { stream.sessions.map(\.socket) }
    sockets.forEach { $0.drop() }
  }

  /// A Bybit socket request (`{"op": …, "req_id": …, "args": …}`), as both the public and the
  /// private stream read them; nil for anything else (ignored, as Bybit does).
  static func request(_ text: String) -> (op: String, reqID: String, message: [String: Any])? {
    guard let data = text.data(using: .utf8),
      let message = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let op = message["op"] as? String
    else { return nil }
    return (op, message["req_id"] as? String ?? "", message)
  }

  func serveStream(_ ws: LoopbackWebSocket) {
    let conn = "conn-\(UInt32.random(in: 1...UInt32.max))"
    var authenticated = false
    while let text = ws.receive() {
      guard let (op, reqID, message) = Self.request(text) else { continue }
      switch op {
      case "auth":
        let args = message["args"] as? [Any] ?? []
        let key = args.first as? String
        let expires = (args.count > 1 ? args[1] : nil).flatMap {
          ($0 as? NSNumber)?.int64Value ?? Int64("\($0)")
        }
        let sign = args.count > 2 ? args[2] as? String : nil
        let ok: Bool = lock.withLock {
          guard !stream.refuseAuth, key == apiKey, let expires, expires > now(),
            sign == Self.hmac("GET/realtime\(expires)", secret: apiSecret)
          else { return false }
          stream.authenticatedSessions += 1
          stream.sessions.append((ws, []))
          return true
        }
        authenticated = ok
        ws.send(
          "{\"success\":\(ok),\"ret_msg\":\"\(ok ? "" : "Request not authorized")\",\"op\":\"auth\",\"conn_id\":\"\(conn)\",\"req_id\":\"\(reqID)\"}"
        )
        if !ok { return }
      case "subscribe":
        guard authenticated else {
          ws.send(
            "{\"success\":false,\"ret_msg\":\"Request not authorized\",\"op\":\"subscribe\",\"conn_id\":\"\(conn)\"}"
          )
          continue
        }
        let topics = Set((message["args"] as? [String]) ?? [])
        lock.withLock {
          if let i = stream.sessions.firstIndex(where: { $0.socket === ws }) {
            stream.sessions[i].topics.formUnion(topics)
          }
        }
        ws.send(
          "{\"success\":true,\"ret_msg\":\"\",\"op\":\"subscribe\",\"conn_id\":\"\(conn)\",\"req_id\":\"\(reqID)\"}"
        )
      case "ping":
        let t = lock.withLock { now() }
        ws.send(
          "{\"req_id\":\"\(reqID)\",\"op\":\"pong\",\"args\":[\"\(t)\"],\"conn_id\":\"\(conn)\"}")
      default:
        ws.send(
          "{\"success\":false,\"ret_msg\":\"unknown op \(op)\",\"op\":\"\(op)\",\"conn_id\":\"\(conn)\"}"
        )
      }
    }
    lock.withLock { stream.sessions.removeAll { $0.socket === ws } }
  }

  // Called under the lock by the exchange's state changes.

  func publishOrder(_ i: Int) {
    let o = _ordersForStream(i)
    push("order", "[\(orderJSON(o))]")
  }

  func publishExecution(_ e: Execution) { push("execution", "[\(executionJSON(e))]") }

  func publishPosition(_ symbol: String) {
    let p = _positionForStream(symbol)
    push("position", "[\(positionJSON(symbol, p))]")
  }

  private func push(_ topic: String, _ data: String) {
    let t = now()
    var text =
      "{\"id\":\"\(topic)-\(t)\",\"topic\":\"\(topic)\",\"creationTime\":\(t),\"data\":\(data)}"
    if stream.malformedNext {
      stream.malformedNext = false
      text = "{\"topic\":\"\(topic)\",\"data\":[{\"orderId\":"
    }
    var outgoing: [(String, String)] = []
    if topic == "order", stream.reorderNextOrder, stream.held == nil {
      stream.reorderNextOrder = false
      stream.held = (topic, text)
      return
    }
    outgoing.append((topic, text))
    if let held = stream.held {
      stream.held = nil
      outgoing.append(held)
    }
    for (topic, text) in outgoing {
      for s in stream.sessions where s.topics.contains(topic) {
        s.socket.send(text)
        if stream.duplicate { s.socket.send(text) }
      }
      stream.pushed += 1
      if let left = stream.dropAfter {
        if left <= 1 {
          stream.dropAfter = nil
          stream.sessions.forEach { $0.socket.drop() }
        } else {
          stream.dropAfter = left - 1
        }
      }
    }
  }
}
