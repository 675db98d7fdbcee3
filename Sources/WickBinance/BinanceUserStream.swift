import Foundation
import Logging
import WickData
import WickLive
import WickNet

/// Binance USDⓈ-M's user data stream (`<ws-url>/ws/<listenKey>`): a listenKey is created
/// (`POST /fapi/v1/listenKey`), kept alive every `keepAlive` (30 minutes; Binance lets it lapse
/// after 60), and created anew when it expires (`listenKeyExpired`, or -1125 on the keepalive)
/// or the socket drops. After every gap, what was missed is fetched over REST: working orders
/// are looked up by client id, and the venue is told to reconcile at once.
///
/// - `ORDER_TRADE_UPDATE` feeds the orders' states, fills and fees into the gateway's inbox.
/// - `ACCOUNT_UPDATE` (a position or balance changed) and `ALGO_UPDATE` (a stop or take
///   triggered, was cancelled or expired) mark the inbox stale: the venue reconciles at its next
///   heartbeat rather than within 30 s.
public final class BinanceUserStream: @unchecked Sendable {
  public let wsBase: String
  let gateway: BinanceGateway
  let keepAlive: Duration
  let maxBackoff: Double
  private let logger: Logger
  private let lock = NSLock()
  /// Per order: trade ids seen and their summed commission (the stream sends each trade's fee).
  private var fees: [String: (trades: Set<Int64>, total: Double)] = [:]
  private var _sessions = 0

  public init(
    wsBase: String, gateway: BinanceGateway, keepAlive: Duration = .seconds(30 * 60),
    maxBackoff: Double = 30
  ) {
    self.wsBase = wsBase.hasSuffix("/") ? String(wsBase.dropLast()) : wsBase
    self.gateway = gateway
    self.keepAlive = keepAlive
    self.maxBackoff = maxBackoff
    var logger = Logger(label: "wick.binance.user")
    logger.logLevel = .critical
    self.logger = logger
  }

  /// Sessions opened so far (each with a listenKey fetched fresh).
  public var sessions: Int { lock.withLock { _sessions } }

  private static let executor = ThreadExecutor(name: "wick.binance.user")

  /// Connects and keeps reconnecting until the task is cancelled.
  public func start() -> Task<Void, Never> {
    Task(executorPreference: Self.executor) { [self] in await self.run() }
  }

  func run() async {
    var failures = 0
    while !Task.isCancelled {
      let started = Date()
      do {
        let key = try gateway.api.createListenKey()
        try await session(listenKey: key)
      } catch {
        // Only the error: it carries no key (the listenKey is not a credential, but stays out).
        logger.warning("user stream: \(error)")
      }
      gateway.inbox.setStreamUp(false)
      gateway.inbox.markStale()
      if Task.isCancelled { break }
      failures = Date().timeIntervalSince(started) > 30 ? 1 : failures + 1
      let backoff = min(maxBackoff, 0.1 * pow(2, Double(min(failures, 8))))
      try? await Task.sleep(for: .milliseconds(Int(backoff * 1000)))
    }
    gateway.inbox.setStreamUp(false)
  }

  private func session(listenKey: String) async throws {
    let keepAlive = self.keepAlive
    let api = gateway.api
    try await WebSocketClient.connect(url: wsBase + "/ws/" + listenKey, maxMessageSize: 1 << 22) {
      [self] inbound, _ in
      lock.withLock { _sessions += 1 }
      gateway.inbox.setStreamUp(true)
      // Whatever happened while no stream was up: fetched over REST now.
      catchUp()
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          while !Task.isCancelled {
            try await Task.sleep(for: keepAlive)
            guard try api.keepAlive() else { throw StreamEnded.listenKeyExpired }
          }
        }
        defer { group.cancelAll() }
        for try await message in inbound {
          guard case .text(let text) = message else { continue }
          if handle(text) == .expired { throw StreamEnded.listenKeyExpired }
        }
      }
    }
  }

  enum StreamEnded: Error { case listenKeyExpired }

  /// Orders still working in the inbox are looked up by client id (their final state may have
  /// been sent while the socket was down).
  func catchUp() {
    for o in gateway.inbox.working() {
      if let fresh = try? gateway.order(clientOrderID: o.clientOrderID, symbol: o.symbol) {
        gateway.inbox.apply(fresh)
      }
    }
    gateway.inbox.markStale()
  }

  enum Handled: Equatable { case order, account, algo, expired, ignored }

  /// One message. A malformed one is ignored: REST remains the truth.
  @discardableResult
  func handle(_ text: String) -> Handled {
    guard let doc = try? JSONDocument(Array(text.utf8)) else { return .ignored }
    let root = doc.root
    switch doc.string(doc.member(root, "e")) {
    case "listenKeyExpired": return .expired
    case "ACCOUNT_UPDATE":
      gateway.inbox.markStale()
      return .account
    case "ALGO_UPDATE":
      // NEW is the placement Wick made; anything else changed the position's protection.
      if let o = doc.member(root, "o"), doc.string(doc.member(o, "X")) != "NEW" {
        gateway.inbox.markStale()
      }
      return .algo
    case "ORDER_TRADE_UPDATE":
      guard let o = doc.member(root, "o"), let id = doc.string(doc.member(o, "c")),
        let symbol = doc.string(doc.member(o, "s")),
        let status = doc.string(doc.member(o, "X")),
        let filled = doc.number(doc.member(o, "z"))
      else { return .ignored }
      let time = doc.member(root, "E").flatMap(doc.int64) ?? 0
      var fee = 0.0
      lock.withLock {
        var entry = fees[id] ?? ([], 0)
        if let trade = doc.member(o, "t").flatMap(doc.int64), trade > 0,
          entry.trades.insert(trade).inserted
        {
          entry.total += doc.number(doc.member(o, "n")) ?? 0
        }
        fees[id] = entry
        fee = entry.total
      }
      gateway.inbox.apply(
        GatewayOrder(
          clientOrderID: id, symbol: symbol, state: BinanceGateway.state(status, filled),
          filledQty: filled, avgPrice: doc.number(doc.member(o, "ap")) ?? 0, fee: fee,
          updated: time,
          reason: status == "REJECTED" || status == "EXPIRED" ? "ended \(status)" : nil))
      return .order
    default: return .ignored
    }
  }
}
