import Foundation
import Testing
import WickCore
import WickTesting

@testable import WickLua

/// The host writes each candle straight into the candle table's slots (`wick_candle.c`). A
/// script can still do anything to `c`: add fields until the table grows, delete fields and let
/// the collector retire their keys, keep `c` and read it later. Each candle must read as that
/// candle, exactly as when the fields were set by Lua code.
@Suite struct CandleTableTests {
  /// Logs what the script saw of each candle after it has done `mischief` to `c`.
  func seen(after mischief: String, candles: Int = 40) throws -> [String] {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          ctx:log(string.format("%s %d %.17g %.17g %.17g %.17g %.17g %.17g", c.symbol, c.t,
            c.open, c.high, c.low, c.close, c.volume, rawget(c, "close")))
          \(mischief)
          """),
      // Allocating 20,000 tables a candle takes over the default 1 s under a sanitizer.
      limits: LuaLimits(callbackSeconds: testTimeScale))
    for i in 0..<candles {
      let close = 100 + Double(i) * 0.25
      try s.onCandle(
        symbol: 0,
        candle: Candle(
          time: 1_704_067_200_000 + Int64(i) * 60_000, open: close - 0.5, high: close + 1,
          low: close - 1, close: close, volume: Double(i)), host: host)
    }
    return s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
  }

  func expected(candles: Int = 40) -> [String] {
    (0..<candles).map { i in
      let close = 100 + Double(i) * 0.25
      let t = 1_704_067_200_000 + Int64(i) * 60_000
      let numbers = [close - 0.5, close + 1, close - 1, close, Double(i), close]
      return "BTCUSDT \(t) " + numbers.map { String(format: "%.17g", $0) }.joined(separator: " ")
    }
  }

  @Test func everyCandleReadsAsItself() throws {
    #expect(try seen(after: "") == expected())
  }

  @Test func fieldsAddedUntilTheTableGrowsDoNotHideTheCandle() throws {
    // Thirty new fields a candle: the table rehashes many times over, moving every slot.
    let mischief = "for k = 1, 30 do c['x' .. c.t .. '_' .. k] = k end"
    #expect(try seen(after: mischief) == expected())
  }

  @Test func deletedFieldsComeBackWithTheNextCandle() throws {
    // Deleting fields and then allocating enough for the collector to run full cycles lets it
    // retire their keys; the next candle still has every field.
    let mischief = """
      c.close, c.open, c.t = nil, nil, nil
      local junk = {}
      for k = 1, 20000 do junk[k] = { k } end
      c.volume = "changed"
      """
    #expect(try seen(after: mischief) == expected())
  }

  @Test func aKeptCandleTableShowsTheLatestCandle() throws {
    // `c` is one table reused for every candle (documented): a script that keeps it sees the
    // latest candle's values, as before.
    let (s, host) = try started(
      strategySource(
        onCandle: """
          if ctx.kept then ctx:log(string.format("%.17g", ctx.kept.close), ctx.kept == c) end
          ctx.kept = c
          """))
    try s.onCandle(symbol: 0, candle: candle(0, close: 10), host: host)
    try s.onCandle(symbol: 0, candle: candle(1, close: 11), host: host)
    #expect(s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) } == ["11 true"])
  }
}
