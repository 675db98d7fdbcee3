import Foundation
import Testing
import WickCore

@testable import WickReport

/// The tearsheet's figures against values worked out by hand.
@Suite struct TearsheetTests {
  static let day: Int64 = 86_400_000
  /// 2024-01-01T00:00Z, a Monday.
  static let jan1: Int64 = 1_704_067_200_000

  static func result(
    first: Int64, last: Int64, initial: Double, final: Double, daily: [EquityPoint],
    trades: [Trade] = [], timeframe: Timeframe = .oneMinute
  ) -> BacktestResult {
    BacktestResult(
      strategy: "s", params: [], symbols: ["BTCUSDT"], timeframe: timeframe,
      candles: Int((last - first) / timeframe.milliseconds) + 1, firstTime: first,
      lastTime: last, initialEquity: initial, finalEquity: final, trades: trades, equity: daily,
      dailyEquity: daily, maxDrawdown: 0, exposure: 0)
  }

  static func trade(from a: Int64, to b: Int64, pnl: Double = 1) -> Trade {
    Trade(
      symbol: "BTCUSDT", side: .long, entryTime: a, entryPrice: 100, exitTime: b, exitPrice: 101,
      qty: 1, fees: 0, spreadCost: 0, slippageCost: 0, pnl: pnl, r: nil, exitReason: .signal)
  }

  /// Daily points are stamped at the day's close: the point at Feb 1 00:00 closes January.
  @Test func monthlyAndYearlyReturnsByHand() {
    let jan31 = Self.jan1 + 30 * Self.day
    let feb1 = jan31 + Self.day
    let mar1 = Self.jan1 + 60 * Self.day  // 2024 is a leap year
    let daily = [
      EquityPoint(time: jan31, equity: 1000), EquityPoint(time: feb1, equity: 1100),
      EquityPoint(time: feb1 + Self.day, equity: 1045), EquityPoint(time: mar1, equity: 1254),
      EquityPoint(time: mar1 + Self.day, equity: 1200),
    ]
    let r = Self.result(
      first: jan31, last: mar1 + Self.day - 60_000, initial: 1000, final: 1190, daily: daily)
    let t = Tearsheet(r)
    #expect(t.monthlyReturns.map(\.period) == ["2024-01", "2024-02", "2024-03"])
    #expect(abs(t.monthlyReturns[0].value - 0.1) < 1e-12)
    #expect(abs(t.monthlyReturns[1].value - 0.14) < 1e-12)
    // The last month ends at the final equity (after the closing fills), not the last mark.
    #expect(abs(t.monthlyReturns[2].value - (1190.0 / 1254 - 1)) < 1e-12)
    #expect(t.yearlyReturns.map(\.period) == ["2024"])
    #expect(abs(t.yearlyReturns[0].value - 0.19) < 1e-12)
  }

  @Test func yearsSplitAtNewYear() {
    let dec31 = Self.jan1 - Self.day
    let daily = [
      EquityPoint(time: dec31, equity: 500), EquityPoint(time: Self.jan1, equity: 550),
      EquityPoint(time: Self.jan1 + Self.day, equity: 605),
    ]
    let r = Self.result(
      first: dec31, last: Self.jan1 + Self.day - 60_000, initial: 500, final: 605, daily: daily)
    let t = Tearsheet(r)
    #expect(t.yearlyReturns.map(\.period) == ["2023", "2024"])
    #expect(t.monthlyReturns.map(\.period) == ["2023-12", "2024-01"])
    #expect(abs(t.yearlyReturns[0].value - 0.1) < 1e-12)
    #expect(abs(t.yearlyReturns[1].value - 0.1) < 1e-12)
  }

  /// Two years of daily equity with every kind of day: the months compound to the net return.
  @Test func monthlyReturnsCompoundToTheNetReturn() {
    var rng = SplitMix(seed: 17)
    var equity = 10_000.0
    var daily = [EquityPoint(time: Self.jan1, equity: equity)]
    for d in 1...731 {
      equity *= 1 + (rng.unit() - 0.5) * 0.08
      daily.append(EquityPoint(time: Self.jan1 + Int64(d) * Self.day, equity: equity))
    }
    let final = equity * 0.999
    let r = Self.result(
      first: Self.jan1, last: Self.jan1 + 731 * Self.day - 60_000, initial: 10_000, final: final,
      daily: daily)
    let t = Tearsheet(r)
    #expect(t.monthlyReturns.count == 24)
    let product = t.monthlyReturns.reduce(1.0) { $0 * (1 + $1.value) }
    #expect(abs((product - 1) - Metrics.compute(r).netReturn) < 1e-9)
    let yearly = t.yearlyReturns.reduce(1.0) { $0 * (1 + $1.value) }
    #expect(abs((yearly - 1) - Metrics.compute(r).netReturn) < 1e-9)
  }

  @Test func rollingSharpeOverAThreeDayWindowByHand() {
    // Returns 0.1, −0.1, 0.1, 0.
    let values = [100, 110, 99, 108.9, 108.9]
    let daily = values.enumerated().map {
      EquityPoint(time: Self.jan1 + Int64($0.offset) * Self.day, equity: $0.element)
    }
    let s = Tearsheet.rollingSharpe(daily, window: 3)
    #expect(s.map(\.time) == [daily[3].time, daily[4].time])
    // [0.1, −0.1, 0.1]: mean 1/30, sample variance 0.04/3.
    let expected = (1.0 / 30) / (0.04 / 3).squareRoot() * 365.0.squareRoot()
    #expect(abs(s[0].value - expected) < 1e-9)
    #expect(abs(expected - 5.5151) < 1e-3)
    // [−0.1, 0.1, 0]: mean 0.
    #expect(abs(s[1].value) < 1e-12)
  }

  @Test func durationHistogramClassesTrades() {
    let h: Int64 = 3_600_000
    let trades = [
      Self.trade(from: 0, to: h / 2), Self.trade(from: 0, to: 2 * h),
      Self.trade(from: 0, to: 4 * h),
      Self.trade(from: 0, to: 120 * h), Self.trade(from: 0, to: 240 * h),
    ]
    let counts = Tearsheet.durationHistogram(trades).map(\.trades)
    #expect(counts == [1, 1, 1, 0, 0, 1, 1])
    #expect(counts.reduce(0, +) == trades.count)
  }

  /// One week from Monday 2024-01-01; overlapping trades count once.
  @Test func exposureByHourAndWeekdayByHand() {
    let h: Int64 = 3_600_000
    let m = Self.jan1
    let wed = m + 2 * Self.day
    let trades = [
      Self.trade(from: m + 10 * h, to: m + 12 * h + h / 2),
      Self.trade(from: m + 12 * h, to: m + 13 * h),
      Self.trade(from: wed + 10 * h + h / 2, to: wed + 11 * h),
    ]
    let r = Self.result(
      first: m, last: m + 7 * Self.day - 60_000, initial: 1000, final: 1000,
      daily: [EquityPoint(time: m, equity: 1000)], trades: trades)
    let t = Tearsheet(r)
    // Hour 10: Monday 60 min + Wednesday 30 min of 7 × 60 min.
    #expect(abs(t.exposureByHour[10]! - 90.0 / 420) < 1e-12)
    #expect(abs(t.exposureByHour[11]! - 60.0 / 420) < 1e-12)
    #expect(abs(t.exposureByHour[12]! - 60.0 / 420) < 1e-12)
    #expect(t.exposureByHour[13]! == 0 && t.exposureByHour[9]! == 0)
    #expect(abs(t.exposureByWeekday[0]! - 3.0 / 24) < 1e-12)  // Monday
    #expect(abs(t.exposureByWeekday[2]! - 0.5 / 24) < 1e-12)  // Wednesday
    #expect(t.exposureByWeekday[6]! == 0)
  }

  @Test func exposureOfAShortRunLeavesUncoveredHoursEmpty() {
    let r = Self.result(
      first: Self.jan1, last: Self.jan1 + 59 * 60_000, initial: 1, final: 1,
      daily: [EquityPoint(time: Self.jan1, equity: 1)])
    let t = Tearsheet(r)
    #expect(t.exposureByHour[0] == 0)
    #expect(t.exposureByHour[1] == nil)
    #expect(t.exposureByWeekday.compactMap { $0 }.count == 1)
  }

  /// Daily candles; the strategy's returns are 0.5 × the benchmark's + 0.001 each day, so
  /// beta = 0.5, correlation = 1, alpha = 0.001 × 365.
  @Test func benchmarkAlphaBetaCorrelationByHand() {
    var prices = PriceBuckets(symbol: "BTCUSDT", timeframe: Timeframe(milliseconds: 86_400_000))
    let closes = [110.0, 99, 118.8]  // +10 %, −10 %, +20 % from an open of 100
    var open = 100.0
    for (i, c) in closes.enumerated() {
      prices.add(
        Candle(
          time: Self.jan1 + Int64(i) * Self.day, open: open, high: max(open, c), low: min(open, c),
          close: c, volume: 1))
      open = c
    }
    var equity = 1000.0
    var daily = [EquityPoint(time: Self.jan1, equity: equity)]
    for (i, b) in [0.1, -0.1, 0.2].enumerated() {
      equity *= 1 + 0.5 * b + 0.001
      daily.append(EquityPoint(time: Self.jan1 + Int64(i + 1) * Self.day, equity: equity))
    }
    let r = Self.result(
      first: Self.jan1, last: Self.jan1 + 2 * Self.day, initial: 1000, final: equity,
      daily: daily, timeframe: Timeframe(milliseconds: 86_400_000))
    let b = try! #require(Tearsheet(r, prices: [prices]).benchmark)
    #expect(abs(b.totalReturn - 0.188) < 1e-12)
    #expect(b.days == 3)
    #expect(abs(b.beta - 0.5) < 1e-9)
    #expect(abs(b.correlation - 1) < 1e-9)
    #expect(abs(b.alpha - 0.365) < 1e-9)
  }

  @Test func benchmarkOfTwoSymbolsHoldsEqualWeights() {
    var a = PriceBuckets(symbol: "A", timeframe: Timeframe(milliseconds: 86_400_000))
    var flat = PriceBuckets(symbol: "B", timeframe: Timeframe(milliseconds: 86_400_000))
    a.add(Candle(time: Self.jan1, open: 100, high: 130, low: 100, close: 130, volume: 1))
    flat.add(Candle(time: Self.jan1, open: 50, high: 50, low: 50, close: 50, volume: 1))
    let r = Self.result(
      first: Self.jan1, last: Self.jan1, initial: 1000, final: 1000,
      daily: [
        EquityPoint(time: Self.jan1, equity: 1000),
        EquityPoint(time: Self.jan1 + Self.day, equity: 1000),
      ], timeframe: Timeframe(milliseconds: 86_400_000))
    let b = try! #require(Tearsheet(r, prices: [a, flat]).benchmark)
    #expect(abs(b.totalReturn - 0.15) < 1e-12)
    #expect(b.symbols == ["A", "B"])
  }

  @Test func jsonCarriesTheTearsheetAndTradeExcursions() throws {
    var t = Self.trade(from: Self.jan1, to: Self.jan1 + 3_600_000)
    t.mae = 98.5
    t.mfe = 104.25
    let daily = [
      EquityPoint(time: Self.jan1, equity: 1000),
      EquityPoint(time: Self.jan1 + Self.day, equity: 1010),
    ]
    let r = Self.result(
      first: Self.jan1, last: Self.jan1 + Self.day - 60_000, initial: 1000, final: 1010,
      daily: daily, trades: [t])
    let text = ResultJSON.encode(r, metrics: Metrics.compute(r))
    let o = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let trade = try #require((o["trades"] as? [[String: Any]])?.first)
    #expect(trade["mae"] as? Double == 98.5)
    #expect(trade["mfe"] as? Double == 104.25)
    let months = try #require(o["monthly_returns"] as? [[String: Any]])
    #expect(months.count == 1)
    #expect(months[0]["month"] as? String == "2024-01")
    #expect(abs((months[0]["return"] as? Double ?? 0) - 0.01) < 1e-12)
    #expect((o["exposure_by_hour"] as? [Any])?.count == 24)
    #expect((o["exposure_by_weekday"] as? [Any])?.count == 7)
    #expect(o["benchmark"] is NSNull)
    let html = HTMLReport.render(r, metrics: Metrics.compute(r))
    #expect(html.contains("Returns by month"))
    #expect(html.contains("Exposure by UTC hour"))
    #expect(html.contains("98.5000"))
  }

  /// `underwater`: the drawdown from the running peak at each equity point, by hand.
  @Test func underwaterIsTheDrawdownFromTheRunningPeak() throws {
    let values = [1000.0, 1200, 900, 1300, 1170, 1300]
    let points = values.enumerated().map {
      EquityPoint(time: Self.jan1 + Int64($0.offset) * Self.day, equity: $0.element)
    }
    let r = Self.result(
      first: Self.jan1, last: Self.jan1 + 6 * Self.day - 60_000, initial: 1000, final: 1300,
      daily: points)
    let text = ResultJSON.encode(r, metrics: Metrics.compute(r))
    let o = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let curve = try #require(o["underwater"] as? [[Any]])
    #expect(curve.map { $0[0] as? String } == (o["equity"] as? [[Any]])?.map { $0[0] as? String })
    let expected = [0, 0, -0.25, 0, -0.1, 0]
    for (point, e) in zip(curve, expected) {
      #expect(abs((point[1] as? Double ?? 1) - e) < 1e-12, "\(point)")
    }
    // The report's chart draws the same curve in per cent.
    let html = HTMLReport.render(r, metrics: Metrics.compute(r))
    #expect(html.contains("Underwater: drawdown from the peak"))
    #expect(html.contains("-25.0%"))
  }
}

extension SplitMix {
  mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}
