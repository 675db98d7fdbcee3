import Foundation
import WickCore

/// Set by the SIGINT handler: fetch loops stop after the page in flight, leaving the cache
/// consistent (each window is its own transaction) for the next run to continue.
public enum FetchInterrupt {
  nonisolated(unsafe) public static var requested: sig_atomic_t = 0
}

/// How far a fetch got, for the progress display.
public struct FetchProgress: Sendable {
  public var stored: Int
  /// The newest candle time handled so far (the end of the last window written).
  public var position: Int64
  /// Milliseconds of the requested range handled so far, of `total`.
  public var covered: Int64
  public var total: Int64
  public var fraction: Double { total > 0 ? min(1, Double(covered) / Double(total)) : 1 }
}

/// What a fetch did.
public struct FetchSummary: Sendable, Equatable {
  public var candles = 0
  public var fundingRates = 0
  /// Kline requests made (the server-time request is not counted).
  public var requests = 0
  /// The range asked for, after alignment and the closed-candle cut: `[from, to)`.
  public var from: Int64 = 0
  public var to: Int64 = 0
  /// The exchange's clock as synced at the start, and its earliest reading then: no candle
  /// ending after `closedBy` was stored.
  public var clock: ServerClock?
  public var closedBy: Int64 = 0
  public var interrupted = false
  /// Gaps the exchange itself has no data for (repair reports them instead of looping).
  public var unfilledGaps: [CandleGap] = []
}

/// Downloads closed klines and funding rates into the candle cache, judged by the exchange's
/// clock: every fetch first syncs with the exchange's server time, the default end is the last
/// candle closed by that clock, and no candle that closes after it is ever stored, whatever the
/// caller asks. Each window of `api.klineLimit` candles is asked for until the exchange's answers
/// cover it (`RangeCoverage`) and written in one transaction; a second run continues where the
/// cache ends, so nothing is stored twice.
///
///     let fetcher = MarketDataFetcher(api: BybitAPI(), store: store, requester: requester)
///     let summary = try fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: start, to: nil)
///     let recent = try fetcher.closedCandles(symbol: "BTCUSDT", timeframe: tf, from: t0, to: nil)
public final class MarketDataFetcher {
  public let api: ExchangeAPI
  public let store: CandleStore
  public let requester: ExchangeRequester
  public var onProgress: ((FetchProgress) -> Void)?
  /// Whether to stop after the window in flight: Ctrl-C by default. Asked on the page worker's
  /// thread too; a test can stop one fetcher without touching the process-wide flag.
  public var stopRequested: @Sendable () -> Bool = { FetchInterrupt.requested != 0 }
  /// The exchange's clock as last synced.
  public private(set) var clock: ServerClock?
  /// Paces the open-interest and long/short requests, whose endpoints have their own (lower,
  /// on Binance) limit, on top of the requester's.
  public lazy var metricLimiter = RateLimiter(rate: api.metricRequestsPerSecond)

  public init(api: ExchangeAPI, store: CandleStore, requester: ExchangeRequester) {
    self.api = api
    self.store = store
    self.requester = requester
  }

  /// Measures the exchange's clock (one server-time request); the requester then reads the
  /// exchange's rate-limit reset times on that clock too.
  @discardableResult
  public func syncClock() throws -> ServerClock {
    let synced = try ServerClock.measure(api: api, requester: requester)
    clock = synced
    requester.serverClock = synced
    return synced
  }

  /// Fetches the closed candles of `[from, to)` that the cache lacks before its first or after
  /// its last candle (`to` defaults to, and is capped at, the last candle closed by the
  /// exchange's clock). Older history is fetched newest window first and newer history oldest
  /// window first, so an interrupted run always leaves one contiguous run for the next to extend.
  public func fetchKlines(symbol: String, timeframe tf: Timeframe, from: Int64, to: Int64?) throws
    -> FetchSummary
  {
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: tf)
    let (range, closedBy) = try closedRange(timeframe: tf, from: from, to: to)
    var summary = FetchSummary(
      from: range.lowerBound, to: range.upperBound, clock: clock, closedBy: closedBy)
    var windows: [Range<Int64>] = []
    if let first = try store.firstTime(series: series),
      let last = try store.lastTime(series: series)
    {
      windows += self.windows(
        range.clamped(to: range.lowerBound..<max(range.lowerBound, first)), tf, newestFirst: true)
      windows += self.windows(range.clamped(to: (last + tf.milliseconds)..<Int64.max), tf)
    } else {
      windows = self.windows(range, tf)
    }
    summary.candles = try fetchAndStore(
      series: series, windows: windows, closedBy: closedBy, replace: false, summary: &summary)
    return summary
  }

  /// The closed candles of `[from, to)` as the exchange serves them, without touching the cache
  /// (a live runner's backfill). `to` defaults to, and is capped at, the exchange's last closed
  /// candle.
  public func closedCandles(symbol: String, timeframe tf: Timeframe, from: Int64, to: Int64?)
    throws -> [Candle]
  {
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: tf)
    let (range, closedBy) = try closedRange(timeframe: tf, from: from, to: to)
    var candles: [Candle] = []
    for window in windows(range, tf) {
      candles += try closedCandles(series: series, in: window, closedBy: closedBy).candles
    }
    return candles
  }

  /// Re-fetches every gap the cache reports for a series.
  public func repair(symbol: String, timeframe tf: Timeframe) throws -> FetchSummary {
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: tf)
    let closedBy = try syncClock().earliestNow()
    var summary = FetchSummary(clock: clock, closedBy: closedBy)
    for gap in try store.gaps(series: series) {
      if stopRequested() { break }
      // Only what has closed on the exchange's clock (a cache may hold imported candles past it).
      let range = gap.from..<max(gap.from, min(gap.to, tf.floor(closedBy)))
      let got = try fetchAndStore(
        series: series, windows: windows(range, tf), closedBy: closedBy, replace: true,
        summary: &summary)
      summary.candles += got
      if got < gap.missingCandles {
        summary.unfilledGaps.append(
          CandleGap(from: gap.from, to: gap.to, missingCandles: gap.missingCandles - got))
      }
    }
    return summary
  }

  /// Fetches funding rates from `from` (or after the newest stored) up to the exchange's now
  /// into the funding table, window by window, each asked for until covered and then written.
  public func fetchFunding(symbol: String, from: Int64, to: Int64?) throws -> Int {
    guard api.fundingLimit > 0 else { return 0 }
    let now = try syncClock().earliestNow()
    var start = from
    if let last = try store.lastFundingTime(exchange: api.storageName, symbol: symbol),
      last + 1 > start
    {
      start = last + 1
    }
    let end = min(to ?? (now + 1), now + 1)  // a rate stamped by the exchange's now is settled
    guard start < end else { return 0 }
    let windowSize = Int64(api.fundingLimit) * FundingModelInterval.ms
    var total = 0
    var cursor = start
    while cursor < end, !stopRequested() {
      let window = cursor..<min(cursor + windowSize, end)
      let rates = try RangeCoverage.collect(window, step: 1, time: { (r: FundingRate) in r.time }) {
        part in
        let url = api.fundingURL(
          symbol: symbol, start: part.lowerBound, end: part.upperBound - 1,
          limit: api.fundingLimit)
        let rates = try parse(url) { try api.parseFunding($0) }
        try requireSomeInside(rates.map(\.time), part, url)
        return rates
      }
      try store.writeFunding(rates, exchange: api.storageName, symbol: symbol)
      total += rates.count
      cursor = window.upperBound
    }
    return total
  }

  // MARK: - Windows and pages

  /// Syncs the clock and turns `from`/`to` into aligned `[start, end)` with end at most the last
  /// candle closed by the exchange's clock, and that clock's earliest reading.
  func closedRange(timeframe tf: Timeframe, from: Int64, to: Int64?) throws -> (
    Range<Int64>, closedBy: Int64
  ) {
    let closedBy = try syncClock().earliestNow()
    let lastClosedEnd = tf.floor(closedBy)  // a candle is closed when its end is ≤ now
    let end = min(to ?? lastClosedEnd, lastClosedEnd)
    let start = tf.floor(from) == from ? from : tf.floor(from) + tf.milliseconds
    return (start..<max(start, end), closedBy)
  }

  /// `range` cut into windows of one full page each, oldest first; or newest first, cut from
  /// the top, so the window next to the cache's oldest candle is a full one.
  private func windows(_ range: Range<Int64>, _ tf: Timeframe, newestFirst: Bool = false)
    -> [Range<Int64>]
  {
    let size = Int64(api.klineLimit) * tf.milliseconds
    if newestFirst {
      return stride(from: range.upperBound, to: range.lowerBound, by: -Int(size)).map {
        max($0 - size, range.lowerBound)..<$0
      }
    }
    return stride(from: range.lowerBound, to: range.upperBound, by: Int(size)).map {
      $0..<min($0 + size, range.upperBound)
    }
  }

  /// Fetches `windows` in order on a worker thread while this thread writes each finished window
  /// (one transaction each). Returns the candles stored.
  private func fetchAndStore(
    series: SeriesKey, windows: [Range<Int64>], closedBy: Int64, replace: Bool,
    summary: inout FetchSummary
  ) throws -> Int {
    let total = windows.reduce(Int64(0)) { $0 + ($1.upperBound - $1.lowerBound) }
    let pipeline = PagePipeline()
    let worker = PageWorker(fetcher: self)
    let stopRequested = self.stopRequested
    pipeline.start { pipeline in
      for window in windows {
        if stopRequested() || pipeline.isCancelled { return }
        let page = Result {
          let got = try worker.fetcher.closedCandles(
            series: series, in: window, closedBy: closedBy)
          return PagePipeline.Page(window: window, candles: got.candles, requests: got.requests)
        }
        guard pipeline.push(page) else { return }
        if case .failure = page { return }
      }
    }
    defer { pipeline.stop() }
    var stored = 0
    var covered: Int64 = 0
    while let item = pipeline.next() {
      // Ctrl-C: the window in flight was written; windows fetched ahead are dropped, not half-kept.
      if stopRequested() { break }
      let page = try item.get()
      summary.requests += page.requests
      try store.write(page.candles, series: series, replace: replace)
      stored += page.candles.count
      covered += page.window.upperBound - page.window.lowerBound
      onProgress?(
        FetchProgress(
          stored: summary.candles + stored, position: page.window.upperBound, covered: covered,
          total: total))
    }
    if stopRequested() { summary.interrupted = true }
    return stored
  }

  /// One window's closed candles, oldest first, once each: asked for until the answers cover
  /// the window.
  func closedCandles(series: SeriesKey, in window: Range<Int64>, closedBy: Int64) throws -> (
    candles: [Candle], requests: Int
  ) {
    var requests = 0
    let candles = try RangeCoverage.collect(
      window, step: series.timeframe.milliseconds, time: { (c: Candle) in c.time }
    ) { part in
      requests += 1
      return try klines(series: series, in: part, closedBy: closedBy)
    }
    return (candles, requests)
  }

  /// One kline request for `part`: the rows inside it that are closed by `closedBy` (the
  /// exchange also lists the forming candle), each checked for sanity and alignment.
  private func klines(series: SeriesKey, in part: Range<Int64>, closedBy: Int64) throws
    -> [Candle]
  {
    let tf = series.timeframe.milliseconds
    let url = try api.klinesURL(
      symbol: series.symbol, timeframe: series.timeframe, start: part.lowerBound,
      end: part.upperBound - 1, limit: api.klineLimit)
    let rows = try parse(url) { try api.parseKlines($0) }
    try requireSomeInside(rows.map(\.time), part, url)
    var kept: [Candle] = []
    kept.reserveCapacity(rows.count)
    for c in rows where part.contains(c.time) && c.time + tf <= closedBy {
      if let reason = c.invalidReason {
        throw WickError.exchange(
          "GET \(url): candle at \(UTCTime.iso(c.time)) is invalid: \(reason)")
      }
      // Dropping it would leave a hole nobody could repair.
      guard series.timeframe.isAligned(c.time) else {
        throw WickError.exchange(
          "GET \(url): candle at \(UTCTime.iso(c.time)) does not open on a \(series.timeframe) boundary (\(series.timeframe) candles open \(series.timeframe.alignment))"
        )
      }
      kept.append(c)
    }
    return kept
  }

  /// An answer with rows but none inside the range asked for says nothing about that range:
  /// taking it for "no data here" would leave a silent hole, and asking again gets the same.
  func requireSomeInside(_ times: [Int64], _ part: Range<Int64>, _ url: String) throws {
    guard let first = times.first, !times.contains(where: part.contains) else { return }
    throw WickError.exchange(
      "GET \(url): the exchange answered \(times.count) rows, none inside the requested range (the first at \(UTCTime.iso(first)))"
    )
  }

  /// GETs and parses; a body that is not what the exchange documents is an error naming the request.
  func parse<T>(_ url: String, _ extract: (JSONDocument) throws -> T) throws -> T {
    let response = try requester.get(url, retryableBody: api.retryableBody)
    do {
      return try extract(try JSONDocument(response.body))
    } catch let e as JSONDocument.Malformed {
      throw WickError.exchange("GET \(url): malformed response: \(e.reason) at byte \(e.offset)")
    } catch let e as ShapeError {
      throw WickError.exchange("GET \(url): unexpected response: \(e.reason)")
    } catch let e as WickError {
      throw WickError.exchange("GET \(url): \(e)")
    }
  }
}

/// The fetcher as the page worker thread uses it: only that thread touches the HTTP client while
/// a range is being fetched (the caller waits for it before using the client again).
private final class PageWorker: @unchecked Sendable {
  let fetcher: MarketDataFetcher
  init(fetcher: MarketDataFetcher) { self.fetcher = fetcher }
}

/// Funding windows are sized for the usual 8-hour interval; symbols that settle more often
/// simply take more pages per window (`RangeCoverage` asks until each window is covered).
enum FundingModelInterval {
  static let ms: Int64 = 8 * 3_600_000
}
