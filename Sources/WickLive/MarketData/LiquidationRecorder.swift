import Foundation
import WickCore
import WickData

/// Records liquidations from an exchange's public stream into the candle cache, per minute, until
/// told to stop: `wick data record --liquidations`. The stream's thread only aggregates; the
/// caller's thread writes each closed minute (buckets and covered span in one transaction), so
/// a stop or a crash never leaves a minute half-written, and a disconnect leaves a gap.
public final class LiquidationRecorder: @unchecked Sendable {
  public struct Summary: Sendable, Equatable {
    /// Minutes recorded per symbol (covered, with or without liquidations).
    public var minutes = 0
    public var liquidations = 0
    public var disconnects = 0
    public var malformed = 0
  }

  /// Liquidations received from the stream so far (aggregated or not).
  public var received: Int { lock.withLock { receivedCount } }
  private var receivedCount = 0

  public let exchange: String
  public let symbols: [String]
  public let store: CandleStore
  private let stream: PublicStream
  private let dialect: LiquidationDialect
  private let now: @Sendable () -> Int64
  private let lock = NSLock()
  /// Held from taking spans until they are written, so the stream's ticks and a runner's
  /// `close(before:)` write minutes in time order (each span extends the one before it).
  private let writing = NSLock()
  private var aggregator: LiquidationAggregator
  private var pending: [LiquidationAggregator.Span] = []
  private var summary = Summary()
  /// Called with each connection change (for the command's log lines).
  public var onState: (@Sendable (PublicStream.State) -> Void)?

  /// `now` is the exchange's clock (epoch ms): minutes are judged closed by it.
  public init(
    dialect: LiquidationDialect, base: String, exchange: String, symbols: [String],
    store: CandleStore, now: @escaping @Sendable () -> Int64
  ) {
    self.dialect = dialect
    self.exchange = exchange
    self.symbols = symbols
    self.store = store
    self.now = now
    aggregator = LiquidationAggregator(symbols: symbols)
    stream = PublicStream(
      url: dialect.url(base: base, symbols: symbols),
      subscriptions: dialect.subscriptions(symbols: symbols), ping: dialect.ping)
  }

  /// The WebSocket URL it connects to.
  public var url: String { stream.url }

  /// Connects and records until `stop` says so, writing closed minutes every `tick` seconds.
  /// On stop, the minute in progress is dropped; everything closed is written.
  public func run(tick: TimeInterval = 1, stop: () -> Bool) throws -> Summary {
    let dialect = dialect
    let now = now
    stream.start(
      onText: { [weak self] text in
        let parsed = dialect.parse(text)
        guard let self else { return }
        self.lock.withLock {
          self.aggregator.add(parsed.events, malformed: parsed.malformed)
          self.receivedCount += parsed.events.count
        }
      },
      onState: { [weak self] state in
        guard let self else { return }
        self.lock.withLock {
          switch state {
          case .connected: self.aggregator.connected(now: now())
          case .disconnected:
            self.pending += self.aggregator.disconnected(now: now())
            self.summary.disconnects += 1
          }
        }
        self.onState?(state)
      })
    defer { stream.stop() }
    while !stop() {
      Thread.sleep(forTimeInterval: tick)
      try writing.withLock { try write(take { $0.flush(now: now()) }) }
    }
    stream.stop()
    try writing.withLock { try write(take { $0.disconnected(now: now()) }) }
    return lock.withLock {
      summary.malformed = aggregator.malformed
      return summary
    }
  }

  /// Closes and writes the minutes before `end` (a candle's close) at once, without their
  /// grace: called by a runner before it decides on that candle, so the strategy reads from the
  /// cache what a backtest over it reads later. Returns the spans written.
  @discardableResult
  public func close(before end: Int64) throws -> [LiquidationAggregator.Span] {
    try writing.withLock {
      let spans = take { $0.close(before: end) }
      try write(spans)
      return spans
    }
  }

  /// The spans waiting to be written and those `close` produces, taken atomically.
  private func take(_ close: (inout LiquidationAggregator) -> [LiquidationAggregator.Span])
    -> [LiquidationAggregator.Span]
  {
    lock.withLock {
      let spans = pending + close(&aggregator)
      pending = []
      return spans
    }
  }

  private func write(_ spans: [LiquidationAggregator.Span]) throws {
    for span in spans {
      try store.recordLiquidations(
        span.buckets, exchange: exchange, symbol: span.symbol, from: span.from, to: span.to)
      lock.withLock {
        summary.minutes += Int((span.to - span.from) / 60_000)
        summary.liquidations += span.buckets.reduce(0) { $0 + $1.count }
      }
    }
  }
}
