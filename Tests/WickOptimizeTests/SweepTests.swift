import Foundation
import Testing
import WickCore
import WickReport

@testable import WickLua
@testable import WickOptimize

@Suite struct SweepAxisTests {
  let specs = [
    ParamSpec(name: "period", kind: .number(min: 5, max: 500, step: 5), defaultValue: .number(60)),
    ParamSpec(
      name: "threshold", kind: .number(min: 0, max: 0.05, step: nil), defaultValue: .number(0.001)),
    ParamSpec(name: "mode", kind: .choice(["fixed", "trailing"]), defaultValue: .string("fixed")),
    ParamSpec(name: "short", kind: .bool, defaultValue: .bool(true)),
  ]

  @Test func rangesListsAndDeclaredRanges() throws {
    #expect(
      try SweepAxis.parse("period=20:40:5", specs: specs).values
        == [20, 25, 30, 35, 40].map(ParamValue.number))
    // Decimal steps come out as written, never 0.30000000000000004.
    #expect(
      try SweepAxis.parse("threshold=0.001:0.003:0.001", specs: specs).values.map(\.description)
        == ["0.001", "0.002", "0.003"])
    #expect(
      try SweepAxis.parse("threshold=0.01:0.03:0.01", specs: specs).values
        == [0.01, 0.02, 0.03].map(ParamValue.number))
    #expect(
      try SweepAxis.parse("mode=trailing,fixed", specs: specs).values == [
        .string("trailing"), .string("fixed"),
      ])
    #expect(try SweepAxis.parse("period=60", specs: specs).values == [.number(60)])
    #expect(try SweepAxis.parse("period", specs: specs).values.count == 100)
    #expect(try SweepAxis.parse("mode", specs: specs).values.count == 2)
    #expect(try SweepAxis.parse("short", specs: specs).values == [.bool(false), .bool(true)])
  }

  @Test func errorsNameTheFlagAndTheValue() {
    let cases: [(String, String)] = [
      (
        "speed=1:2:1",
        "--param speed=1:2:1: unknown param 'speed' (the strategy declares: period, threshold, mode, short)"
      ),
      ("period=0:20:5", "--param period=0:20:5: param 'period': 0 is below the minimum 5"),
      ("period=5:20:3", "--param period=5:20:3: param 'period': 8 is not on the grid 5 + k × 5"),
      (
        "threshold=0:1:0.5",
        "--param threshold=0:1:0.5: param 'threshold': 0.5 is above the maximum 0.05"
      ),
      ("period=5:a:5", "--param period=5:a:5: expected LO:HI:STEP with three numbers"),
      ("period=5:20:-5", "the step -5 must be positive"),
      ("period=5,,10", "--param period=5,,10: empty value in the list"),
      ("threshold", "--param threshold: 'threshold' declares no range to sweep"),
      ("mode=fixed,tight", "param 'mode': expected one of fixed, trailing, got tight"),
      ("threshold=0:0.05:0.0000001", "more than 100000"),
      ("=1", "expected NAME=LO:HI:STEP"),
    ]
    for (text, expected) in cases {
      #expect {
        _ = try SweepAxis.parse(text, specs: specs)
      } throws: { "\($0)".contains(expected) }
    }
  }
}

@Suite struct SweepPlanTests {
  let axes = [
    SweepAxis(name: "a", values: [1, 2, 3].map(ParamValue.number), range: "1:3:1"),
    SweepAxis(name: "b", values: [.string("x"), .string("y")], range: "x,y"),
  ]

  @Test func gridVariesTheLastAxisFastest() throws {
    let plan = try SweepPlan(axes: axes, mode: .grid)
    #expect(plan.count == 6)
    #expect(plan.values(of: 0) == [.number(1), .string("x")])
    #expect(plan.values(of: 1) == [.number(1), .string("y")])
    #expect(plan.values(of: 5) == [.number(3), .string("y")])
  }

  @Test func randomIsSeededDistinctAndFromTheGrid() throws {
    let big = [
      SweepAxis(name: "n", values: (0..<1000).map { .number(Double($0)) }, range: "0:999:1")
    ]
    let a = try SweepPlan(axes: big, mode: .random(count: 50, seed: 7))
    let b = try SweepPlan(axes: big, mode: .random(count: 50, seed: 7))
    let c = try SweepPlan(axes: big, mode: .random(count: 50, seed: 8))
    let values = (0..<50).map { a.values(of: $0) }
    #expect(values == (0..<50).map { b.values(of: $0) })
    #expect(values != (0..<50).map { c.values(of: $0) })
    #expect(Set(values.map(\.description)).count == 50)
    // Asking for more than the grid holds gives the grid.
    #expect(try SweepPlan(axes: axes, mode: .random(count: 100, seed: 1)).count == 6)
  }

  @Test func oversizedGridIsRefused() {
    let wide = SweepAxis(name: "n", values: (0..<1001).map { .number(Double($0)) }, range: "")
    #expect(throws: WickError.self) { try SweepPlan(axes: [wide, wide], mode: .grid) }
    #expect((try? SweepPlan(axes: [wide, wide], mode: .random(count: 10, seed: 1)))?.count == 10)
  }

  @Test func shardsPartitionTheSweepInOrder() throws {
    for total in [0, 1, 5, 8, 97] {
      for n in [1, 2, 3, 8] {
        let parts = (0..<n).map { Shard(index: $0, count: n).range(of: total) }
        #expect(parts.flatMap { Array($0) } == Array(0..<total))
        #expect(parts.map(\.count).max()! - parts.map(\.count).min()! <= 1)
      }
    }
    #expect(try Shard(parsing: "2/8") == Shard(index: 2, count: 8))
    for bad in ["8/8", "-1/8", "1/0", "1", "a/b"] {
      #expect(throws: WickError.self) { try Shard(parsing: bad) }
    }
  }
}

@Suite struct WalkForwardTests {
  @Test func windowsRollAndNeverOverlapTheirTest() throws {
    let wf = try WalkForward(parsing: "90d:30d")
    let day: Int64 = 86_400_000
    let windows = wf.windows(from: 0, to: 365 * day)
    #expect(windows.count == 9)  // 90 + 30k + 30 ≤ 365
    for w in windows {
      #expect(w.trainTo == w.testFrom && w.trainTo - w.trainFrom == 90 * day)
      #expect(w.testTo - w.testFrom == 30 * day && w.testTo <= 365 * day)
    }
    #expect(windows[1].trainFrom == 30 * day)
    #expect(try WalkForward(parsing: "12w:4w:6w").step == 42 * day)
  }

  @Test func badDurationsAreNamed() {
    for (text, expected) in [
      ("90:30d", "'90' is not a duration"), ("90d", "expected TRAIN:TEST"),
      ("90d:0d", "'0d' is not a duration"), ("90d:30d:10d", "shorter than the test period"),
    ] {
      #expect {
        _ = try WalkForward(parsing: text)
      } throws: { "\($0)".contains("--walk-forward \(text)") && "\($0)".contains(expected) }
    }
  }
}

@Suite struct DeflatedSharpeTests {
  @Test func inverseNormalInvertsTheCDF() {
    for p in [1e-6, 0.01, 0.2, 0.5, 0.9, 0.999] {
      #expect(
        abs(DeflatedSharpe.normal(DeflatedSharpe.inverseNormal(p)) - p) < 1e-12 * max(1, p / 1e-6))
    }
    #expect(abs(DeflatedSharpe.inverseNormal(0.975) - 1.959963984540054) < 1e-12)
  }

  /// The paper's numerical example: annualised SR 2.5 over 5 years of daily returns (T = 1250,
  /// 250 a year), skewness −3, kurtosis 10, 100 trials whose annualised Sharpe ratios have
  /// variance 1/2: DSR ≈ 0.9004, SR₀ ≈ 0.1132 per day.
  @Test func matchesBaileyAndLopezDePradosExample() {
    let d = DeflatedSharpe.compute(
      sharpe: 2.5 / 250.0.squareRoot(), observations: 1250, skewness: -3, kurtosis: 10,
      trials: 100, trialSharpeVariance: 0.5 / 250)
    #expect(abs(d.expectedMaxSharpe - 0.11317) < 1e-4)
    #expect(abs(d.probability - 0.9004) < 1e-4)
  }

  /// Returns with a known mean and spread, seeded.
  func returns(mean: Double, count: Int = 500) -> [Double] {
    var state: UInt64 = 42
    return (0..<count).map { _ in
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return mean + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.04
    }
  }

  @Test func moreTrialsDeflateMore() throws {
    let r = returns(mean: 0.002)
    let one = try #require(DeflatedSharpe.compute(returns: r, trials: 1, trialSharpeVariance: 0.01))
    let ten = try #require(
      DeflatedSharpe.compute(returns: r, trials: 10, trialSharpeVariance: 0.01))
    let thousand = try #require(
      DeflatedSharpe.compute(returns: r, trials: 1000, trialSharpeVariance: 0.01))
    #expect(one.probability > ten.probability && ten.probability > thousand.probability)
    #expect(one.expectedMaxSharpe == 0)
    // E[max of N standard normals] for N = 1000 is about 3.24; the paper's approximation gives
    // the same to two decimals, scaled by √V = 0.1.
    #expect(abs(thousand.expectedMaxSharpe - 0.3241) < 0.005)
    // With one trial it is the probabilistic Sharpe ratio against 0 (uniform noise: skew 0, kurtosis 1.8).
    let sr = one.sharpe
    let expected = DeflatedSharpe.normal(
      sr * Double(r.count - 1).squareRoot()
        / (1 - one.skewness * sr + (one.kurtosis - 1) / 4 * sr * sr).squareRoot())
    #expect(abs(one.probability - expected) < 1e-12)
    #expect(abs(one.kurtosis - 1.8) < 0.2)
  }
}

@Suite struct ResultsFileTests {
  @Test func csvRoundTripsIncludingQuotedCells() throws {
    let table = ResultsTable(axisNames: ["mode", "period"], walkForward: false)
    var synth = BacktestResult(
      strategy: "s", params: [], symbols: ["X"], timeframe: .oneMinute, candles: 0, firstTime: nil,
      lastTime: nil, initialEquity: 100, finalEquity: 110, trades: [], equity: [], dailyEquity: [],
      maxDrawdown: 0.1, exposure: 0.5)
    synth.error = nil
    let row = table.row(
      set: 3, window: nil, values: [.string("a,\"b\""), .number(0.1)],
      metrics: Metrics.compute(synth))
    let text = table.csv([row])
    #expect(text.hasPrefix("set,mode,period,trades,net_return,"))
    #expect(try table.parse(text, path: "r.csv") == [row])
    #expect(table.value(row, "net_return") == 110.0 / 100 - 1)
    #expect(row.cells[table.column("profit_factor")!] == "")  // no losing trade: no ratio
    #expect(throws: WickError.self) {
      _ = try ResultsTable(axisNames: ["x"], walkForward: false).parse(text, path: "r.csv")
    }
  }

  @Test func stitchingCompoundsTheTestPeriods() throws {
    func run(_ window: Int, start: Int64, growth: Double) -> SelectedRun {
      let day: Int64 = 86_400_000
      var r = BacktestResult(
        strategy: "s", params: [], symbols: ["X"], timeframe: .oneMinute, candles: 1440 * 2,
        firstTime: start, lastTime: start + 2 * day - 60_000, initialEquity: 1000,
        finalEquity: 1000 * growth, trades: [], equity: [],
        dailyEquity: [
          EquityPoint(time: start, equity: 1000),
          EquityPoint(time: start + day, equity: 1000 * (1 + (growth - 1) / 2)),
          EquityPoint(time: start + 2 * day, equity: 1000 * growth),
        ], maxDrawdown: 0.02, exposure: 0.5)
      r.trades = [
        Trade(
          symbol: "X", side: .long, entryTime: start, entryPrice: 1, exitTime: start + day,
          exitPrice: 1, qty: 1, fees: 1, spreadCost: 0, slippageCost: 0, pnl: 1000 * (growth - 1),
          r: 1, exitReason: .take)
      ]
      return SelectedRun(window: window, set: 0, result: r)
    }
    let day: Int64 = 86_400_000
    let stitched = try #require(
      SelectedRun.stitch([run(0, start: 0, growth: 1.1), run(1, start: 2 * day, growth: 0.9)]))
    #expect(abs(stitched.finalEquity - 1000 * 1.1 * 0.9) < 1e-9)
    // The second period trades with the equity the first ended with.
    #expect(abs(stitched.trades[1].pnl - (-100 * 1.1)) < 1e-9)
    #expect(stitched.dailyEquity.count == 5)
    let m = Metrics.compute(stitched)
    #expect(abs(m.netReturn - (1.1 * 0.9 - 1)) < 1e-12)
    #expect(abs(m.netPnl - (stitched.finalEquity - 1000)) < 1e-9)
  }
}

@Suite struct WorkerPoolTests {
  @Test func everyItemRunsOnceAndCancellationStopsNewOnes() throws {
    var seen: [Int: Int] = [:]
    try WorkerPool.run(
      items: Array(0..<200), workers: 4, cancel: CancellationFlag(), work: { $0 * $0 },
      collect: { item, square in seen[item] = square })
    #expect(seen.count == 200 && seen.allSatisfy { $0.value == $0.key * $0.key })

    // After a cancellation no item starts; the (at most two) running ones finish. Counted by what
    // the workers started, not by how far the collector lagged behind them (a loaded machine).
    let cancel = CancellationFlag()
    let started = Counter()
    var startedAtCancel = 0
    var collected = 0
    try WorkerPool.run(
      items: Array(0..<1000), workers: 2, cancel: cancel,
      work: { i -> Int in
        started.increment()
        usleep(200)
        return i
      },
      collect: { _, _ in
        collected += 1
        if collected == 10 {
          startedAtCancel = started.value
          cancel.cancel()
        }
      })
    #expect(collected >= 10 && collected == started.value)
    #expect(started.value <= startedAtCancel + 2 && started.value < 1000)

    struct Boom: Error {}
    #expect(throws: Boom.self) {
      try WorkerPool.run(
        items: Array(0..<50), workers: 2, cancel: CancellationFlag(),
        work: { i -> Int in
          if i == 7 { throw Boom() }
          return i
        }, collect: { _, _ in })
    }
  }
}

@Suite struct SharedCandlesTests {
  /// Candles over 3 symbols with gaps.
  func series() -> [[Candle]] {
    var state: UInt64 = 9
    func next() -> UInt64 {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      return state >> 33
    }
    return (0..<3).map { s in
      (0..<500).compactMap { i -> Candle? in
        next() % 4 == 0
          ? nil
          : Candle(
            time: Int64(i) * 60_000, open: Double(s), high: 1, low: 1, close: Double(i), volume: 1)
      }
    }
  }

  /// Several symbols read through the shared candles' cursors merge exactly as their arrays do.
  @Test func mergesLikeArrays() throws {
    let series = series()
    let ranges = series.map { 10..<($0.count - 10) }
    let symbols = ["A", "B", "C"]
    let shared = MergedCandleSource(
      symbols: symbols,
      cursors: zip(series, ranges).map { SharedCandles($0).cursor($1) })
    let merged = MergedCandleSource(
      symbols: symbols, cursors: zip(series, ranges).map { ArrayCandleCursor(Array($0[$1])) })
    var count = 0
    while let a = try shared.next() {
      #expect(a == (try merged.next()))
      count += 1
    }
    #expect(try merged.next() == nil)
    #expect(count == ranges.map(\.count).reduce(0, +))
  }

  /// One symbol's range comes as one batch (the candle loop's fast path), then the end; a range
  /// past the series is cut to it.
  @Test func oneSeriesIsOneBatch() throws {
    let candles = series()[0]
    let shared = SharedCandles(candles)
    let source = MergedCandleSource(symbols: ["A"], cursors: [shared.cursor(5..<200)])
    #expect(source.isSingleBatch)
    #expect(Array(try source.nextBatch()) == Array(candles[5..<200]))
    #expect(try source.nextBatch().isEmpty)
    let tail = MergedCandleSource(
      symbols: ["A"], cursors: [shared.cursor((candles.count - 10)..<(candles.count + 500))])
    #expect(Array(try tail.nextBatch()) == Array(candles.suffix(10)))
    #expect(shared.index(atOrAfter: candles[42].time) == 42)
    #expect(shared.index(atOrAfter: candles[42].time + 1) == 43)
  }
}

@Suite struct WalkForwardSummaryTests {
  /// A result whose equity moves by `daily` each day for `days` days from `start`.
  func result(start: Int64, days: Int, daily: [Double]) -> BacktestResult {
    let day: Int64 = 86_400_000
    var equity = 1_000.0
    var points = [EquityPoint(time: start, equity: equity)]
    for d in 0..<days {
      equity *= 1 + daily[d % daily.count]
      points.append(EquityPoint(time: start + Int64(d + 1) * day, equity: equity))
    }
    let trade = Trade(
      symbol: "X", side: .long, entryTime: start, entryPrice: 1, exitTime: start + day,
      exitPrice: 1, qty: 1, fees: 0, spreadCost: 0, slippageCost: 0, pnl: equity - 1_000, r: nil,
      exitReason: .take)
    return BacktestResult(
      strategy: "s", params: [("n", .number(1))], symbols: ["X"], timeframe: .oneMinute,
      candles: days * 1440, firstTime: start, lastTime: start + Int64(days) * day - 60_000,
      initialEquity: 1_000, finalEquity: equity, trades: [trade], equity: [], dailyEquity: points,
      maxDrawdown: 0.01, exposure: 1)
  }

  func summary(testDaily: [Double]) throws -> (json: String, warnings: [String]) {
    let wf = try WalkForward(parsing: "10d:5d")
    let day: Int64 = 86_400_000
    let windows = wf.windows(from: 0, to: 20 * day)
    let axis = SweepAxis(name: "n", values: [.number(1), .number(2)], range: "1,2")
    let plan = try SweepPlan(axes: [axis], mode: .grid)
    let spec = SweepSpec(
      strategy: "s.lua", strategyName: "s", symbols: ["X"], timeframe: "1m", from: nil, to: nil,
      plan: plan, specs: [], objective: .sharpe, minTrades: 1, walkForward: wf,
      windows: windows.count, shard: .whole, arguments: [])
    let table = spec.table
    var rows: [SweepRow] = []
    var selected: [SelectedRun] = []
    for w in windows {
      for set in 0..<2 {
        // Training: a steady climb (set 1 a little steadier).
        let r = result(
          start: w.trainFrom, days: 10, daily: set == 0 ? [0.01, -0.002] : [0.01, -0.001])
        rows.append(
          table.row(set: set, window: w, values: plan.values(of: set), metrics: Metrics.compute(r)))
      }
      selected.append(
        SelectedRun(
          window: w.index, set: 1, result: result(start: w.testFrom, days: 5, daily: testDaily)))
    }
    let results = SweepResults(spec: spec, rows: rows)
    #expect(results.winners.map(\.set) == [1, 1])
    let (json, warnings) = results.summary(selected: selected, seconds: 1, complete: true)
    return (json.text, warnings)
  }

  @Test func warnsWhenOutOfSampleIsFarBelowInSample() throws {
    let bad = try summary(testDaily: [-0.01, 0.004])
    #expect(bad.warnings.count == 1 && bad.warnings[0].hasPrefix("out-of-sample Sharpe"))
    #expect(bad.json.contains("\"out_of_sample\"") && bad.json.contains("\"in_sample\""))
    #expect(bad.json.contains("\"deflated_sharpe\": {"))
    let good = try summary(testDaily: [0.01, -0.001])
    #expect(good.warnings.isEmpty)
  }
}

/// A thread-safe count for the worker pool test.
private final class Counter: @unchecked Sendable {
  private let lock = NSLock()
  private var count = 0
  func increment() { lock.withLock { count += 1 } }
  var value: Int { lock.withLock { count } }
}
