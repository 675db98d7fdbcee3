import Foundation
import WickCore
import WickData

/// A paper or live run's per-candle read of its market-stats series (open interest, long/short,
/// liquidations) from the cache: the old full re-read of two days before every candle against
/// `MarketStatsFollower`'s incremental one, over the same cache with one recorded minute and
/// (every fifth candle) one open-interest sample arriving per candle.
enum MarketStatsBenchmark {
  static func run(work: URL, candles: Int = 600) throws {
    let store = try CandleStore(path: work.appendingPathComponent("stats.sqlite").path)
    let t0: Int64 = 1_704_067_200_000
    let minute: Int64 = 60_000
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    let oi = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: fiveMinutes)
    let key = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    let history: Int64 = 2 * 1_440
    try store.writeMetric(
      .openInterest,
      (0..<(history / 5)).map { MetricSample(time: t0 + $0 * 5 * minute, value: Double($0)) },
      series: oi)
    try store.recordLiquidations(
      (0..<history).filter { $0 % 3 == 0 }.map {
        LiquidationBucket(time: t0 + $0 * minute, count: 1, longNotional: Double($0))
      }, exchange: "bybit", symbol: "BTCUSDT", from: t0, to: t0 + history * minute)
    let extras = CandleExtras(symbols: [CandleExtras.Symbol()])
    let follower = MarketStatsFollower(store: store, keys: [key], extras: extras)
    var full: UInt64 = 0
    var incremental: UInt64 = 0
    var checksum = 0.0
    for i in 0..<Int64(candles) {
      let m = history + i
      let time = t0 + m * minute
      try store.recordLiquidations(
        [LiquidationBucket(time: time, count: 1, longNotional: 1)], exchange: "bybit",
        symbol: "BTCUSDT", from: time, to: time + minute)
      if m % 5 == 0 {
        try store.writeMetric(.openInterest, [MetricSample(time: time, value: 1)], series: oi)
      }
      var start = DispatchTime.now().uptimeNanoseconds
      let loaded = try store.candleExtras(
        series: [key], from: time - 2 * 86_400_000, to: time + minute)
      let old = CandleExtras(symbols: [CandleExtras.Symbol()])
      old.replace(with: loaded ?? old)
      full += DispatchTime.now().uptimeNanoseconds - start
      start = DispatchTime.now().uptimeNanoseconds
      try follower.refresh(through: time)
      incremental += DispatchTime.now().uptimeNanoseconds - start
      let a = old.values(symbol: 0, open: time, close: time + minute)
      let b = extras.values(symbol: 0, open: time, close: time + minute)
      let same = { (x: Double, y: Double) in x == y || (x.isNaN && y.isNaN) }
      guard same(a.openInterest, b.openInterest), same(a.liquidationsLong, b.liquidationsLong),
        same(a.liquidationsShort, b.liquidationsShort)
      else {
        throw WickError.data("market stats bench: the two reads differ at \(UTCTime.iso(time))")
      }
      checksum += b.liquidationsLong
    }
    let perCandle = { (ns: UInt64) in Double(ns) / Double(candles) / 1_000 }
    line(
      "market stats read per live candle", String(format: "%.0f µs", perCandle(incremental)),
      String(
        format: "full two-day re-read %.0f µs; 1 symbol, 1m liquidations + 5m OI, %d candles",
        perCandle(full), candles))
    if checksum.isNaN { print("") }
  }
}
