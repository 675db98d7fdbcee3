import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// Paper (and live: the same runner) strategies read `c.open_interest` and the liquidation
/// fields as a backtest does, topped up from the cache before each candle: what a scheduled
/// `wick data fetch --open-interest` or a `wick data record --liquidations` beside the run stored.
@Suite(.serialized) struct PaperExtrasTests {
  static let script = """
    return {
      name = "extras", symbols = { "BTCUSDT" }, timeframe = "1m", warmup = 1,
      on_candle = function(ctx, c)
        ctx:log("X", c.t, tostring(c.open_interest), tostring(c.liquidations_long))
      end,
    }
    """

  @Test func aPaperRunReadsTheCachedSeriesAndWhatArrivesWhileItRuns() async throws {
    let w = try PaperWorld(script: Self.script)
    let store = try CandleStore(path: w.db)
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    // Open interest every 5m over the session's first half only.
    let first = fiveMinutes.floor(w.candles[w.history].time)
    let oi = (0..<3).map {
      MetricSample(time: first + Int64($0) * 300_000, value: Double(1_000 + $0))
    }
    try store.writeMetric(
      .openInterest, oi,
      series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: fiveMinutes))
    let t = { (i: Int) in w.candles[i].time }
    let h = w.history
    try store.recordLiquidations(
      [LiquidationBucket(time: t(h + 2), count: 1, longNotional: 42)], exchange: "bybit",
      symbol: "BTCUSDT", from: t(h), to: t(h + 4))

    let lines = LineLog()
    let runner = try Runner(spec: w.spec(stopAfter: 10), output: { lines.append($0) })
    _ = try runner.prepare()
    let finished = start(runner)
    await w.push(h..<(h + 4))
    #expect(await eventually { lines.values.filter { $0.contains(" X ") }.count >= 4 })
    // Recorded while the run is going: seen by the candles after it.
    try store.recordLiquidations(
      [LiquidationBucket(time: t(h + 7), count: 2, longNotional: 7)], exchange: "bybit",
      symbol: "BTCUSDT", from: t(h + 6), to: t(h + 8))
    await w.push((h + 4)..<(h + 10))
    #expect(try await finished().get() == .stopAfter)

    var seen: [Int64: (oi: String, long: String)] = [:]
    for line in lines.values where line.contains(" X ") {
      let parts = line.split(separator: " ").map(String.init)
      guard let x = parts.firstIndex(of: "X"), parts.count > x + 3, let time = Int64(parts[x + 1])
      else { continue }
      seen[time] = (parts[x + 2], parts[x + 3])
    }
    for i in h..<(h + 10) {
      let close = t(i) + 60_000
      let sample = oi.last { $0.time <= close && close - $0.time < 300_000 }
      let got = try #require(seen[t(i)], "candle \(i) was logged")
      #expect(got.oi == (sample.map { "\($0.value)" } ?? "nil"), "candle \(i)")
      let long: String =
        switch i - h {
        case 2: "42.0"
        case 7: "7.0"
        case 0, 1, 3, 6: "0.0"
        default: "nil"
        }
      #expect(got.long == long, "candle \(i)")
    }
  }
}

private final class LineLog: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var values: [String] { lock.withLock { lines } }
}

/// `wick run --record-liquidations`: the run subscribes to the liquidation stream beside its
/// candles, and stopping the run stops the recorder.
@Suite(.serialized) struct RunRecordsLiquidationsTests {
  @Test func theRunSubscribesAndStopsItsRecorder() async throws {
    let w = try PaperWorld(script: PaperExtrasTests.script)
    var spec = w.spec(stopAfter: 3)
    spec.recordLiquidations = true
    let lines = RecordingLines()
    let runner = try Runner(spec: spec, output: { lines.append($0) })
    _ = try runner.prepare()
    let finished = start(runner)
    #expect(await eventually { w.ws.openClients >= 2 })
    #expect(
      await eventually { w.ws.messages.contains { $0.contains("\"allLiquidation.BTCUSDT\"") } })
    await w.push(w.history..<(w.history + 3))
    #expect(try await finished().get() == .stopAfter)
    #expect(lines.values.contains { $0.hasPrefix("recording liquidations of BTCUSDT") })
    #expect(await eventually { w.ws.openClients == 0 })
  }
}

private final class RecordingLines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var values: [String] { lock.withLock { lines } }
}
