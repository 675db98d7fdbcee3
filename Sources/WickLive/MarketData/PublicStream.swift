import Foundation
import WickNet

/// Keeps one public WebSocket open: connects, sends `subscriptions`, pings every
/// `pingInterval` seconds when the exchange wants a client ping (Bybit drops a silent client),
/// and on any disconnect reconnects after an exponential backoff with jitter. Text messages go
/// to `onText`, connection changes to `onState`, both on the socket's thread.
public final class PublicStream: @unchecked Sendable {
  public enum State: Sendable, Equatable {
    case connected
    case disconnected(String)
  }

  public let url: String
  public let subscriptions: [String]
  public let ping: String?
  public var pingInterval: TimeInterval = 20
  public var maxBackoff: TimeInterval = 30
  private var task: Task<Void, Never>?
  /// One thread per process serves every socket's async work (the executor lives forever).
  static let executor = ThreadExecutor(name: "wick.ws")

  public init(url: String, subscriptions: [String], ping: String?) {
    self.url = url
    self.subscriptions = subscriptions
    self.ping = ping
  }

  public func start(
    onText: @escaping @Sendable (String) -> Void,
    onState: @escaping @Sendable (State) -> Void
  ) {
    let url = url
    let subscriptions = subscriptions
    let pingMessage = ping
    let ping = pingInterval
    let maxBackoff = maxBackoff
    let executor = Self.executor
    task = Task(executorPreference: executor) {
      var failures = 0
      var rng = SystemRandomNumberGenerator()
      while !Task.isCancelled {
        let started = Date()
        do {
          try await WebSocketClient.connect(url: url, maxMessageSize: 1 << 20) {
            inbound, outbound in
            for s in subscriptions { try await outbound.write(.text(s)) }
            onState(.connected)
            let pinger = Task(executorPreference: executor) {
              guard let message = pingMessage else { return }
              while !Task.isCancelled {
                try await Task.sleep(nanoseconds: UInt64(ping * 1e9))
                try await outbound.write(.text(message))
              }
            }
            defer { pinger.cancel() }
            for try await message in inbound {
              guard case .text(let text) = message else { continue }
              onText(text)
            }
          }
          onState(.disconnected("closed by the server"))
        } catch {
          onState(.disconnected("\(error)"))
        }
        if Task.isCancelled { break }
        // A session that lasted resets the backoff; a socket that keeps failing backs off further.
        failures = Date().timeIntervalSince(started) > 30 ? 1 : failures + 1
        let base = min(maxBackoff, 0.25 * pow(2, Double(min(failures, 10))))
        let delay = base * Double.random(in: 0.5...1, using: &rng)
        try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
      }
    }
  }

  public func stop() {
    task?.cancel()
    task = nil
  }
}
