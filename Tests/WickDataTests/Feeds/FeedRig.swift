import Foundation
import WickCore
import WickTesting

@testable import WickData

/// A fetcher on a fresh cache talking to `mock`, with every wait (backoff, Retry-After, the rate
/// limiter's quota blocks) recorded instead of slept.
final class FeedRig {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-feeds-\(UUID().uuidString)")
  let store: CandleStore
  let fetcher: MarketDataFetcher
  let requester: ExchangeRequester
  private let waits = WaitLog()
  var sleeps: [TimeInterval] { waits.seconds }

  init(mock: MockExchange, api: ExchangeAPI, attempts: Int = 4, timeout: TimeInterval = 2) throws {
    store = try CandleStore(path: dir.appendingPathComponent("c.sqlite").path)
    let client = try CurlHTTPClient(connectTimeout: 1, totalTimeout: timeout)
    let waits = self.waits
    requester = ExchangeRequester(
      transport: client,
      limiter: RateLimiter(rate: 1_000, sleep: { waits.seconds.append($0) }),
      retry: RetryPolicy(maxAttempts: attempts, baseDelay: 0.001),
      sleep: { waits.seconds.append($0) })
    fetcher = MarketDataFetcher(api: api, store: store, requester: requester)
    fetcher.metricLimiter = RateLimiter(rate: 1_000, sleep: { waits.seconds.append($0) })
  }

  convenience init(mock: MockExchange, exchange: String, attempts: Int = 4) throws {
    try self.init(mock: mock, api: feedAPI(exchange, mock), attempts: attempts)
  }

  /// BTCUSDT 1m (or `tf`) candles from `from` up to the exchange's last closed one (or `to`).
  func fetch(from: Int64, to: Int64? = nil, _ tf: Timeframe = .oneMinute) throws -> FetchSummary {
    try fetcher.fetchKlines(symbol: "BTCUSDT", timeframe: tf, from: from, to: to)
  }

  /// `fetch(from:)` stopped as Ctrl-C would stop it, once `windows` windows are written (this
  /// fetcher only: other suites' fetches run at the same time).
  func fetchInterrupted(afterWindows windows: Int, from: Int64) throws -> FetchSummary {
    let stop = StopFlag()
    var written = 0
    fetcher.stopRequested = { stop.isSet }
    fetcher.onProgress = { _ in
      written += 1
      if written == windows { stop.set() }
    }
    defer {
      fetcher.stopRequested = { false }
      fetcher.onProgress = nil
    }
    return try fetch(from: from)
  }

  /// The BTCUSDT candles stored for this exchange (or `exchange`), in time order.
  func stored(_ exchange: String? = nil, _ tf: Timeframe = .oneMinute) throws -> [Candle] {
    let c = try store.cursor(
      series: SeriesKey(
        exchange: exchange ?? fetcher.api.storageName, symbol: "BTCUSDT", timeframe: tf))
    var out: [Candle] = []
    while let x = try c.next() { out.append(x) }
    return out
  }

  deinit { try? FileManager.default.removeItem(at: dir) }
}

private final class StopFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var value = false
  var isSet: Bool { lock.withLock { value } }
  func set() { lock.withLock { value = true } }
}

private final class WaitLog: @unchecked Sendable {
  var seconds: [TimeInterval] = []
}

/// Bybit linear, Binance spot (`binance-spot`) or Binance USDT-M futures on the mock.
func feedAPI(_ exchange: String, _ mock: MockExchange) -> ExchangeAPI {
  switch exchange {
  case "bybit": BybitAPI(baseURL: mock.baseURL)
  case "binance-spot": BinanceAPI(market: .spot, baseURL: mock.baseURL)
  default: BinanceAPI(baseURL: mock.baseURL)
  }
}

/// `n` synthetic 1m candles (or of `tf`) from `start`.
func syntheticCandles(
  _ n: Int, seed: UInt64 = 3, timeframe tf: Timeframe = .oneMinute,
  start: Int64 = CandleSynthesizer.defaultStart
) -> [Candle] {
  var s = CandleSynthesizer(seed: seed, timeframe: tf, start: start)
  return (0..<n).map { _ in s.next() }
}
