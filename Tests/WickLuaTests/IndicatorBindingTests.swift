import Foundation
import Testing
import WickCore

@testable import WickLua

@Suite struct IndicatorBindingTests {
  /// `ind:update` reads numbers straight off the stack (wick_indicator.c); every other call
  /// takes the checked path and fails with the same messages as before.
  @Test func updateRefusesWhatIsNotNumbersCalledWithColon() {
    func error(_ call: String) -> String? {
      runOnce(
        strategySource(
          onCandle: call,
          initBody: "ctx.sma = wick.sma(3) ctx.atr = wick.atr(3) ctx.ols = wick.ols(3)"))
    }
    #expect(
      error("ctx.sma.update(c.close)")?.contains("must be called with ':' on an indicator") == true)
    #expect(
      error("ctx.sma:update('1')")?.contains("expects a number; argument 1 is string") == true)
    #expect(error("ctx.sma:update()")?.contains("expects a number; argument 1 is no value") == true)
    #expect(
      error("ctx.atr:update(c.high, c.low)")?.contains(
        "expects high, low, close; argument 3 is no value") == true)
    #expect(error("ctx.ols:update(1, {})")?.contains("expects y, x; argument 2 is table") == true)
    // Integers count as numbers; extra arguments are ignored.
    #expect(
      error(
        "assert(ctx.sma:update(1, 'extra') == nil) ctx.sma:update(2) assert(ctx.sma:update(3) == 2)"
      ) == nil)
  }

  /// The Lua bindings return exactly what the Swift indicators return, nil until warm.
  @Test func luaIndicatorsMatchNativeOnes() throws {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local v = { ctx.sma:update(c.close), ctx.ema:update(c.close), ctx.rsi:update(c.close),
                      ctx.atr:update(c.high, c.low, c.close), ctx.hi:update(c.high), ctx.z:update(c.close) }
          local out = {}
          for i = 1, 6 do out[i] = v[i] == nil and "nil" or string.format("%.10f", v[i]) end
          ctx:log(table.concat(out, ","))
          """,
        initBody: """
          ctx.sma = wick.sma(3) ctx.ema = wick.ema(3) ctx.rsi = wick.rsi(3)
          ctx.atr = wick.atr(3) ctx.hi = wick.highest(3) ctx.z = wick.zscore(3)
          """))
    let natives: [StreamingIndicator] = [
      SMA(period: 3), EMA(period: 3), RSI(period: 3), ATR(period: 3),
      RollingExtreme(period: 3, kind: .highest), ZScore(period: 3),
    ]
    let closes: [Double] = [10, 11, 10.5, 12, 13, 12.5, 11, 14]
    for (i, close) in closes.enumerated() {
      let c = Candle(
        time: Int64(i) * 60_000, open: close, high: close + 0.5, low: close - 0.7, close: close,
        volume: 1)
      try s.onCandle(symbol: 0, candle: c, host: host)
      let expected = natives.enumerated().map { k, ind -> String in
        let v: Double? =
          switch k {
          case 3: ind.update(c.high, c.low, c.close)
          case 4: ind.update(c.high, 0, 0)
          default: ind.update(c.close, 0, 0)
          }
        return v.map { String(format: "%.10f", $0) } ?? "nil"
      }.joined(separator: ",")
      #expect(s.logs.last?.split(separator: " ", maxSplits: 1).last.map(String.init) == expected)
    }
  }

  @Test func badIndicatorUseIsAnError() {
    #expect(runOnce(strategySource(onCandle: "wick.sma(0)"))?.contains("between 1 and") == true)
    #expect(runOnce(strategySource(onCandle: "wick.sma(2.5)"))?.contains("whole number") == true)
    #expect(
      runOnce(strategySource(onCandle: "local s = wick.sma(3) s:update('x')"))?.contains(
        "argument 1 is string") == true)
    #expect(
      runOnce(strategySource(onCandle: "local s = wick.sma(3) s.update(5)"))?.contains(
        "called with ':'") == true)
  }
}
