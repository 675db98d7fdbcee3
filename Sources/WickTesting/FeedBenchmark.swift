import Foundation
import WickCore
import WickData

/// `make bench`'s feed figure: candles per second fetched, parsed and stored from a loopback
/// mock exchange (so the network is not the limit being measured).
public enum FeedBenchmark {
  public static func run(candles count: Int) throws -> Double {
    var synth = CandleSynthesizer(seed: 11, timeframe: .oneMinute)
    // Served as an exchange sends them: prices on BTCUSDT's 0.1 tick, volume to 0.001 (rounding
    // to one grid keeps high ≥ max(open, close) and low ≤ min(open, close)).
    // Dividing by the scale (not multiplying by the step) gives the double nearest the decimal.
    func tick(_ x: Double, _ step: Double) -> Double { (x / step).rounded() / (1 / step).rounded() }
    let candles = (0..<count).map { _ -> Candle in
      let c = synth.next()
      return Candle(
        time: c.time, open: tick(c.open, 0.1), high: tick(c.high, 0.1), low: tick(c.low, 0.1),
        close: tick(c.close, 0.1),
        volume: tick(c.volume, 0.001))
    }
    let mock = try MockExchange(candles: candles, timeframe: .oneMinute)
    defer { mock.stop() }
    mock.prerenderRows(.binance)
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-feed-bench-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try CandleStore(path: dir.appendingPathComponent("f.sqlite").path)
    let api = BinanceAPI(market: .futures, baseURL: mock.baseURL)
    let requester = ExchangeRequester(
      transport: try CurlHTTPClient(), limiter: RateLimiter(rate: 10_000))
    let fetcher = MarketDataFetcher(api: api, store: store, requester: requester)
    let start = DispatchTime.now().uptimeNanoseconds
    let summary = try fetcher.fetchKlines(
      symbol: "BTCUSDT", timeframe: .oneMinute, from: candles[0].time, to: nil)
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    guard summary.candles == count else {
      throw WickError.data("feed bench stored \(summary.candles) of \(count)")
    }
    return Double(count) / seconds
  }
}
