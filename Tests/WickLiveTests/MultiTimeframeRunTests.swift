import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// Trades on the 5m candles it resamples from the 1m stream: enters when flat, exits when not.
let fiveMinuteFlipScript = """
  return {
    name = "flip5", timeframes = { "1m", "5m" }, symbols = { "BTCUSDT" },
    warmup = { ["1m"] = 2, ["5m"] = 1 },
    on_candle = function(ctx, c)
      ctx:log(c.timeframe, c.t)
      if c.timeframe ~= "5m" then return end
      if ctx:position(c.symbol) then
        ctx:exit{ symbol = c.symbol, reason = "5m flip" }
      else
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9 }
      end
    end,
  }
  """

@Suite(.serialized) struct MultiTimeframeRunTests {
  /// A paper session with two timeframes decides on the higher one, and `wick replay` of it
  /// through the backtest path gives the same decisions.
  @Test func aPaperRunWithTwoTimeframesReplaysIdentically() async throws {
    let w = try PaperWorld(script: fiveMinuteFlipScript)
    final class Lines: @unchecked Sendable {
      let lock = NSLock()
      var all: [String] = []
    }
    let lines = Lines()
    let id = try await w.session(w.history..<(w.history + 20)) { line in
      lines.lock.withLock { lines.all.append(line) }
    }
    let all = lines.lock.withLock { lines.all }
    // The mock's 5m stream pushes nothing here: every 5m candle is resampled, said once.
    #expect(all.filter { $0.contains("did not arrive in time") }.count == 1)
    let logged = all.filter { $0.hasPrefix("log ") }
    // 10 warm-up candles (the 5m warmup of one candle needs two 5m spans), 20 from the stream:
    // 6 five-minute candles, each delivered after the 1m candle that closes it.
    let fives = logged.filter { $0.hasPrefix("log ") && $0.contains(" 5m ") }
    #expect(fives.count == 6, "\(logged)")
    for line in fives {
      let k = try #require(logged.firstIndex(of: line))
      let t = try #require(line.split(separator: " ").last.flatMap { Int64($0) })
      #expect(t % 300_000 == 0)
      #expect(logged[k - 1].hasSuffix(" 1m \(t + 240_000)"), "\(logged[k - 1]) before \(line)")
    }
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent'") >= 2)
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(report.json)")
    #expect(report.decisions >= 4)
  }
}
