import Foundation
import Testing
import WickCore
import WickData
import WickLua
import WickRisk
import WickSim
import WickTesting

@testable import WickLive

/// `wick run` recording liquidations: at each candle's close the strategy reads the liquidations
/// of that candle's minutes as the recorder received them by then, the cache keeps exactly those
/// numbers, and a backtest over the cache (and `wick replay`) reads the same.
@Suite(.serialized) struct PaperLiquidationTests {
  /// Logs what it reads, and trades on it (so a replay that read otherwise would diverge).
  static let script = """
    return {
      name = "liq", symbols = { "BTCUSDT" }, timeframe = "1m", warmup = 1,
      on_candle = function(ctx, c)
        ctx:log("X", c.t, tostring(c.liquidations_long), tostring(c.liquidations_short))
        if ctx:position(c.symbol) then
          ctx:exit{ symbol = c.symbol, reason = "next" }
        elseif (c.liquidations_long or 0) > 0 then
          ctx:enter{ symbol = c.symbol, side = "short", stop = c.close * 1.1 }
        end
      end,
    }
    """

  static func bybitMessage(_ rows: [(time: Int64, long: Bool, notional: Double)]) -> String {
    let data = rows.map {
      "{\"T\":\($0.time),\"s\":\"BTCUSDT\",\"S\":\"\($0.long ? "Buy" : "Sell")\",\"v\":\"1\",\"p\":\"\($0.notional)\"}"
    }
    return
      "{\"topic\":\"allLiquidation.BTCUSDT\",\"type\":\"snapshot\",\"ts\":\(rows[0].time),\"data\":[\(data.joined(separator: ","))]}"
  }

  /// What the script logged, by candle time: (long, short) as Lua printed them.
  static func logged(_ lines: [String]) -> [Int64: [String]] {
    var seen: [Int64: [String]] = [:]
    for line in lines {
      let parts = line.split(separator: " ").map(String.init)
      guard let x = parts.firstIndex(of: "X"), parts.count > x + 3, let t = Int64(parts[x + 1])
      else { continue }
      seen[t] = [parts[x + 2], parts[x + 3]]
    }
    return seen
  }

  static func lua(_ v: Double) -> String { v.isNaN ? "nil" : "\(v)" }

  @Test func thePaperRunReadsAtTheCloseWhatTheCacheAndABacktestRead() async throws {
    let w = try PaperWorld(script: Self.script)
    var spec = w.spec(stopAfter: 8)
    spec.recordLiquidations = true
    let lines = Lines()
    let runner = try Runner(spec: spec, output: { lines.append($0) })
    let id = try runner.prepare()
    let finished = start(runner)
    #expect(
      await eventually { w.ws.messages.contains { $0.contains("\"allLiquidation.BTCUSDT\"") } })
    let h = w.history
    let t = { (i: Int) in w.candles[i].time }
    var sent = 0
    func send(_ rows: [(time: Int64, long: Bool, notional: Double)]) async {
      w.ws.send(text: Self.bybitMessage(rows))
      sent += rows.count
      let expected = sent
      #expect(await eventually { runner.liquidationCount.received == expected })
    }
    for i in h..<(h + 8) {
      let k = i - h
      // The recorder connected during candle h's minute: that candle is unrecorded (nil).
      if k >= 1 && k % 2 == 1 {
        await send([(t(i) + 1_000, true, 100 * Double(k)), (t(i) + 59_999, false, 7)])
      }
      if k == 3 {
        // Stamped at the close: it belongs to the next candle, not this one.
        await send([(t(i + 1), true, 5)])
      }
      await w.push(i..<(i + 1))
      if k == 4 {
        // Pushed after candle k-1 was decided on: ignored, never added to a handed-out minute.
        #expect(await eventually { Self.logged(lines.values)[t(i)] != nil })
        await send([(t(i - 1) + 30_000, true, 1_000)])
      }
    }
    #expect(try await finished().get() == .stopAfter)

    let seen = Self.logged(lines.values)
    #expect(seen[t(h)] == ["nil", "nil"], "before the recorder covered a whole minute")
    #expect(seen[t(h + 1)] == ["100.0", "7.0"])
    #expect(seen[t(h + 2)] == ["0.0", "0.0"], "a covered minute without liquidations is zero")
    #expect(seen[t(h + 3)] == ["300.0", "7.0"])
    #expect(seen[t(h + 4)] == ["5.0", "0.0"])

    // The cache holds what the strategy read, candle by candle.
    let store = try CandleStore(path: w.db)
    let key = SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute)
    let extras = try #require(try store.candleExtras(series: [key]))
    for i in h..<(h + 8) {
      let v = extras.values(symbol: 0, open: t(i), close: t(i) + 60_000)
      #expect(seen[t(i)] == [Self.lua(v.liquidationsLong), Self.lua(v.liquidationsShort)], "\(i)")
    }

    // A backtest over the recorded cache reads the same values.
    let strategy = try LuaStrategy(
      path: w.script, overrides: [], symbols: ["BTCUSDT"])
    let config = BacktestConfig(
      initialEquity: 10_000, fills: FillModel(), strategyName: strategy.name,
      params: strategy.params, timeframe: .oneMinute, historyDepth: 1)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    engine.kernel.candleExtras = extras
    let source = MergedCandleSource(
      symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(Array(w.candles[h..<(h + 8)]))])
    let result = try engine.run(source: source)
    let backtested = Self.logged(strategy.logs + result.logs)
    #expect(backtested.count == 8)
    for i in h..<(h + 8) { #expect(backtested[t(i)] == seen[t(i)], "\(i)") }

    // And `wick replay` of the paper run decides the same.
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(report.json)")
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'intent'") >= 2)
  }

  /// A disconnect ends the coverage at once: the candles of a minute the stream missed stay nil
  /// when the runner closes them, even though it does not wait for the grace.
  @Test func aReconnectGapStaysNilAtTheClose() {
    let t0: Int64 = 1_704_067_200_000
    var agg = LiquidationAggregator(symbols: ["BTCUSDT"])
    agg.connected(now: t0 + 10_000)
    agg.add([LiquidationEvent(symbol: "BTCUSDT", time: t0 + 70_000, long: true, notional: 3)])
    #expect(
      agg.close(before: t0 + 120_000) == [
        .init(
          symbol: "BTCUSDT", from: t0 + 60_000, to: t0 + 120_000,
          buckets: [LiquidationBucket(time: t0 + 60_000, count: 1, longNotional: 3)])
      ])
    // Handed out at the close: a late push for that minute is ignored.
    agg.add([LiquidationEvent(symbol: "BTCUSDT", time: t0 + 100_000, long: true, notional: 9)])
    #expect(agg.ignored == 1)
    _ = agg.disconnected(now: t0 + 130_000)
    #expect(agg.close(before: t0 + 180_000).isEmpty)
    agg.connected(now: t0 + 150_000)
    // Reconnected inside minute 2: it stays a gap; minute 3 is recorded (a zero).
    #expect(agg.close(before: t0 + 180_000).isEmpty)
    #expect(
      agg.close(before: t0 + 240_000) == [
        .init(symbol: "BTCUSDT", from: t0 + 180_000, to: t0 + 240_000, buckets: [])
      ])
  }
}

private final class Lines: @unchecked Sendable {
  private let lock = NSLock()
  private var lines: [String] = []
  func append(_ s: String) { lock.withLock { lines.append(s) } }
  var values: [String] { lock.withLock { lines } }
}
