import Foundation
import WickCore

/// Set by the SIGINT handler: fetch loops stop after the page in flight, leaving the cache
/// consistent (each page is its own transaction) for the next run to continue.
public enum FetchInterrupt {
  nonisolated(unsafe) public static var requested: sig_atomic_t = 0
}

/// How far a fetch got, for the progress display.
public struct FetchProgress: Sendable {
  public var stored: Int
  public var position: Int64
  public var from: Int64
  public var to: Int64
  public var fraction: Double {
    to > from ? min(1, Double(position - from) / Double(to - from)) : 1
  }
}

/// What a fetch did.
public struct FetchSummary: Sendable, Equatable {
  public var candles = 0
  public var fundingRates = 0
  public var requests = 0
  public var from: Int64 = 0
  public var to: Int64 = 0
  public var interrupted = false
  /// Gaps the exchange itself has no data for (repair reports them instead of looping).
  public var unfilledGaps: [CandleGap] = []
}

/// Downloads klines and funding rates page by page into the candle cache: incremental (starts
/// after the newest stored candle), closed candles only, each page one transaction.
public final class MarketDataFetcher {
  public let api: ExchangeAPI
  public let store: CandleStore
  public let requester: ExchangeRequester
  /// Epoch ms "now" (server time when synced); candles not closed by then are dropped.
  public var now: () -> Int64
  public var onProgress: ((FetchProgress) -> Void)?

  public init(
    api: ExchangeAPI, store: CandleStore, requester: ExchangeRequester,
    now: @escaping () -> Int64 = {
      Int64(Date().timeIntervalSince1970 * 1000)
    }
  ) {
    self.api = api
    self.store = store
    self.requester = requester
    self.now = now
  }

  /// Fetches `[from, to)` (to defaults to the last closed candle), skipping what is stored.
  public func fetchKlines(symbol: String, timeframe tf: Timeframe, from: Int64, to: Int64?) throws
    -> FetchSummary
  {
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: tf)
    let lastClosedEnd = tf.floor(now())  // a candle is closed when its end is ≤ now
    let end = min(to ?? lastClosedEnd, lastClosedEnd)
    var start = tf.floor(from) == from ? from : tf.floor(from) + tf.milliseconds
    if let last = try store.lastTime(series: series), last + tf.milliseconds > start {
      start = last + tf.milliseconds
    }
    var summary = FetchSummary(from: start, to: end)
    summary.candles = try fetchRange(
      series: series, from: start, to: end, replace: false, summary: &summary)
    return summary
  }

  /// Re-fetches every gap the cache reports for a series.
  public func repair(symbol: String, timeframe tf: Timeframe) throws -> FetchSummary {
    let series = SeriesKey(exchange: api.storageName, symbol: symbol, timeframe: tf)
    var summary = FetchSummary()
    for gap in try store.gaps(series: series) {
      if FetchInterrupt.requested != 0 { break }
      let got = try fetchRange(
        series: series, from: gap.from, to: gap.to, replace: true, summary: &summary)
      summary.candles += got
      if got < gap.missingCandles {
        summary.unfilledGaps.append(
          CandleGap(from: gap.from, to: gap.to, missingCandles: gap.missingCandles - got))
      }
    }
    return summary
  }

  private func fetchRange(
    series: SeriesKey, from: Int64, to: Int64, replace: Bool, summary: inout FetchSummary
  ) throws -> Int {
    let tf = series.timeframe.milliseconds
    let closedBy = now()
    let pipeline = PagePipeline()
    let worker = PageWorker(fetcher: self)
    pipeline.start { pipeline in
      var cursor = from
      while cursor < to, FetchInterrupt.requested == 0, !pipeline.isCancelled {
        let windowEnd = min(cursor + Int64(worker.fetcher.api.klineLimit) * tf, to)
        let page = Result {
          try worker.fetcher.page(series: series, from: cursor, to: windowEnd, closedBy: closedBy)
        }
        guard pipeline.push(page.map { PagePipeline.Page(windowEnd: windowEnd, candles: $0) })
        else { return }
        if case .failure = page { return }
        cursor = windowEnd
      }
    }
    defer { pipeline.stop() }
    var stored = 0
    while let item = pipeline.next() {
      // Ctrl-C: the page in flight was written; pages fetched ahead are dropped, not half-kept.
      if FetchInterrupt.requested != 0 { break }
      let page = try item.get()
      summary.requests += 1
      if !page.candles.isEmpty { try store.write(page.candles, series: series, replace: replace) }
      stored += page.candles.count
      onProgress?(
        FetchProgress(
          stored: summary.candles + stored, position: page.windowEnd, from: summary.from,
          to: summary.to))
    }
    if FetchInterrupt.requested != 0 { summary.interrupted = true }
    return stored
  }

  /// One window's candles: requested, parsed and cleaned. Pages come newest-first (Bybit) or
  /// oldest-first (Binance), may repeat the boundary candle or still contain the forming one:
  /// keep closed, aligned candles of this window, once each, in time order.
  func page(series: SeriesKey, from: Int64, to: Int64, closedBy: Int64) throws -> [Candle] {
    let tf = series.timeframe.milliseconds
    let url = try api.klinesURL(
      symbol: series.symbol, timeframe: series.timeframe, start: from, end: to - 1,
      limit: api.klineLimit)
    var candles = try parse(url) { try api.parseKlines($0) }.filter {
      $0.time >= from && $0.time < to && $0.time % tf == 0 && $0.time + tf <= closedBy
    }
    candles.sort { $0.time < $1.time }
    var unique: [Candle] = []
    unique.reserveCapacity(candles.count)
    for c in candles where unique.last?.time != c.time { unique.append(c) }
    if let bad = unique.first(where: { $0.invalidReason != nil }) {
      throw WickError.exchange(
        "GET \(url): candle at \(UTCTime.iso(bad.time)) is invalid: \(bad.invalidReason!)")
    }
    return unique
  }

  /// Fetches funding rates from `from` (or after the newest stored) to now into the funding table.
  public func fetchFunding(symbol: String, from: Int64, to: Int64?) throws -> Int {
    guard api.fundingLimit > 0 else { return 0 }
    let interval = FundingModelInterval.ms
    var cursor = from
    if let last = try store.lastFundingTime(exchange: api.storageName, symbol: symbol),
      last + 1 > cursor
    {
      cursor = last + 1
    }
    let end = min(to ?? now(), now())
    var total = 0
    while cursor < end, FetchInterrupt.requested == 0 {
      let windowEnd = min(cursor + Int64(api.fundingLimit) * interval, end)
      let url = api.fundingURL(
        symbol: symbol, start: cursor, end: windowEnd - 1, limit: api.fundingLimit)
      let rates = try parse(url) { try api.parseFunding($0) }.filter {
        $0.time >= cursor && $0.time < windowEnd
      }
      if !rates.isEmpty {
        try store.writeFunding(
          rates.sorted { $0.time < $1.time }, exchange: api.storageName, symbol: symbol)
      }
      total += rates.count
      cursor = windowEnd
    }
    return total
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

/// Funding is paid every 8 hours on both exchanges.
enum FundingModelInterval {
  static let ms: Int64 = 8 * 3_600_000
}

/// The exchange's clock: `offset` = server − local, measured at the midpoint of the round trip,
/// so the live runner can tell when a candle has closed by the exchange's time.
public struct ServerClock: Sendable {
  public var offsetMilliseconds: Int64
  public var roundTripMilliseconds: Int64

  public static func measure(api: ExchangeAPI, requester: ExchangeRequester) throws -> ServerClock {
    let before = Int64(Date().timeIntervalSince1970 * 1000)
    let response = try requester.get(api.serverTimeURL)
    let after = Int64(Date().timeIntervalSince1970 * 1000)
    let server: Int64
    do {
      server = try api.parseServerTime(try JSONDocument(response.body))
    } catch {
      throw WickError.exchange("GET \(api.serverTimeURL): unexpected response: \(error)")
    }
    return ServerClock(
      offsetMilliseconds: server - (before + after) / 2, roundTripMilliseconds: after - before)
  }

  /// Now on the exchange's clock, epoch ms.
  public func now() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) + offsetMilliseconds }
}
