import Foundation
import Testing
import WickCore

@testable import WickReport

/// The JSON result must stay byte-identical across writer rewrites: `Fixtures/result.golden.json`
/// was written by the original String-based writer from `GoldenFixture.result`.
@Suite struct ResultJSONGoldenTests {
  static let goldenPath = "Tests/WickReportTests/Fixtures/result.golden.json"

  @Test func resultMatchesTheGoldenFileByteForByte() throws {
    let r = GoldenFixture.result()
    let text = ResultJSON.encode(r, metrics: Metrics.compute(r))
    let golden = Array(try #require(FileManager.default.contents(atPath: Self.goldenPath)))
    let produced = Array(text.utf8)
    // A deliberate format change (new keys) rewrites the file: WICK_REGENERATE_GOLDEN=1.
    if ProcessInfo.processInfo.environment["WICK_REGENERATE_GOLDEN"] == "1" {
      try Data(produced).write(to: URL(fileURLWithPath: Self.goldenPath))
      return
    }
    if produced != golden {
      let first =
        zip(produced, golden).enumerated().first { $0.element.0 != $0.element.1 }?.offset
        ?? min(produced.count, golden.count)
      Issue.record(
        "JSON differs from the golden file at byte \(first): …\(String(decoding: produced[max(0, first - 40)..<min(produced.count, first + 40)], as: UTF8.self))…"
      )
    }
  }

  /// Numbers: the writer's own formatting against Swift's `description` (shortest round-trip),
  /// on random bit patterns, plausible prices and the values where formats change (1e15, 1e16, tiny, negative zero).
  @Test func longTradeListsWrittenInTwoHalvesReadAsOnePass() {
    // Above `parallelTrades`, with an odd count so the halves differ in length.
    let base = GoldenFixture.result().trades
    let trades = (0..<(ResultJSON.parallelTrades * 2 + 3)).map { base[$0 % base.count] }
    var parallel = JSONWriter()
    ResultJSON.trades(trades, &parallel)
    var onePass = JSONWriter()
    ResultJSON.objects(trades, &onePass, ResultJSON.trade)
    #expect(parallel.bytes == onePass.bytes)
    #expect(parallel.bytes.count > 1_000_000)
  }

  @Test func numbersAreShortestRoundTripLikeDescription() {
    var rng = SplitMix(seed: 42)
    var values: [Double] = [
      0, -0.0, 1, -1, 0.1, 0.2, 1e15, 1e15 - 1, -1e15, 1e15 + 2, 1e16, 1e-5, 1e-4, 123456.789,
      5e-324, .greatestFiniteMagnitude, -.greatestFiniteMagnitude, .leastNormalMagnitude,
      42_000.123456789, 9_007_199_254_740_993, 0.30000000000000004, 1e21, 1e22, 123e-20,
    ]
    for _ in 0..<60_000 {
      let bits = rng.next()
      let d = Double(bitPattern: bits)
      if d.isFinite { values.append(d) }
      // Prices and money: a few decimals on plausible magnitudes.
      values.append(Double(Int64(bitPattern: bits) % 10_000_000_000) / 10_000)
    }
    for d in values {
      var w = JSONWriter()
      w.number(d)
      let expected = d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : "\(d)"
      #expect(w.text == expected, "\(d.bitPattern)")
      if w.text != expected { return }
    }
  }

  @Test func exitReasonsAndSidesAreTheirRawValues() {
    for reason in ExitReason.allCases {
      var fast = JSONWriter()
      fast.raw(ResultJSON.quoted(reason))
      var slow = JSONWriter()
      slow.string(reason.rawValue)
      #expect(fast.text == slow.text)
    }
  }

  @Test func runsOfTimesOnOneDayMatchTheISOFormatter() {
    // One writer for all: `time` keeps the last day's date, so consecutive times on a day, day
    // changes forwards and backwards, and the years outside 0…9999 between them must all read
    // as the String formatter writes them.
    var w = JSONWriter()
    var expected = ""
    var ms: Int64 = 1_704_067_200_000 - 3 * 86_400_000
    for k in 0..<20_000 {
      ms += k % 997 == 0 ? -5 * 86_400_000 : Int64(7 * 60_000 + k % 3 * 1_001)
      let t = k % 4_999 == 0 ? -400_000_000_000_000 : ms
      w.time(t)
      expected += "\"" + UTCTime.iso(t) + "\""
    }
    #expect(w.text == expected)
  }

  @Test func timesMatchTheISOFormatter() {
    var rng = SplitMix(seed: 7)
    for _ in 0..<50_000 {
      // Both signs, years 1716…2223, and a few far outside 0…9999 (the String path).
      let ms =
        Int64(bitPattern: rng.next())
        % (rng.next() % 100 == 0 ? 400_000_000_000_000 : 8_000_000_000_000)
      var w = JSONWriter()
      w.time(ms)
      #expect(w.text == "\"" + UTCTime.iso(ms) + "\"")
    }
  }
}

/// A result with every kind of value the writer must format: escapes, unicode, control bytes,
/// whole and fractional numbers around the integer cut-off, NaN and infinity, milliseconds.
enum GoldenFixture {
  static func result() -> BacktestResult {
    let t0: Int64 = 1_704_067_200_000
    var rng = SplitMix(seed: 2026)
    func price() -> Double { 30_000 + Double(rng.next() % 2_000_000_000) / 100_000 }
    var trades: [Trade] = []
    let awkward: [Double] = [
      0, -0.0, 1e15, 1e15 - 1, 1e16, -2.5e-7, .nan, .infinity, 0.1 + 0.2, 123456789.125,
    ]
    for i in 0..<400 {
      let entry = t0 + Int64(i) * 3_600_000 + (i % 7 == 0 ? 123 : 0)
      let a = awkward[i % awkward.count]
      trades.append(
        Trade(
          symbol: i % 3 == 0 ? "ETHUSDT" : "BTCUSDT", side: i % 2 == 0 ? .long : .short,
          entryTime: entry, entryPrice: price(), exitTime: entry + 1_800_000, exitPrice: price(),
          qty: Double(rng.next() % 1_000_000) / 1e6, fees: a, spreadCost: 0.5,
          slippageCost: Double(i) / 3, funding: -Double(i) * 1e-3, pnl: price() - 40_000,
          r: i % 5 == 0 ? nil : Double(i) / 7 - 20,
          exitReason: [.stop, .take, .trail, .signal, .liquidation, .endOfData, .risk][i % 7],
          exitNote: i % 4 == 0 ? nil : "note \"\(i)\"\\\n\t\r</script> é ✓ \u{1}\u{1f}",
          tag: i % 6 == 0 ? nil : "tag\(i)",
          // Excursions from the index (no draws: the other fields keep their values).
          mae: i % 9 == 0 ? nil : 30_000 + Double(i) * 0.25,
          mfe: i % 9 == 0 ? nil : 50_000 - Double(i) / 3))
    }
    let equity = (0..<3_000).map {
      EquityPoint(time: t0 + Int64($0) * 60_000, equity: 10_000 + Double($0 * $0 % 977) / 3)
    }
    var r = BacktestResult(
      strategy: "golden \"fixture\" ✓",
      params: [
        ("period", .number(60)), ("threshold", .number(0.001)), ("mode", .string("a<b")),
        ("on", .bool(true)), ("list", .list([.number(1), .number(2.5), .string("x")])),
        ("pairs", .table([("a", .string("AAAUSDT")), ("hedge", .number(1e-9))])),
      ],
      symbols: ["BTCUSDT", "ETHUSDT"], timeframe: .oneMinute, candles: 525_600, firstTime: t0,
      lastTime: t0 + 525_599 * 60_000, initialEquity: 10_000, finalEquity: 9_876.543210987,
      trades: trades, equity: equity,
      dailyEquity: equity.enumerated().filter { $0.offset % 1440 == 0 }
        .map(\.element), maxDrawdown: 0.1234, exposure: 0.5,
      refusals: ["warmup": 3, "missing_stop": 12], logs: ["x"],
      limitsInForce: ["a limit", "b \"quoted\""], error: "stopped at line 3: <boom>")
    r.riskEvents = [
      RiskEvent(time: t0, kind: .kill, account: "acct", detail: "drawdown 31%"),
      RiskEvent(time: t0 + 1, kind: .breach, account: "acct", detail: "daily loss"),
    ]
    r.riskStates = [
      RiskStatePoint(
        time: t0, account: "acct", decayFactor: 0.5, dailyLossUsed: 12.25, killed: true)
    ]
    return r
  }
}

/// A tiny seeded generator for test inputs (SplitMix64).
struct SplitMix {
  var state: UInt64
  init(seed: UInt64) { state = seed }
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}
