import Foundation
import WickCore
import WickData

/// Closed candles over REST: what fills a gap in the stream (after a reconnect, a missed or
/// out-of-order message) and tops up the cache before a run starts.
public protocol CandleBackfill: AnyObject, Clock {
  /// Closed candles of `symbol` with open times in `[from, to)`, oldest first, already in the
  /// candle cache when this returns.
  func candles(symbol: String, from: Int64, to: Int64) throws -> [Candle]
}

/// The REST backfill through the candle fetcher (`wick data fetch`'s code): pages, rate limits,
/// retries, closed candles only by the exchange's clock; every page lands in the cache.
public final class FetcherBackfill: CandleBackfill {
  let fetcher: MarketDataFetcher
  let timeframe: Timeframe

  public init(fetcher: MarketDataFetcher, timeframe: Timeframe) {
    self.fetcher = fetcher
    self.timeframe = timeframe
  }

  /// The exchange's clock as last synced (every fetch re-syncs it), else the local one.
  public func now() -> Int64 {
    fetcher.clock?.now() ?? LocalClock().now()
  }

  public func candles(symbol: String, from: Int64, to: Int64) throws -> [Candle] {
    guard from < to else { return [] }
    _ = try fetcher.fetchKlines(symbol: symbol, timeframe: timeframe, from: from, to: to)
    let series = SeriesKey(exchange: fetcher.api.storageName, symbol: symbol, timeframe: timeframe)
    let cursor = try fetcher.store.cursor(series: series, from: from, to: to)
    var out: [Candle] = []
    while let c = try cursor.next() { out.append(c) }
    return out
  }
}

/// Turns a raw kline stream into what the kernel may see: confirmed candles only, each exactly
/// once, in time order per symbol, with any gap filled over REST *before* anything newer is
/// delivered; then groups symbols into complete time slices. Every delivered candle is written to
/// the candle cache, so the session can be replayed from it.
public final class ConfirmedCandles {
  public let symbols: [String]
  public let timeframe: Timeframe
  let store: CandleSink
  let series: [SeriesKey]
  let backfill: CandleBackfill
  private let index: [String: Int]
  /// Per symbol: open time of the last candle delivered.
  public private(set) var lastDelivered: [Int64?]
  private var waiting: [Int64: [SymbolCandle]] = [:]
  /// Counters for logs and tests.
  public private(set) var unconfirmedSeen = 0
  public private(set) var duplicatesDropped = 0
  public private(set) var backfilled = 0
  public private(set) var reconnects = 0
  public var onLog: ((String) -> Void)?

  public init(
    symbols: [String], timeframe: Timeframe, exchange: String, store: CandleSink,
    backfill: CandleBackfill, lastDelivered: [Int64?]
  ) {
    self.symbols = symbols
    self.timeframe = timeframe
    self.store = store
    self.backfill = backfill
    self.lastDelivered = lastDelivered
    series = symbols.map { SeriesKey(exchange: exchange, symbol: $0, timeframe: timeframe) }
    index = Dictionary(symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// Handles stream events; returns the time slices that became complete, oldest first.
  public func handle(_ events: [StreamEvent]) throws -> [[SymbolCandle]] {
    for e in events {
      switch e {
      case .connected:
        reconnects += 1
        try catchUp()
      case .disconnected(let why):
        onLog?("stream disconnected (\(why)); reconnecting")
      case .update(let u):
        guard let s = index[u.symbol] else { continue }
        guard u.confirmed else {
          unconfirmedSeen += 1
          continue
        }
        try deliver(symbol: s, candle: u.candle, fromStream: true)
      }
    }
    return completeSlices()
  }

  /// Backfills every symbol up to the last candle closed by the exchange's clock.
  public func catchUp() throws {
    let end = timeframe.floor(backfill.now())
    for s in symbols.indices {
      guard let last = lastDelivered[s] else { continue }
      try fill(symbol: s, from: last + timeframe.milliseconds, to: end)
    }
  }

  private func deliver(symbol s: Int, candle c: Candle, fromStream: Bool) throws {
    if let last = lastDelivered[s] {
      if c.time <= last {
        duplicatesDropped += 1
        return
      }
      if c.time > last + timeframe.milliseconds {
        try fill(symbol: s, from: last + timeframe.milliseconds, to: c.time)
      }
      if let last = lastDelivered[s], c.time <= last {
        duplicatesDropped += 1  // the backfill already brought it
        return
      }
    }
    if fromStream { try store.write([c], series: series[s], replace: true) }
    lastDelivered[s] = c.time
    waiting[c.time, default: []].append(SymbolCandle(symbol: s, candle: c))
  }

  private func fill(symbol s: Int, from: Int64, to: Int64) throws {
    guard from < to else { return }
    let candles = try backfill.candles(symbol: symbols[s], from: from, to: to)
    if !candles.isEmpty {
      onLog?(
        "backfilled \(candles.count) \(symbols[s]) candles over REST from \(UTCTime.iso(from))")
    }
    for c in candles where c.time >= from && c.time < to {
      backfilled += 1
      try deliver(symbol: s, candle: c, fromStream: false)
    }
  }

  /// A time is complete once every symbol has delivered it or something later.
  private func completeSlices() -> [[SymbolCandle]] {
    guard !waiting.isEmpty else { return [] }
    let frontier = lastDelivered.map { $0 ?? Int64.min }.min() ?? Int64.min
    var out: [[SymbolCandle]] = []
    for t in waiting.keys.sorted() where t <= frontier {
      out.append(waiting.removeValue(forKey: t)!.sorted { $0.symbol < $1.symbol })
    }
    return out
  }
}
