import Foundation
import Logging
import WickData
import WickLive
import WickNet

/// Bybit's private WebSocket (`<ws-url>/v5/private`): authenticates with
/// `{"op":"auth","args":[key, expires, sign]}`, subscribes to `order`, `execution` and
/// `position`, pings every 20 s, and feeds every update into the inbox. When the socket drops
/// it marks the stream down (the executor then polls REST) and reconnects with backoff.
///
///     let stream = BybitPrivateStream(url: "wss://stream-testnet.bybit.com", credentials: c,
///                                     inbox: inbox, serverClock: { rest.serverNow() })
///     let task = stream.start()        // runs until cancelled
public final class BybitPrivateStream: Sendable {
  public let url: String
  let credentials: BybitCredentials
  let inbox: BybitEventInbox
  let serverClock: @Sendable () -> Int64
  let pingInterval: Duration
  let maxBackoff: Double
  private let logger: Logger

  public init(
    url: String, credentials: BybitCredentials, inbox: BybitEventInbox,
    serverClock: @escaping @Sendable () -> Int64, pingInterval: Duration = .seconds(20),
    maxBackoff: Double = 30, logger: Logger = Logger(label: "wick.bybit.private")
  ) {
    let base = url.hasSuffix("/") ? String(url.dropLast()) : url
    self.url = base.hasSuffix("/v5/private") ? base : base + "/v5/private"
    self.credentials = credentials
    self.inbox = inbox
    self.serverClock = serverClock
    self.pingInterval = pingInterval
    self.maxBackoff = maxBackoff
    self.logger = logger
  }

  /// The stream's own thread: fills must arrive even while the runner blocks on REST.
  private static let executor = ThreadExecutor(name: "wick.bybit.private")

  /// Connects and keeps reconnecting until the task is cancelled.
  public func start() -> Task<Void, Never> {
    Task(executorPreference: Self.executor) { [self] in await self.run() }
  }

  public func run() async {
    var failures = 0
    while !Task.isCancelled {
      do {
        try await session()
        failures = 0
      } catch {
        failures += 1
        // Never interpolate the request: only the error, which carries no key.
        logger.warning("private stream: \(error)")
      }
      inbox.setStreamUp(false)
      if Task.isCancelled { break }
      let backoff = min(maxBackoff, 0.2 * pow(2, Double(min(failures, 8))))
      try? await Task.sleep(for: .milliseconds(Int(backoff * 1000)))
    }
    inbox.setStreamUp(false)
  }

  private func session() async throws {
    let expires = serverClock() + 10_000
    let sign = BybitSigner.webSocketSignature(expires: expires, credentials: credentials)
    let auth =
      "{\"req_id\":\"auth\",\"op\":\"auth\",\"args\":[\(JSONObjectWriter.quote(credentials.apiKey)),\(expires),\"\(sign)\"]}"
    let inbox = self.inbox
    let pingInterval = self.pingInterval
    try await WebSocketClient.connect(url: url, maxMessageSize: 1 << 22) { inbound, outbound in
      try await outbound.write(.text(auth))
      try await withThrowingTaskGroup(of: Void.self) { group in
        group.addTask {
          while !Task.isCancelled {
            try await Task.sleep(for: pingInterval)
            try await outbound.write(.text("{\"req_id\":\"ping\",\"op\":\"ping\"}"))
          }
        }
        defer { group.cancelAll() }
        // The session lasts as long as the socket (or until a refusal).
        for try await message in inbound {
          guard case .text(let text) = message else { continue }
          switch Self.handle(text, inbox: inbox) {
          case .authenticated:
            try await outbound.write(
              .text(
                "{\"req_id\":\"sub\",\"op\":\"subscribe\",\"args\":[\"order\",\"execution\",\"position\"]}"
              ))
          case .subscribed:
            inbox.setStreamUp(true)
          case .refused(let why):
            throw BybitError.rejected(endpoint: "WS /v5/private", retCode: 0, message: why)
          case .update, .ignored:
            break
          }
        }
      }
    }
  }

  enum Handled: Equatable {
    case authenticated, subscribed, update, ignored
    case refused(String)
  }

  /// One message: an op answer or a topic update. A malformed message is ignored (logged by
  /// count in the inbox's view as nothing applied); REST remains the truth.
  static func handle(_ text: String, inbox: BybitEventInbox) -> Handled {
    guard let doc = try? JSONDocument(Array(text.utf8)) else { return .ignored }
    let root = doc.root
    if let op = doc.string(doc.member(root, "op")) {
      let success: Bool = {
        if case .bool(let b)? = doc.member(root, "success") { return b }
        return op == "pong"
      }()
      guard success else {
        return .refused(
          "\(op) refused: \(doc.string(doc.member(root, "ret_msg")) ?? "no reason given")")
      }
      switch op {
      case "auth": return .authenticated
      case "subscribe": return .subscribed
      default: return .ignored
      }
    }
    guard let topic = doc.string(doc.member(root, "topic")),
      case .array(let rows)? = doc.member(root, "data")
    else { return .ignored }
    for row in rows {
      switch topic {
      case "order": BybitDecode.order(doc, row).map(inbox.apply)
      case "execution": BybitDecode.execution(doc, row).map(inbox.apply)
      case "position": BybitDecode.position(doc, row).map(inbox.apply)
      default: break
      }
    }
    return .update
  }
}
