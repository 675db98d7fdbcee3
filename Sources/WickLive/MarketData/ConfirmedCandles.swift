import Foundation
import WickCore
import WickData

/// Closed candles over REST: what fills a gap in the stream (after a reconnect, a missed or
/// out-of-order message). Its clock is the exchange's: it times the gap's retries.
public protocol CandleBackfill: AnyObject, Clock {
  /// Closed candles of `symbol` with open times in `[from, to)`, oldest first, already in the
  /// candle cache when this returns. The exchange is asked for the whole range, whatever the
  /// cache holds; it may return fewer (its REST lags its stream, or it has no candle there).
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

  /// A gap's candles: the whole range is asked for (the cache is only topped up past its ends,
  /// and a hole inside it is exactly what a gap is). Candles the cache already has are kept as
  /// they are: another run may have handled them.
  public func candles(symbol: String, from: Int64, to: Int64) throws -> [Candle] {
    guard from < to else { return [] }
    let fetched = try fetcher.closedCandles(
      symbol: symbol, timeframe: timeframe, from: from, to: to)
    let cached = try cachedCandles(symbol: symbol, from: from, to: to)
    var have = Set<Int64>(minimumCapacity: cached.count)
    for c in cached { have.insert(c.time) }
    let new = fetched.filter { !have.contains($0.time) }
    guard !new.isEmpty else { return cached }
    try fetcher.store.write(new, series: series(symbol), replace: false)
    return (cached + new).sorted { $0.time < $1.time }
  }

  /// Tops the cache up over REST before and after what it holds (a run's warm-up, a resume, a
  /// scheduled job), then returns the cache's candles of `[from, to)`.
  public func topUp(symbol: String, from: Int64, to: Int64) throws -> [Candle] {
    guard from < to else { return [] }
    _ = try fetcher.fetchKlines(symbol: symbol, timeframe: timeframe, from: from, to: to)
    return try cachedCandles(symbol: symbol, from: from, to: to)
  }

  private func series(_ symbol: String) -> SeriesKey {
    SeriesKey(exchange: fetcher.api.storageName, symbol: symbol, timeframe: timeframe)
  }

  private func cachedCandles(symbol: String, from: Int64, to: Int64) throws -> [Candle] {
    let cursor = try fetcher.store.cursor(series: series(symbol), from: from, to: to)
    var out: [Candle] = []
    while let c = try cursor.next() { out.append(c) }
    return out
  }
}

/// Turns a raw kline stream into what the kernel may see: confirmed candles only, each exactly
/// once, in time order per symbol, with any gap filled over REST *before* anything newer is
/// delivered; then groups symbols into complete time slices. Every confirmed stream candle is
/// written to the candle cache, so the session can be replayed from it.
///
/// A gap REST cannot fill yet (its REST lags the stream by a moment, a page comes back short, or
/// the exchange has no candle for that minute) holds that symbol's newer candles back, and REST
/// is asked again after each of `retryDelays`, between other work: `handle` never sleeps, so
/// commands, heartbeats and the other symbols' candles carry on (a slice is complete only once
/// every symbol has it, so later slices wait for the held symbol). A candle still missing after
/// the last request is given up on: `onMissing` hears of it first (the runner records a
/// `candle_missing` incident), then the newer candles go through with it missing.
public final class ConfirmedCandles {
  public let symbols: [String]
  public let timeframe: Timeframe
  let store: CandleSink
  let series: [SeriesKey]
  let backfill: CandleBackfill
  private let index: [String: Int]
  /// Per symbol: open time of the last candle delivered (or given up on).
  public private(set) var lastDelivered: [Int64?]
  private var waiting: [Int64: [SymbolCandle]] = [:]
  /// Per symbol: candles held behind a gap REST could not fill yet.
  private var holds: [Hold?]
  /// Symbols with a hold (all the no-gap path checks).
  private var holding = 0
  /// Waits (ms on the backfill's clock, the exchange's) before each new request for a gap REST
  /// could not fill: one request at once, then one after each of these.
  public var retryDelays: [Int64] = ConfirmedCandles.defaultRetryDelays
  /// A REST that lags its stream catches up within a second or two; 7 s in all is enough for
  /// that and short enough not to hold a symbol back for long on a minute the exchange never had.
  public static let defaultRetryDelays: [Int64] = [1_000, 2_000, 4_000]
  /// Hears of candles given up on, before anything newer is delivered; its error stops the run.
  public var onMissing: ((MissingCandles) throws -> Void)?
  /// Counters for logs and tests.
  public private(set) var unconfirmedSeen = 0
  public private(set) var duplicatesDropped = 0
  public private(set) var backfilled = 0
  public private(set) var reconnects = 0
  /// Requests made again for a gap REST had not filled.
  public private(set) var retries = 0
  /// Open times given up on (every symbol).
  public private(set) var missingCandles = 0
  public var onLog: ((String) -> Void)?

  /// A symbol's candles past a gap, and where the gap's requests stand.
  struct Hold {
    /// Oldest first, one per open time; the gap lies between the last delivered and the first.
    var newer: [Candle]
    /// Requests made for the current gap.
    var attempts = 0
    /// When the next may be made (the backfill's clock).
    var retryAt: Int64 = .min
  }

  public init(
    symbols: [String], timeframe: Timeframe, exchange: String, store: CandleSink,
    backfill: CandleBackfill, lastDelivered: [Int64?]
  ) {
    self.symbols = symbols
    self.timeframe = timeframe
    self.store = store
    self.backfill = backfill
    self.lastDelivered = lastDelivered
    holds = Array(repeating: nil, count: symbols.count)
    series = symbols.map { SeriesKey(exchange: exchange, symbol: $0, timeframe: timeframe) }
    index = Dictionary(symbols.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
  }

  /// Handles stream events, then asks REST again for every held gap that is due; returns the
  /// time slices that became complete, oldest first.
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
        try receive(symbol: s, candle: u.candle)
      }
    }
    if holding > 0 {
      for s in holds.indices where holds[s] != nil { try pursue(symbol: s) }
    }
    return completeSlices()
  }

  /// Symbols whose newer candles wait behind a gap.
  public var heldSymbols: [String] { holds.indices.filter { holds[$0] != nil }.map { symbols[$0] } }

  /// Backfills every symbol up to the last candle closed by the exchange's clock. A hole REST
  /// leaves with candles after it holds those back like a stream gap; a shortfall at the end is
  /// the next stream candle's gap. A failed request is logged and left to that gap's requests.
  public func catchUp() throws {
    let end = timeframe.floor(backfill.now())
    for s in symbols.indices where lastDelivered[s] != nil && holds[s] == nil {
      do {
        let after = try fill(symbol: s, to: end, giveUp: nil)
        guard !after.isEmpty else { continue }
        hold(symbol: s, after)
        holds[s]?.attempts = 1
        holds[s]?.retryAt = backfill.now() + (retryDelays.first ?? 0)
      } catch {
        onLog?(
          "warning: catching \(symbols[s]) up over REST failed (\(error)); the next candle's gap backfill asks again"
        )
      }
    }
  }

  /// A confirmed stream candle: written to the cache, then delivered or held behind a gap.
  private func receive(symbol s: Int, candle c: Candle) throws {
    if let last = lastDelivered[s], c.time <= last {
      duplicatesDropped += 1
      return
    }
    try store.write([c], series: series[s], replace: true)
    guard let last = lastDelivered[s],
      c.time != last + timeframe.milliseconds || (holding > 0 && holds[s] != nil)
    else {
      accept(symbol: s, c)
      return
    }
    hold(symbol: s, [c])
    try pursue(symbol: s)
  }

  private func accept(symbol s: Int, _ c: Candle) {
    lastDelivered[s] = c.time
    waiting[c.time, default: []].append(SymbolCandle(symbol: s, candle: c))
  }

  /// Adds candles to a symbol's hold (time order, one per open time: the first one kept).
  private func hold(symbol s: Int, _ candles: [Candle]) {
    if holds[s] == nil {
      holds[s] = Hold(newer: [])
      holding += 1
    }
    for c in candles {
      let newer = holds[s]!.newer
      let i = newer.firstIndex { $0.time >= c.time } ?? newer.endIndex
      if i < newer.endIndex, newer[i].time == c.time {
        duplicatesDropped += 1
      } else {
        holds[s]!.newer.insert(c, at: i)
      }
    }
  }

  /// Delivers a symbol's held candles as far as they connect; at a gap, asks REST for it when
  /// due, giving up on what is still missing after the last request.
  private func pursue(symbol s: Int) throws {
    let step = timeframe.milliseconds
    while var h = holds[s], let last = lastDelivered[s] {
      let next = h.newer[0]
      if next.time <= last + step {
        h.newer.removeFirst()
        if next.time <= last {
          duplicatesDropped += 1
        } else {
          accept(symbol: s, next)
          (h.attempts, h.retryAt) = (0, .min)
        }
        if h.newer.isEmpty {
          holds[s] = nil
          holding -= 1
        } else {
          holds[s] = h
        }
        continue
      }
      guard backfill.now() >= h.retryAt else { return }
      let final = h.attempts >= retryDelays.count
      if h.attempts > 0 { retries += 1 }
      h.attempts += 1
      holds[s] = h
      var failure: String?
      do {
        let after = try fill(symbol: s, to: next.time, giveUp: final ? h.attempts : nil)
        if !after.isEmpty { hold(symbol: s, after) }
      } catch  where !final {
        failure = "\(error)"
      }
      guard let held = holds[s], let last = lastDelivered[s], held.newer[0].time > last + step
      else { continue }  // the gap is filled (or given up on): deliver what connects
      let wait = retryDelays[h.attempts - 1]
      holds[s]!.retryAt = backfill.now() + wait  // read after the request: it syncs the clock
      let from = UTCTime.iso(last + step)
      onLog?(
        "\(symbols[s]): "
          + (failure.map { "backfill from \(from) failed (\($0))" }
            ?? "REST has no candle at \(from) yet")
          + "; asking again in \(Double(wait) / 1000) s (retry \(h.attempts) of \(retryDelays.count))"
      )
      return
    }
  }

  /// Asks REST for a symbol's candles from the last delivered up to `to` and delivers them as
  /// far as they connect; returns those past the first hole. With `giveUp` (the requests made),
  /// every candle REST has is delivered and the holes up to `to` are given up on.
  private func fill(symbol s: Int, to: Int64, giveUp attempts: Int?) throws -> [Candle] {
    let step = timeframe.milliseconds
    guard let start = lastDelivered[s].map({ $0 + step }), start < to else { return [] }
    let candles = try backfill.candles(symbol: symbols[s], from: start, to: to)
    var after: [Candle] = []
    var missing: [Int64] = []
    var delivered = 0
    for c in candles where c.time >= start && c.time < to {
      let last = lastDelivered[s]!
      guard c.time > last else { continue }
      if c.time != last + step {
        guard attempts != nil else {
          after.append(c)
          continue
        }
        missing += stride(from: last + step, to: c.time, by: Int(step))
      }
      accept(symbol: s, c)
      delivered += 1
    }
    backfilled += delivered
    if delivered > 0 {
      onLog?("backfilled \(delivered) \(symbols[s]) candles over REST from \(UTCTime.iso(start))")
    }
    if let attempts {
      missing += stride(from: lastDelivered[s]! + step, to: to, by: Int(step))
      if !missing.isEmpty {
        lastDelivered[s] = to - step
        try giveUp(symbol: s, missing, attempts: attempts)
      }
    }
    return after
  }

  private func giveUp(symbol s: Int, _ times: [Int64], attempts: Int) throws {
    missingCandles += times.count
    let waited = Double(retryDelays.reduce(0, +)) / 1000
    let m = MissingCandles(
      symbol: symbols[s], times: times, step: timeframe.milliseconds,
      reason:
        "not on the stream and not over REST after \(attempts) requests in \(waited) s; the strategy goes on without it"
    )
    try onMissing?(m)
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
