import Foundation
import Testing
import WickCore

@testable import WickData

/// A runner's market-stats series read incrementally (`MarketStatsFollower`) give every candle
/// the values a fresh load of the same cache gives (what a backtest or a replay reads), while
/// rows arrive between candles: new samples, an extended and a new recorded span, new minutes,
/// and a series that first appears mid-run; across days, so old rows are trimmed.
@Suite struct MarketStatsFollowerTests {
  static let t0: Int64 = 1_704_067_200_000
  static let minute: Int64 = 60_000

  @Test func incrementalReadsEqualAFreshLoadCandleByCandle() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-follow-\(UUID().uuidString)")
    defer { try? FileManager.default.removeItem(at: dir) }
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let store = try CandleStore(path: dir.appendingPathComponent("c.sqlite").path)
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    let keys = ["BTCUSDT", "ETHUSDT"].map {
      SeriesKey(exchange: "bybit", symbol: $0, timeframe: fiveMinutes)
    }
    func oiKey(_ s: String, _ tf: Timeframe) -> SeriesKey {
      SeriesKey(exchange: "bybit", symbol: s, timeframe: tf)
    }
    // Before the run: a day of 5m open interest for BTC, recorded liquidations with a gap.
    let t = { (m: Int64) in Self.t0 + m * Self.minute }
    try store.writeMetric(
      .openInterest, (0..<288).map { MetricSample(time: t(Int64($0) * 5), value: Double($0)) },
      series: oiKey("BTCUSDT", fiveMinutes))
    try store.recordLiquidations(
      [LiquidationBucket(time: t(3), count: 1, longNotional: 10)], exchange: "bybit",
      symbol: "BTCUSDT", from: t(0), to: t(100))
    try store.recordLiquidations(
      [], exchange: "bybit", symbol: "BTCUSDT", from: t(120), to: t(1_440))

    let extras = CandleExtras(symbols: keys.map { _ in CandleExtras.Symbol() })
    let follower = MarketStatsFollower(store: store, keys: keys, extras: extras)
    var rng = SplitMix(seed: 5)
    var checked = 0
    // Three and a half days of 5m candles.
    var m: Int64 = 1_440
    while m < 1_440 * 4 + 720 {
      // What arrives before this candle: the recorder's minutes up to its close, a new OI
      // sample every 5 minutes, ETH's long/short ratio from day 2 on (a series new mid-run).
      let close = t(m + 5)
      let long = rng.next() % 3 == 0 ? Double(rng.next() % 1_000) : 0
      try store.recordLiquidations(
        long > 0 ? [LiquidationBucket(time: t(m + 2), count: 1, longNotional: long)] : [],
        exchange: "bybit", symbol: "BTCUSDT", from: t(m), to: close)
      do {
        try store.writeMetric(
          .openInterest, [MetricSample(time: t(m), value: Double(m))],
          series: oiKey("BTCUSDT", fiveMinutes))
      }
      if m >= 2_880, m % 60 == 0 {
        try store.writeMetric(
          .longShortRatio, [MetricSample(time: t(m), value: 1 + Double(m % 7) / 10)],
          series: oiKey("ETHUSDT", Timeframe(milliseconds: 3_600_000)))
      }
      if m == 3_000 {
        // A gap while the recorder was down, then a new span.
        m += 30
        continue
      }
      try follower.refresh(through: t(m))
      if m % 35 == 0 || m == 3_030 {
        let fresh = try #require(try store.candleExtras(series: keys))
        for s in 0..<2 {
          let a = extras.values(symbol: s, open: t(m), close: close)
          let b = fresh.values(symbol: s, open: t(m), close: close)
          #expect(Self.same(a, b), "symbol \(s) at minute \(m): \(a) vs \(b)")
          // A 1m candle at the end reads the same too.
          let a1 = extras.values(symbol: s, open: close - Self.minute, close: close)
          let b1 = fresh.values(symbol: s, open: close - Self.minute, close: close)
          #expect(Self.same(a1, b1), "1m at minute \(m)")
        }
        checked += 1
      }
      m += 5
    }
    #expect(checked > 100)
    // The series that appeared mid-run is read, and the gap stays unknown.
    #expect(!extras.values(symbol: 1, open: t(4_000), close: t(4_005)).longShortRatio.isNaN)
    #expect(extras.values(symbol: 0, open: t(3_010), close: t(3_015)).liquidationsLong.isNaN)
  }

  static func same(_ a: CandleExtras.Values, _ b: CandleExtras.Values) -> Bool {
    func eq(_ x: Double, _ y: Double) -> Bool { (x.isNaN && y.isNaN) || x == y }
    return eq(a.openInterest, b.openInterest) && eq(a.longShortRatio, b.longShortRatio)
      && eq(a.liquidationsLong, b.liquidationsLong) && eq(a.liquidationsShort, b.liquidationsShort)
  }
}

/// A seeded generator (SplitMix64), so the test is the same every run.
private struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
