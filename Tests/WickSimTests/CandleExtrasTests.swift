import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// `c.open_interest`, `c.long_short_ratio`, `c.liquidations_long`, `c.liquidations_short`:
/// the value known at the candle's close, nil where nothing is stored (never 0), and no value
/// from after the close (the lookahead perturbation test).
@Suite struct CandleExtrasTests {
  static let script = """
    return {
      name = "extras", symbols = { "BTCUSDT" }, warmup = 1,
      on_candle = function(ctx, c)
        ctx:log(c.t, tostring(c.open_interest), tostring(c.long_short_ratio),
          tostring(c.liquidations_long), tostring(c.liquidations_short))
      end,
    }
    """
  static let t0: Int64 = 1_704_067_200_000
  static let tf: Int64 = 900_000  // 15m candles

  func candles(_ n: Int = 96) -> [Candle] {
    (0..<n).map { i in
      Candle(
        time: Self.t0 + Int64(i) * Self.tf, open: 100, high: 101, low: 99, close: 100, volume: 1)
    }
  }

  /// Open interest every 5m from candle 8 on (with a hole over candles 40-43), the ratio every
  /// 15m, liquidations recorded over candles 20-59 with one liquidation per 7th minute.
  func extras(perturbFrom cut: Int64? = nil) -> CandleExtras {
    func v(_ t: Int64, _ base: Double) -> Double {
      base + Double((t - Self.t0) / 60_000) + ((cut.map { t > $0 } ?? false) ? 1_000 : 0)
    }
    let oi = stride(from: Self.t0 + 8 * Self.tf, to: Self.t0 + 96 * Self.tf, by: 300_000)
      .filter { $0 < Self.t0 + 40 * Self.tf || $0 > Self.t0 + 44 * Self.tf }
      .map { MetricSample(time: $0, value: v($0, 50_000)) }
    let ls = stride(from: Self.t0, to: Self.t0 + 96 * Self.tf, by: Int(Self.tf))
      .map { MetricSample(time: $0, value: v($0, 1) / 1_000) }
    let from = Self.t0 + 20 * Self.tf
    let to = Self.t0 + 60 * Self.tf
    let buckets = stride(from: from, to: to, by: 7 * 60_000).map {
      LiquidationBucket(
        time: $0, count: 1, longNotional: v($0, 10), shortNotional: v($0, 20) / 2)
    }
    return CandleExtras(symbols: [
      CandleExtras.Symbol(
        openInterest: .init(oi, interval: 300_000), longShortRatio: .init(ls, interval: Self.tf),
        liquidations: .init(buckets: buckets, coverage: [from..<to]))
    ])
  }

  func run(_ extras: CandleExtras?) throws -> [[String]] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "extras-\(UUID().uuidString).lua")
    try Self.script.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let strategy = try LuaStrategy(path: url.path)
    let config = BacktestConfig(
      strategyName: strategy.name, timeframe: Timeframe(milliseconds: Self.tf), historyDepth: 1)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    engine.kernel.candleExtras = extras
    let r = try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles())]))
    #expect(r.error == nil, "\(r.error ?? "")")
    return strategy.logs.map { $0.split(separator: " ").dropFirst().map(String.init) }
  }

  @Test func valuesAreThoseKnownAtTheCloseAndNilWhereNothingIsStored() throws {
    let lines = try run(extras())
    #expect(lines.count == 96)
    func close(_ i: Int) -> Int64 { Self.t0 + Int64(i + 1) * Self.tf }
    func minutes(_ t: Int64) -> Double { Double((t - Self.t0) / 60_000) }
    // Before the first sample: nil, not 0.
    #expect(lines[0][1] == "nil" && lines[6][1] == "nil")
    // Candle 7 closes at 8 × 15m: the first open-interest sample is stamped at its close.
    #expect(lines[7][1] == "\(50_000 + minutes(close(7)))")
    #expect(lines[30][1] == "\(50_000 + minutes(close(30)))")
    // The hole (no sample within one 5m interval of the close) reads nil, not the last value.
    #expect(lines[40][1] == "nil" && lines[42][1] == "nil")
    #expect(lines[44][1] != "nil")
    // The ratio, stamped every 15m: the one at the close.
    #expect(lines[10][2] == "\((1 + minutes(close(10))) / 1_000)")
    // Liquidations: unknown outside the recorded span (even partly), sums inside, 0 only
    // where a recorder listened and nothing was liquidated.
    #expect(lines[19][3] == "nil" && lines[60][3] == "nil" && lines[0][4] == "nil")
    for i in 20..<60 {
      let open = Self.t0 + Int64(i) * Self.tf
      let ts = stride(from: Self.t0 + 20 * Self.tf, to: Self.t0 + 60 * Self.tf, by: 420_000)
        .filter { $0 >= open && $0 < open + Self.tf }
      let long = ts.reduce(0.0) { $0 + 10 + minutes($1) }
      let short = ts.reduce(0.0) { $0 + (20 + minutes($1)) / 2 }
      #expect(Double(lines[i][3]) == long, "candle \(i)")
      #expect(Double(lines[i][4]) == short, "candle \(i)")
    }
  }

  @Test func aRunWithoutTheSeriesSeesNil() throws {
    let lines = try run(nil)
    #expect(lines.allSatisfy { $0[1...4].allSatisfy { $0 == "nil" } })
    let empty = try run(CandleExtras(symbols: [CandleExtras.Symbol()]))
    #expect(empty.allSatisfy { $0[1...4].allSatisfy { $0 == "nil" } })
  }

  /// The lookahead perturbation test for the four fields: changing every sample and bucket
  /// after candle k's close leaves every value seen up to candle k unchanged.
  @Test func perturbingLaterSamplesChangesNothingBefore() throws {
    let cutCandle = 30
    let cut = Self.t0 + Int64(cutCandle + 1) * Self.tf  // candle 30's close
    let a = try run(extras())
    let b = try run(extras(perturbFrom: cut))
    #expect(Array(a[...cutCandle]) == Array(b[...cutCandle]))
    for field in 1...4 {
      #expect(
        (cutCandle + 1..<96).contains { a[$0][field] != b[$0][field] },
        "field \(field) changed later")
    }
  }
}
