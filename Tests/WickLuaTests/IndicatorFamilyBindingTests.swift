import Foundation
import Testing
import WickCore

@testable import WickLua

/// `wick.macd` … `wick.psar`, `wick.session`, `wick.swings` and `wick.regime` from Lua.
@Suite struct IndicatorFamilyBindingTests {
  /// A wavy series with a volume, long enough to warm every indicator below.
  static let candles: [Candle] = (0..<120).map { i in
    let x = Double(i)
    let close = 100 + 8 * sin(x / 7) + x * 0.05
    return Candle(
      time: 1_704_067_200_000 + Int64(i) * 3_600_000, open: close - 0.3,
      high: close + 1 + 0.5 * cos(x / 3), low: close - 1.2, close: close, volume: 10 + Double(i % 7)
    )
  }

  /// Each Lua call and the native indicator it must equal.
  static var cases: [(lua: String, args: String, native: () -> (Candle) -> [Double]?)] {
    [
      ("wick.macd(5, 10, 4)", "c.close", { multi(MACD(fast: 5, slow: 10, signal: 4), [3]) }),
      (
        "wick.bbands(10, 2, 1.5)", "c.close",
        { multi(BollingerBands(period: 10, deviationsUp: 2, deviationsDown: 1.5), [3]) }
      ),
      ("wick.adx(6)", "c.high, c.low, c.close", { multi(ADX(period: 6), [1, 2, 3]) }),
      (
        "wick.stoch(8, 3, 2)", "c.high, c.low, c.close",
        { multi(Stochastic(fastK: 8, slowK: 3, slowD: 2), [1, 2, 3]) }
      ),
      (
        "wick.stochrsi(8, 5, 3)", "c.close",
        { multi(StochasticRSI(period: 8, fastK: 5, fastD: 3), [3]) }
      ),
      ("wick.cci(10)", "c.high, c.low, c.close", { single(CCI(period: 10), [1, 2, 3]) }),
      (
        "wick.mfi(10)", "c.high, c.low, c.close, c.volume",
        { multi(MFI(period: 10), [1, 2, 3, 4]) }
      ),
      ("wick.obv()", "c.close, c.volume", { single(OBV(), [3, 4]) }),
      ("wick.wma(9)", "c.close", { single(WMA(period: 9), [3]) }),
      ("wick.dema(9)", "c.close", { single(MultipleEMA(period: 9, kind: .double), [3]) }),
      ("wick.tema(9)", "c.close", { single(MultipleEMA(period: 9, kind: .triple), [3]) }),
      ("wick.kama(10)", "c.close", { single(KAMA(period: 10), [3]) }),
      ("wick.roc(5)", "c.close", { single(ROC(period: 5), [3]) }),
      ("wick.willr(10)", "c.high, c.low, c.close", { single(WilliamsR(period: 10), [1, 2, 3]) }),
      ("wick.natr(10)", "c.high, c.low, c.close", { single(NATR(period: 10), [1, 2, 3]) }),
      (
        "wick.keltner(10, 1.5)", "c.high, c.low, c.close",
        { multi(KeltnerChannels(period: 10, multiplier: 1.5), [1, 2, 3]) }
      ),
      ("wick.donchian(10)", "c.high, c.low", { multi(DonchianChannels(period: 10), [1, 2]) }),
      ("wick.vwap()", "c.t, c.high, c.low, c.close, c.volume", { multi(VWAP(), [0, 1, 2, 3, 4]) }),
      (
        "wick.supertrend(7, 2)", "c.high, c.low, c.close",
        { multi(Supertrend(period: 7, multiplier: 2), [1, 2, 3]) }
      ),
      (
        "wick.psar(0.03, 0.3)", "c.high, c.low",
        { single(ParabolicSAR(acceleration: 0.03, maximum: 0.3), [1, 2]) }
      ),
    ]
  }

  static func row(_ c: Candle) -> [Double] { [Double(c.time), c.high, c.low, c.close, c.volume] }

  static func multi(_ ind: MultiOutputIndicator, _ take: [Int]) -> (Candle) -> [Double]? {
    { c in
      let r = row(c)
      let input = take.map { r[$0] } + [0, 0, 0, 0, 0]
      var out = [Double](repeating: 0, count: 4)
      let ok = input.withUnsafeBufferPointer { i in
        out.withUnsafeMutableBufferPointer { ind.update(i.baseAddress!, $0.baseAddress!) }
      }
      return ok ? Array(out.prefix(ind.outputCount)) : nil
    }
  }

  static func single(_ ind: StreamingIndicator, _ take: [Int]) -> (Candle) -> [Double]? {
    { c in
      let r = row(c)
      let v = take.map { r[$0] } + [0, 0, 0]
      return ind.update(v[0], v[1], v[2]).map { [$0] }
    }
  }

  @Test func everyIndicatorMatchesItsNativeType() throws {
    let cases = Self.cases
    #expect(cases.count == 20)
    let initBody = cases.enumerated().map { "ctx.i\($0) = \($1.lua)" }.joined(separator: "\n")
    let onCandle =
      "local lines = {}\n"
      + cases.enumerated().map { k, c in
        """
        do
          local v = { ctx.i\(k):update(\(c.args)) }
          local w = { ctx.i\(k):value() }
          assert(#v == #w, "value() differs from update for \(c.lua)")
          local s = {}
          for j = 1, #v do s[j] = string.format("%.9f", v[j]) end
          lines[#lines + 1] = (#v == 0 or v[1] == nil) and "nil" or table.concat(s, ",")
        end
        """
      }.joined(separator: "\n") + "\nctx:log(table.concat(lines, ';'))"
    let (s, host) = try started(strategySource(onCandle: onCandle, initBody: initBody))
    let natives = cases.map { $0.native() }
    var warmed = Set<Int>()
    for c in Self.candles {
      try s.onCandle(symbol: 0, candle: c, host: host)
      let expected = natives.enumerated().map { k, f -> String in
        guard let v = f(c) else { return "nil" }
        warmed.insert(k)
        return v.map { String(format: "%.9f", $0) }.joined(separator: ",")
      }.joined(separator: ";")
      let logged = s.logs.last?.split(separator: " ", maxSplits: 1).last.map(String.init)
      #expect(logged == expected, "at \(c.time)")
    }
    #expect(warmed.count == cases.count)  // every indicator produced values
  }

  @Test(arguments: [
    (
      "wick.macd(26, 12, 9)",
      "wick.macd(fastperiod, slowperiod, signalperiod): fastperiod (26) must be less than slowperiod (12)"
    ),
    (
      "wick.bbands(1)",
      "wick.bbands(timeperiod, nbdevup, nbdevdn): timeperiod must be a whole number from 2 to 100000, got 1"
    ),
    (
      "wick.adx(14.5)",
      "wick.adx(timeperiod): timeperiod must be a whole number from 2 to 100000, got 14.5"
    ),
    (
      "wick.stoch(14, 3, 3, 0)",
      "wick.stoch(fastk_period, slowk_period, slowd_period) takes at most 3 arguments, got 4"
    ),
    ("wick.obv(5)", "wick.obv() takes no arguments, got 1"),
    (
      "wick.kama('30')",
      "wick.kama(timeperiod): timeperiod must be a whole number from 2 to 100000, got string"
    ),
    (
      "wick.psar(0.3, 0.2)",
      "wick.psar(acceleration, maximum): acceleration (0.3) must not exceed maximum (0.2)"
    ),
    (
      "wick.supertrend(10, 0)",
      "wick.supertrend(timeperiod, multiplier): multiplier must be a number from"
    ),
    (
      "wick.regime{ windw = 50 }",
      "wick.regime{...}: unknown key 'windw'; expected atr_period, window"
    ),
    ("wick.regime{ window = 1 }", "wick.regime{...}: window must be between 2 and 100000"),
    (
      "wick.regime{ ma_period = 2.5 }",
      "wick.regime{...}: ma_period must be a whole number, got 2.5"
    ),
    ("wick.swings(0)", "wick.swings(n): n must be a whole number from 1 to 1000, got 0"),
    ("wick.session('noon')", "wick.session(t): t must be a time in epoch milliseconds"),
    ("wick.macd():update('x')", "wick.macd:update(close): argument 1 must be a number, got string"),
    (
      "wick.vwap():update(c.t, c.high)",
      "wick.vwap:update(t, high, low, close, volume): argument 3 must be a number, got no value"
    ),
    ("wick.adx().update(1, 2, 3)", "wick.adx:update(high, low, close) must be called with ':'"),
    ("wick.regime():update(1, 2)", "wick.regime:update(high, low, close) expects three numbers"),
  ])
  func badArgumentsNameTheIndicatorAndArgument(call: String, message: String) {
    let error = runOnce(strategySource(onCandle: "local _ = \(call)"))
    #expect(error?.contains(message) == true, "\(error ?? "no error")")
    #expect(error?.contains("probe.lua:") == true)
  }

  @Test func sessionFollowsTheConfiguredWindows() throws {
    let source = strategySource(onCandle: "ctx:log(wick.session(c.t))")
    let (s, host) = try started(source)
    for h in [0, 7, 10, 14, 18] {
      try s.onCandle(symbol: 0, candle: candle(h * 60), host: host)
    }
    let names = s.logs.map { $0.split(separator: " ").last.map(String.init) ?? "" }
    #expect(names == ["asia", "asia_london", "london", "london_new_york", "new_york"])
    // [sessions] changes them.
    let dir = ScriptDir()
    defer { dir.cleanup() }
    var sessions = TradingSessions.standard
    sessions.asia = SessionWindow(parsing: "01:00-09:00")!
    let custom = try LuaStrategy(path: dir.write("probe.lua", source), sessions: sessions)
    try custom.start(host: host)
    try custom.onCandle(symbol: 0, candle: candle(0), host: host)
    #expect(custom.logs.last?.hasSuffix(" off") == true)
  }

  /// A peak is reported on the candle that confirms it, `n` candles later, with its own time.
  @Test func swingsArriveOnTheConfirmingCandle() throws {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local a = { ctx.sw:update(c.t, c.high, c.low) }
          if a[1] ~= nil then
            local parts = {}
            for i = 1, #a do parts[i] = tostring(a[i]) end
            ctx:log(c.t .. ":" .. table.concat(parts, ","))
          end
          """, initBody: "ctx.sw = wick.swings(2)"))
    // Highs: a peak at 3 (12), a lower peak at 8 (11), a higher one at 13 (14); troughs between.
    let closes: [Double] = [10, 10.5, 11, 12, 11, 10, 9.5, 10, 11, 10, 9, 11, 13, 14, 12, 11, 10]
    for (i, close) in closes.enumerated() {
      try s.onCandle(symbol: 0, candle: candle(i, close: close), host: host)
    }
    let t = { (i: Int) in 1_704_067_200_000 + Int64(i) * 60_000 }
    let lines = s.logs.map { String($0.split(separator: " ", maxSplits: 1)[1]) }
    // Each pivot is logged on the candle two after it; the first of each kind has no label.
    #expect(
      lines == [
        "\(t(5)):high,\(t(3)),13.0",
        "\(t(8)):low,\(t(6)),8.5",
        "\(t(10)):high,\(t(8)),12.0,LH",
        "\(t(12)):low,\(t(10)),8.0,LL",
        "\(t(15)):high,\(t(13)),15.0,HH",
      ])
  }

  @Test func regimeReportsBothRegimesOnceWarm() throws {
    let (s, host) = try started(
      strategySource(
        onCandle: """
          local vol, trend, pct, adx, slope = ctx.r:update(c.high, c.low, c.close)
          ctx:log(vol == nil and "nil" or string.format("%s %s %.4f %.4f %.6f", vol, trend, pct, adx, slope))
          """,
        initBody:
          "ctx.r = wick.regime{ atr_period = 5, window = 20, adx_period = 5, ma_period = 10, slope_period = 3 }"
      ))
    var p = RegimeParameters()
    p.atrPeriod = 5
    p.window = 20
    p.adxPeriod = 5
    p.maPeriod = 10
    p.slopePeriod = 3
    var native = RegimeClassifier(p)
    for c in Self.candles {
      try s.onCandle(symbol: 0, candle: c, host: host)
      let r = native.update(high: c.high, low: c.low, close: c.close)
      let expected =
        r.map {
          String(
            format: "%@ %@ %.4f %.4f %.6f", $0.volatility.rawValue, $0.trend.rawValue,
            $0.atrPercentile, $0.adx, $0.slope)
        } ?? "nil"
      #expect(s.logs.last?.split(separator: " ", maxSplits: 1).last.map(String.init) == expected)
    }
    #expect(s.logs.filter { !$0.hasSuffix("nil") }.count > 80)
  }
}
