import Testing

@testable import WickCore

/// Streaming indicators against direct (O(n) per point) reference computations of their
/// TA-Lib definitions, over a series long enough to exercise the ring buffers.
@Suite struct IndicatorTests {
  let series: [Double] = {
    var x = 42_000.0
    var state: UInt64 = 7
    return (0..<3_000).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      x *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.01
      return x
    }
  }()

  func close(_ a: Double?, _ b: Double?, tolerance: Double = 1e-7) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return abs(x - y) <= tolerance * max(1, abs(y))
    default: return false
    }
  }

  @Test func smaMatchesWindowMean() {
    let sma = SMA(period: 20)
    for (i, x) in series.enumerated() {
      let v = sma.update(x)
      let ref: Double? = i >= 19 ? series[(i - 19)...i].reduce(0, +) / 20 : nil
      #expect(close(v, ref), "at \(i)")
    }
  }

  @Test func emaSeedsWithSMAThenSmooths() {
    let ema = EMA(period: 10)
    var ref: Double? = nil
    for (i, x) in series.enumerated() {
      let v = ema.update(x)
      if i == 9 {
        ref = series[0...9].reduce(0, +) / 10
      } else if let r = ref {
        ref = r + 2.0 / 11.0 * (x - r)
      }
      #expect(close(v, ref), "at \(i)")
    }
  }

  @Test func stddevAndZScoreArePopulationStatistics() {
    let sd = StdDev(period: 30)
    let z = ZScore(period: 30)
    for (i, x) in series.enumerated() {
      let v = sd.update(x)
      let zv = z.update(x)
      guard i >= 29 else {
        #expect(v == nil && zv == nil)
        continue
      }
      let w = series[(i - 29)...i]
      let mean = w.reduce(0, +) / 30
      let std = (w.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 30).squareRoot()
      #expect(close(v, std, tolerance: 1e-6), "sd at \(i)")
      #expect(close(zv, (x - mean) / std, tolerance: 1e-5), "z at \(i)")
    }
  }

  @Test func highestAndLowestOverWindow() {
    let hi = RollingExtreme(period: 14, kind: .highest)
    let lo = RollingExtreme(period: 14, kind: .lowest)
    for (i, x) in series.enumerated() {
      let h = hi.update(x)
      let l = lo.update(x)
      if i >= 13 {
        #expect(h == series[(i - 13)...i].max())
        #expect(l == series[(i - 13)...i].min())
      } else {
        #expect(h == nil && l == nil)
      }
    }
  }

  @Test func rsiUsesWildersSmoothing() {
    let n = 14
    let rsi = RSI(period: n)
    var avgGain = 0.0
    var avgLoss = 0.0
    for (i, x) in series.enumerated() {
      let v = rsi.update(x)
      var ref: Double? = nil
      if i == n {
        let changes = (1...n).map { series[$0] - series[$0 - 1] }
        avgGain = changes.map { max($0, 0) }.reduce(0, +) / Double(n)
        avgLoss = changes.map { max(-$0, 0) }.reduce(0, +) / Double(n)
        ref = 100 * avgGain / (avgGain + avgLoss)
      } else if i > n {
        let ch = x - series[i - 1]
        avgGain = (avgGain * Double(n - 1) + max(ch, 0)) / Double(n)
        avgLoss = (avgLoss * Double(n - 1) + max(-ch, 0)) / Double(n)
        ref = 100 * avgGain / (avgGain + avgLoss)
      }
      #expect(close(v, ref), "at \(i)")
    }
  }

  @Test func atrSeedsWithMeanTrueRange() {
    let n = 14
    let atr = ATR(period: n)
    let highs = series.map { $0 * 1.002 }
    let lows = series.map { $0 * 0.997 }
    var ref: Double? = nil
    var trs: [Double] = []
    for i in series.indices {
      let v = atr.update(highs[i], lows[i], series[i])
      if i > 0 {
        let pc = series[i - 1]
        let tr = max(highs[i] - lows[i], abs(highs[i] - pc), abs(lows[i] - pc))
        trs.append(tr)
        if trs.count == n {
          ref = trs.reduce(0, +) / Double(n)
        } else if let r = ref {
          ref = (r * Double(n - 1) + tr) / Double(n)
        }
      }
      #expect(close(v, ref), "at \(i)")
    }
  }

  @Test func rollingOLSRecoversHedgeRatio() {
    let ols = RollingOLS(period: 50)
    var last: Double? = nil
    for (i, x) in series.enumerated() {
      let y = 3 + 1.7 * x + (i % 2 == 0 ? 0.5 : -0.5)
      last = ols.update(y, x)
    }
    #expect(close(last, 1.7, tolerance: 1e-3))
  }
}
