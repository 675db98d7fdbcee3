import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// Paper (and live: the same runner) strategies with several timeframes take their higher
/// candles from the exchange's own kline stream (`kline.5.SYMBOL`, confirmed only), falling back
/// to the candle resampled from the base series when the stream's is missing or late, and
/// `wick replay` delivers the very same candles.
@Suite(.serialized) struct HigherKlineStreamTests {
  static let script = """
    return {
      name = "htf", timeframes = { "1m", "5m" }, symbols = { "BTCUSDT" },
      warmup = { ["1m"] = 2, ["5m"] = 1 },
      on_candle = function(ctx, c)
        ctx:log("H", c.timeframe, c.t, c.close, c.volume)
        if c.timeframe ~= "5m" then return end
        if ctx:position(c.symbol) then
          ctx:exit{ symbol = c.symbol, reason = "5m flip" }
        elseif c.volume > 700 and c.volume < 800 then
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9 }
        end
      end,
    }
    """

  @Test func theStreamsCandleIsUsedAFormingOneIgnoredAMissingOneResampled() async throws {
    let w = try PaperWorld(script: Self.script)
    let lines = Lines()
    let runner = try Runner(spec: w.spec(stopAfter: 20), output: { lines.append($0) })
    // Under ThreadSanitizer the stream's 5m candle took longer than 1 s to arrive.
    runner.higherKlineGrace = testTimeScale
    let id = try runner.prepare()
    let finished = start(runner)
    // The base stream and the 5m stream both subscribed.
    #expect(await eventually { w.ws.klineClients >= 2 })
    #expect(w.ws.messages.contains { $0.contains("\"kline.5.BTCUSDT\"") })
    let h = w.history
    let fiveMinutes = Timeframe(milliseconds: 300_000)
    var resampler = try Resampler(from: .oneMinute, to: fiveMinutes)
    var resampled: [Int64: Candle] = [:]
    for c in w.candles { if let bar = resampler.add(c) { resampled[bar.time] = bar } }
    var due: [Int64] = []
    for i in h..<(h + 20) {
      let close = w.candles[i].time + 60_000
      if close % 300_000 == 0 {
        let open = close - 300_000
        let bar = try #require(resampled[open])
        func exchange(_ volume: Double) -> Candle {
          Candle(
            time: open, open: bar.open, high: bar.high, low: bar.low, close: bar.close,
            volume: volume)
        }
        switch due.count {
        case 0:
          // A forming kline, then the confirmed one: only the confirmed one is delivered.
          w.ws.send(symbol: "BTCUSDT", interval: "5", candle: exchange(999), confirm: false)
          w.ws.send(symbol: "BTCUSDT", interval: "5", candle: exchange(777), confirm: true)
        case 1:
          // Only a forming one: the stream's candle is missing when due.
          w.ws.send(symbol: "BTCUSDT", interval: "5", candle: exchange(999), confirm: false)
        case 2:
          break  // the stream dropped it
        default:
          w.ws.send(symbol: "BTCUSDT", interval: "5", candle: exchange(778), confirm: true)
        }
        due.append(open)
      }
      await w.push(i..<(i + 1), noise: false)
    }
    #expect(try await finished().get() == .stopAfter)
    #expect(due.count == 4)

    var fives: [Int64: Double] = [:]
    for line in lines.values {
      let parts = line.split(separator: " ").map(String.init)
      guard let x = parts.firstIndex(of: "H"), parts.count > x + 4, parts[x + 1] == "5m",
        let t = Int64(parts[x + 2]), let volume = Double(parts[x + 4])
      else { continue }
      fives[t] = volume
    }
    let expected: [Double] = [
      777, resampled[due[1]]!.volume, resampled[due[2]]!.volume, 778,
    ]
    for (j, open) in due.enumerated() {
      #expect(fives[open] == expected[j], "5m candle \(j) at \(open)")
    }
    #expect(!fives.values.contains(999), "a forming kline was delivered")
    // The fallback is said once, and so is the stream's return.
    #expect(lines.values.filter { $0.contains("did not arrive in time") }.count == 1)
    #expect(lines.values.filter { $0.contains("come from the exchange's stream again") }.count == 1)
    // What was delivered is what the cache keeps under 5m, and what the replay delivers.
    let store = try CandleStore(path: w.db)
    let key = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: fiveMinutes)
    for (j, open) in due.enumerated() {
      let cached = try store.cursor(series: key, from: open, to: open + 1).next()
      #expect(cached?.volume == expected[j], "cached 5m candle \(j)")
    }
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent'") >= 1)
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(report.json)")
  }
}

private final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var values: [String] { lock.withLock { lines } }
}
