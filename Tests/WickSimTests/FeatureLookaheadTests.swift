import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// The lookahead perturbation test for every `wick.*` indicator and feature: changing every
/// candle from time T on must leave every value a script saw before T unchanged.
@Suite struct FeatureLookaheadTests {
  static let script = """
    return {
      name = "all_features", symbols = { "BTCUSDT" }, warmup = 5,
      init = function(ctx)
        ctx.f = {
          { wick.macd(12, 26, 9), "c" }, { wick.bbands(20, 2), "c" }, { wick.adx(14), "hlc" },
          { wick.stoch(14, 3, 3), "hlc" }, { wick.stochrsi(14, 5, 3), "c" }, { wick.cci(14), "hlc" },
          { wick.mfi(14), "hlcv" }, { wick.obv(), "cv" }, { wick.wma(20), "c" }, { wick.dema(20), "c" },
          { wick.tema(20), "c" }, { wick.kama(30), "c" }, { wick.roc(10), "c" }, { wick.willr(14), "hlc" },
          { wick.natr(14), "hlc" }, { wick.keltner(20, 2), "hlc" }, { wick.donchian(20), "hl" },
          { wick.vwap(), "thlcv" }, { wick.supertrend(10, 3), "hlc" }, { wick.psar(0.02, 0.2), "hl" },
          { wick.swings(3), "thl" }, { wick.regime{ window = 50 }, "hlc" },
        }
      end,
      on_candle = function(ctx, c)
        local parts = { wick.session(c.t) }
        for _, f in ipairs(ctx.f) do
          local ind, inputs = f[1], f[2]
          local v
          if inputs == "c" then v = { ind:update(c.close) }
          elseif inputs == "hlc" then v = { ind:update(c.high, c.low, c.close) }
          elseif inputs == "hlcv" then v = { ind:update(c.high, c.low, c.close, c.volume) }
          elseif inputs == "cv" then v = { ind:update(c.close, c.volume) }
          elseif inputs == "hl" then v = { ind:update(c.high, c.low) }
          elseif inputs == "thlcv" then v = { ind:update(c.t, c.high, c.low, c.close, c.volume) }
          else v = { ind:update(c.t, c.high, c.low) } end
          for i = 1, 8 do parts[#parts + 1] = tostring(v[i]) end
        end
        ctx:log(c.t, table.concat(parts, ","))
      end,
    }
    """

  func candles(perturbFrom cut: Int?) -> [Candle] {
    var state: UInt64 = 21
    var noise: UInt64 = 99
    var price = 100.0
    return (0..<600).map { i in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u = Double(state >> 11) / Double(1 << 53) - 0.5
      let open = price
      price *= 1 + u * 0.02
      var c = Candle(
        time: t0 + Int64(i) * 900_000, open: open, high: max(open, price) * 1.003,
        low: min(open, price) * 0.997, close: price, volume: 5 + Double(i % 11))
      if let cut, i >= cut {
        noise = noise &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let f = 1 + (Double(noise >> 11) / Double(1 << 53) - 0.5) * 0.1
        c = Candle(
          time: c.time, open: c.open * f, high: c.high * f * 1.02, low: c.low * f * 0.98,
          close: c.close * f, volume: c.volume * 3)
      }
      return c
    }
  }

  func run(_ series: [Candle]) throws -> [String] {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "all-features-\(UUID().uuidString).lua")
    try Self.script.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let strategy = try LuaStrategy(path: url.path)
    let config = BacktestConfig(
      strategyName: strategy.name, timeframe: Timeframe(milliseconds: 900_000), historyDepth: 5)
    let engine = BacktestEngine(
      config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(series)]))
    #expect(r.error == nil, "\(r.error ?? "")")
    // Each line: "<iso time> <c.t> <values>"; keep "<c.t> <values>".
    return strategy.logs.map { String($0.split(separator: " ", maxSplits: 1).last ?? "") }
  }

  @Test func perturbingTheFutureChangesNoFeatureValueBeforeIt() throws {
    let cut = 400
    let a = try run(candles(perturbFrom: nil))
    let b = try run(candles(perturbFrom: cut))
    #expect(a.count == 600 && b.count == 600)
    #expect(Array(a[..<cut]) == Array(b[..<cut]))
    // The perturbation reaches every feature afterwards (each has a value that changed), and
    // every feature had warmed up before the cut.
    let fields = { (line: String) in
      line.split(separator: " ", maxSplits: 1).last!.split(separator: ",")
    }
    let before = fields(a[cut - 1])
    let k = 1 + 8 * 21  // the regime's first output
    #expect(before[k] != "nil", "regime warm before the cut")
    for f in 0..<20 {
      #expect(before[1 + 8 * f] != "nil", "feature \(f) warm before the cut")
      let changed = (cut..<600).contains { fields(a[$0])[1 + 8 * f] != fields(b[$0])[1 + 8 * f] }
      #expect(changed, "feature \(f) saw the perturbation")
    }
  }
}
