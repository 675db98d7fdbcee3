import Foundation
import Logging
import WSClient
import WickCore

/// Keeps one public kline WebSocket open: connects, subscribes, pings every `pingInterval`
/// seconds (Bybit drops a silent client), and on any disconnect reconnects after an exponential
/// backoff with jitter. Updates and connection events go to `inbox`; ordering, deduplication and
/// gap backfill happen on the runner's thread (`ConfirmedCandles`).
public final class KlineSocket: @unchecked Sendable {
  public let url: String
  public let subscriptions: [String]
  public let dialect: KlineDialect
  public let inbox: KlineInbox
  public var pingInterval: TimeInterval = 20
  public var maxBackoff: TimeInterval = 30
  private var task: Task<Void, Never>?
  /// One thread per process serves every socket's async work (the executor lives forever).
  private static let executor = ThreadExecutor(name: "wick.ws")

  public init(
    dialect: KlineDialect, base: String, symbols: [String], timeframe: Timeframe, inbox: KlineInbox
  ) throws {
    self.dialect = dialect
    url = try dialect.url(base: base, symbols: symbols, timeframe: timeframe)
    subscriptions = try dialect.subscriptions(symbols: symbols, timeframe: timeframe)
    self.inbox = inbox
  }

  public func start() {
    let url = url
    let subscriptions = subscriptions
    let dialect = dialect
    let inbox = inbox
    let ping = pingInterval
    let maxBackoff = maxBackoff
    let executor = Self.executor
    task = Task(executorPreference: executor) {
      var logger = Logger(label: "wick.ws")
      logger.logLevel = .critical
      var failures = 0
      var rng = SystemRandomNumberGenerator()
      while !Task.isCancelled {
        let started = Date()
        do {
          try await WebSocketClient.connect(url: url, logger: logger) { inbound, outbound, _ in
            for s in subscriptions { try await outbound.write(.text(s)) }
            inbox.push(.connected)
            let pinger = Task(executorPreference: executor) {
              guard let message = dialect.ping else { return }
              while !Task.isCancelled {
                try await Task.sleep(nanoseconds: UInt64(ping * 1e9))
                try await outbound.write(.text(message))
              }
            }
            defer { pinger.cancel() }
            for try await message in inbound.messages(maxSize: 1 << 20) {
              guard case .text(let text) = message else { continue }
              for u in dialect.parse(text) { inbox.push(.update(u)) }
            }
          }
          inbox.push(.disconnected("closed by the server"))
        } catch {
          inbox.push(.disconnected("\(error)"))
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
