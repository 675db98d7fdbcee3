import Testing

@testable import WickCore

/// The session and regime classifiers the `wick.session`/`wick.regime` API and the report's
/// attribution share.
@Suite struct FeatureTests {
  let day: Int64 = 1_704_067_200_000  // 2024-01-01T00:00Z
  func at(_ h: Int, _ m: Int = 0) -> Int64 { day + Int64(h * 60 + m) * 60_000 }

  @Test func standardSessionsCoverTheDay() {
    let s = TradingSessions.standard
    #expect(s.session(at: at(0)) == .asia)
    #expect(s.session(at: at(6, 59)) == .asia)
    #expect(s.session(at: at(7)) == .asiaLondon)
    #expect(s.session(at: at(8)) == .london)
    #expect(s.session(at: at(12, 59)) == .london)
    #expect(s.session(at: at(13)) == .londonNewYork)
    #expect(s.session(at: at(16)) == .newYork)
    #expect(s.session(at: at(21, 59)) == .newYork)
    #expect(s.session(at: at(22)) == .asia)  // the Asian window wraps midnight
    #expect(s.session(at: at(23, 59) + 59_999) == .asia)
    // Every minute of a day has a session with the standard windows, and the names are the
    // documented ones.
    let names = Set((0..<1440).map { s.session(at: day + Int64($0) * 60_000).name })
    #expect(names == ["asia", "asia_london", "london", "london_new_york", "new_york"])
    // The date does not matter (UTC all year), nor does a time before 1970.
    #expect(s.session(at: at(13) + 180 * 86_400_000) == .londonNewYork)
    #expect(s.session(at: -60_000) == .asia)  // 1969-12-31T23:59Z
  }

  @Test func customWindowsLeaveGapsAndOverlaps() throws {
    let s = TradingSessions(
      asia: try #require(SessionWindow(parsing: "00:00-09:00")),
      london: try #require(SessionWindow(parsing: "08:00-17:00")),
      newYork: try #require(SessionWindow(parsing: "08:30-21:00")))
    #expect(s.session(at: at(8, 45)) == .asiaLondonNewYork)
    #expect(s.session(at: at(8, 45)).name == "asia_london_new_york")
    #expect(s.session(at: at(22)) == .off)
    #expect(s.session(at: at(22)).name == "off")
  }

  @Test(arguments: [
    "", "7:00-16:00", "07:00", "07:00-07:00", "25:00-01:00", "07:60-08:00", "24:00-01:00",
    "ab:cd-ef:gh",
  ])
  func malformedWindowsAreRejected(text: String) {
    #expect(SessionWindow(parsing: text) == nil)
  }

  @Test func windowEndAtMidnightIsAccepted() throws {
    let w = try #require(SessionWindow(parsing: "20:00-24:00"))
    #expect(w.contains(minute: 1439) && !w.contains(minute: 0) && w.contains(minute: 1200))
  }

  /// Candles whose trend and volatility change on a schedule the classifier must see.
  func phases() -> [(high: Double, low: Double, close: Double)] {
    var out: [(Double, Double, Double)] = []
    var price = 100.0
    var state: UInt64 = 3
    for i in 0..<900 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u = Double(state >> 11) / Double(1 << 53) - 0.5
      // 0-299 quiet rise, 300-599 wild fall, 600-899 quiet chop.
      let (drift, range) = i < 300 ? (0.004, 0.002) : i < 600 ? (-0.006, 0.02) : (0.0, 0.001)
      price *= 1 + drift + u * range * 0.5 + (i >= 600 ? (i % 2 == 0 ? 0.001 : -0.001) : 0)
      out.append((price * (1 + range / 2), price * (1 - range / 2), price))
    }
    return out
  }

  @Test func regimeFollowsTrendAndVolatility() {
    var r = RegimeClassifier()
    var seen: [Regime?] = []
    for c in phases() { seen.append(r.update(high: c.high, low: c.low, close: c.close)) }
    // nil until every part is warm: ATR 14 + window 100 candles (the 114th is the first).
    #expect(seen[0..<113].allSatisfy { $0 == nil })
    #expect(seen[113] != nil)
    #expect(seen[250]?.trend == .up)
    #expect(seen[320]?.volatility == .high)  // the range just widened tenfold
    #expect(seen[500]?.trend == .down)
    #expect(seen[720]?.volatility == .low)  // quieter than anything in the window
    #expect(seen[850]?.trend == .range)
    #expect(r.value == seen.last!)
  }

  @Test func regimePercentileRanksTheTrailingWindow() {
    var p = RegimeParameters()
    p.atrPeriod = 1
    p.window = 4
    p.adxPeriod = 2
    p.maPeriod = 1
    p.slopePeriod = 1
    var r = RegimeClassifier(p)
    // With ATR(1) the ATR is the true range: ranges 1, 2, 3, 4, then 2.5.
    let closes = [10.0, 10, 10, 10, 10, 10]
    let ranges = [1.0, 1, 2, 3, 4, 2.5]
    var last: Regime?
    for (c, w) in zip(closes, ranges) { last = r.update(high: c + w / 2, low: c - w / 2, close: c) }
    // 2.5 ranks above 2 and itself among [2, 3, 4, 2.5]: 2/4.
    #expect(last?.atrPercentile == 0.5)
    #expect(last?.volatility == .normal)
    #expect(last?.trend == .range)  // a flat close has no slope
  }

  /// The sorted window behind the ATR percentile ranks exactly as counting the trailing values
  /// one by one would: ties, zeros of both signs, infinities and NaN (a script can feed
  /// wick.regime 0/0) included, at every step of a long seeded stream.
  @Test func rankedWindowCountsAsAScanDoes() {
    var state: UInt64 = 11
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    for capacity in [2, 3, 7, 100] {
      var ranked = RankedWindow(capacity: capacity)
      var plain: [Double] = []
      for _ in 0..<5_000 {
        let r = next() % 100
        let x: Double =
          r < 3 ? .nan : r < 5 ? .infinity : r < 7 ? -0.0 : r < 9 ? 0.0 : Double(next() % 20) / 4
        ranked.push(x)
        plain.append(x)
        if plain.count > capacity { plain.removeFirst() }
        for probe in [x, 0.0, 2.5, .nan, .infinity, -1, plain[0]] {
          let scanned = plain.filter { $0 <= probe }.count
          #expect(ranked.count(atMost: probe) == scanned)
          if ranked.count(atMost: probe) != scanned { return }
        }
      }
    }
  }

  @Test func regimeParametersNameTheBadKey() {
    var p = RegimeParameters()
    p.highPercentile = 0.2
    #expect(p.problem?.hasPrefix("high_percentile") == true)
    p = RegimeParameters()
    p.adxPeriod = 1
    #expect(p.problem?.hasPrefix("adx_period") == true)
    #expect(RegimeParameters().problem == nil)
  }
}
