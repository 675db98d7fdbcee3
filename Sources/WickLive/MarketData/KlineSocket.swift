import Foundation
import WickCore

/// The public kline stream: a `PublicStream` whose messages are parsed by the exchange's
/// `KlineDialect`. Updates and connection events go to `inbox`; ordering, deduplication and
/// gap backfill happen on the runner's thread (`ConfirmedCandles`).
public final class KlineSocket: @unchecked Sendable {
  public let url: String
  public let subscriptions: [String]
  public let dialect: KlineDialect
  public let inbox: KlineInbox
  /// The subscribed interval: an update stating another one is not this socket's.
  public let interval: String
  public var pingInterval: TimeInterval = 20
  public var maxBackoff: TimeInterval = 30
  private var stream: PublicStream?

  public init(
    dialect: KlineDialect, base: String, symbols: [String], timeframe: Timeframe, inbox: KlineInbox
  ) throws {
    self.dialect = dialect
    url = try dialect.url(base: base, symbols: symbols, timeframe: timeframe)
    subscriptions = try dialect.subscriptions(symbols: symbols, timeframe: timeframe)
    interval = try dialect.interval(timeframe)
    self.inbox = inbox
  }

  public func start() {
    let stream = PublicStream(url: url, subscriptions: subscriptions, ping: dialect.ping)
    stream.pingInterval = pingInterval
    stream.maxBackoff = maxBackoff
    let dialect = dialect
    let inbox = inbox
    let interval = interval
    stream.start(
      onText: { text in
        for u in dialect.parse(text) where u.interval == nil || u.interval == interval {
          inbox.push(.update(u))
        }
      },
      onState: { state in
        switch state {
        case .connected: inbox.push(.connected)
        case .disconnected(let why): inbox.push(.disconnected(why))
        }
      })
    self.stream = stream
  }

  public func stop() {
    stream?.stop()
    stream = nil
  }
}
