import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// A paper run warms on the warmup its params ask for: the shipped seed-004 bot, whose volume
/// filter sums 1440 candles, trades from the first candle after it starts, and a `set_param`
/// that raises the window re-warms on the new length.
@Suite(.serialized) struct WarmupRunTests {
  /// `count` flat candles (close 100, quote volume 1000 a minute: above the default filter),
  /// then one closing 1% above the MA: ma_cross's long signal.
  static func series(flat count: Int) -> [Candle] {
    let flat = (0..<count).map {
      Candle(
        time: base + Int64($0) * 60_000, open: 100, high: 100.2, low: 99.8, close: 100, volume: 10)
    }
    let jump = Candle(
      time: base + Int64(count) * 60_000, open: 100, high: 101.2, low: 99.9, close: 101,
      volume: 10)
    return flat + [jump]
  }

  static var maCross: String {
    get throws { try String(contentsOfFile: "strategies/ma_cross.lua", encoding: .utf8) }
  }

  @Test func maCrossWithDefaultParamsSignalsOnTheFirstCandleAfterStart() async throws {
    let history = 1_500
    let w = try PaperWorld(
      history: history, script: try Self.maCross, candles: Self.series(flat: history))
    let runner = try Runner(spec: w.spec(stopAfter: 1), output: { _ in })
    let id = try runner.prepare()
    #expect(runner.strategy.warmup == 1440)
    let finished = start(runner)
    await w.push(history..<(history + 1), noise: false)
    #expect(try await finished().get() == .stopAfter)
    let intents = try w.ledger().decisions(run: id).filter { $0.kind == "intent" }
    #expect(intents.map(\.candleTime) == [w.candles[history].time])
    #expect(intents.first?.detailJSON.contains(#""side":"long""#) == true)
  }

  @Test func raisingTheVolumeWindowReWarmsOnTheNewLength() throws {
    let history = 2_100
    let w = try PaperWorld(
      history: history, script: try Self.maCross, candles: Self.series(flat: history))
    let runner = try Runner(spec: w.spec(stopAfter: nil), output: { _ in })
    _ = try runner.prepare()
    try runner.startSession()
    defer { runner.endSession() }
    // The run started on its 1440-candle warmup, which is all the kernel kept.
    #expect(runner.kernel.history(symbol: 0, count: 3_000).count == 1440)
    let t = try #require(runner.lastHandled)
    let (status, outcome) = runner.setParam(
      payload: #"{"name": "volume_window", "value": 2000}"#, time: t)
    #expect(status == "done", "\(outcome)")
    #expect(runner.strategy.warmup == 2000)
    #expect(
      runner.scripts.lastReloadMessage.contains("replayed 2000 candles"),
      "\(runner.scripts.lastReloadMessage)")
    // ctx:history reaches the new warmup, oldest first and without gaps.
    let kept = runner.kernel.history(symbol: 0, count: 2_000)
    #expect(kept.count == 2000)
    #expect(kept.last?.time == t)
    #expect(zip(kept, kept.dropFirst()).allSatisfy { $1.time - $0.time == 60_000 })
  }
}
