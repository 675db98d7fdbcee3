import Foundation
import Testing
import WickCore
import WickData
import WickLua

@testable import WickCLI

/// synth --pair → pairs scan --out → backtest zscore_pairs.lua --params: the scanner's JSON is a
/// valid params file and the pair trades as one unit.
@Suite struct PairsCommandTests {
  @Test func scanOutputDrivesThePairsStrategy() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-pairs-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let db = dir.appendingPathComponent("w.sqlite").path
    let out = dir.appendingPathComponent("pairs.json").path
    try DataSynth.parse([
      "--pair", "AAAUSDT,BBBUSDT", "--timeframe", "4h", "--candles", "1500", "--seed", "4", "--db",
      db,
    ]).run()
    try DataSynth.parse([
      "--symbol", "CCCUSDT", "--timeframe", "4h", "--candles", "1500", "--seed", "8", "--db", db,
    ]).run()
    try PairsScan.parse([
      "--symbols", "AAAUSDT,BBBUSDT,CCCUSDT", "--timeframe", "4h", "--db", db, "--out", out,
    ]).run()
    let params = try ParamsFile.load(path: out)
    guard case .list(let pairs)? = params.first(where: { $0.name == "pairs" })?.value else {
      Issue.record("no pairs list in \(out)")
      return
    }
    #expect(pairs.count == 1)
    guard case .table(let first)? = pairs.first else { return }
    #expect(first.first { $0.0 == "a" }?.1 == .string("AAAUSDT"))
    #expect(first.first { $0.0 == "b" }?.1 == .string("BBBUSDT"))

    let outcome = try BacktestCommand.parse([
      "strategies/zscore_pairs.lua", "--symbols", "AAAUSDT,BBBUSDT,CCCUSDT", "--timeframe", "4h",
      "--params", out, "--db", db,
      "--quiet",
    ]).job().run()
    #expect(outcome.result.error == nil)
    let a = outcome.result.trades.filter { $0.symbol == "AAAUSDT" }
    let b = outcome.result.trades.filter { $0.symbol == "BBBUSDT" }
    #expect(a.count > 3 && a.count == b.count)
    #expect(
      zip(a, b).allSatisfy {
        $0.entryTime == $1.entryTime && $0.exitTime == $1.exitTime && $0.side != $1.side
      })
    #expect(outcome.result.trades.allSatisfy { $0.symbol != "CCCUSDT" })
  }

  @Test func scanRejectsBadInput() throws {
    #expect(throws: (any Error).self) {
      try PairsScan.parse(["--symbols", "AAA", "--timeframe", "4h"]).run()
    }
  }
}

/// `--max-pairs` and `--distinct-symbols`, through the `wick` binary: three symbols that move
/// together (every pair among them cointegrated) and a separate planted pair.
@Suite struct PairsSelectionTests {
  final class World: RunProcessWorld {
    let dir: URL
    init() throws {
      dir = FileManager.default.temporaryDirectory.appendingPathComponent(
        "wick-pairs-select-\(UUID().uuidString)")
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      for (pair, seed) in [("AAAUSDT,BBBUSDT", "4"), ("DDDUSDT,EEEUSDT", "9")] {
        try DataSynth.parse([
          "--pair", pair, "--timeframe", "4h", "--candles", "800", "--seed", seed, "--db", db,
        ]).run()
      }
      // CCC is AAA times a little white noise: AAA/CCC, and with it BBB/CCC, cointegrate.
      let store = try CandleStore(path: db)
      let tf = try Timeframe(parsing: "4h")
      let cursor = try store.cursor(series: SeriesKey(symbol: "AAAUSDT", timeframe: tf))
      var ccc: [Candle] = []
      var rng = Xoshiro256StarStar(seed: 11)
      while let c = try cursor.next() {
        let k = 1 + 0.002 * rng.nextNormal()
        ccc.append(
          Candle(
            time: c.time, open: c.open * k, high: c.high * k, low: c.low * k, close: c.close * k,
            volume: c.volume))
      }
      try store.write(ccc, series: SeriesKey(symbol: "CCCUSDT", timeframe: tf), replace: true)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }

    /// `wick pairs scan` over the five symbols with `extra`; its exit status, output and the
    /// pairs it wrote (as "A/B", in order).
    func scan(_ extra: [String]) throws -> (Int32, String, [String]) {
      let out = dir.appendingPathComponent("pairs-\(UUID().uuidString).json").path
      let (status, said) = try runWick(
        [
          "pairs", "scan", "--symbols", "AAAUSDT,BBBUSDT,CCCUSDT,DDDUSDT,EEEUSDT", "--timeframe",
          "4h", "--db", db, "--out", out,
        ] + extra)
      guard status == 0 else { return (status, said, []) }
      let params = try ParamsFile.load(path: out)
      guard case .list(let items)? = params.first(where: { $0.name == "pairs" })?.value else {
        return (status, said, [])
      }
      let pairs = items.compactMap { item -> String? in
        guard case .table(let kv) = item,
          case .string(let a)? = kv.first(where: { $0.0 == "a" })?.1,
          case .string(let b)? = kv.first(where: { $0.0 == "b" })?.1
        else { return nil }
        return "\(a)/\(b)"
      }
      return (status, said, pairs)
    }
  }

  @Test func distinctSymbolsAndMaxPairsNarrowTheSelection() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (status, said, all) = try w.scan([])
    #expect(status == 0, "\(said)")
    // Unchanged without the options: every pair that passes, overlapping ones included.
    #expect(said.contains("\(all.count) of 10 pairs at p ≤ 0.05\n"), "\(said)")
    let symbols = all.flatMap { $0.split(separator: "/").map(String.init) }
    #expect(Set(symbols).count < symbols.count, "no overlapping pairs to drop: \(all)")
    #expect(all.contains("DDDUSDT/EEEUSDT"))
    // Greedy by rank: a pair is dropped when a better-ranked kept pair holds one of its symbols.
    var used: Set<String> = []
    let distinct = all.filter { p in
      let s = p.split(separator: "/").map(String.init)
      guard used.isDisjoint(with: s) else { return false }
      used.formUnion(s)
      return true
    }
    #expect(distinct.count == 2 && distinct.contains("DDDUSDT/EEEUSDT"), "\(all)")
    let (s2, said2, kept) = try w.scan(["--distinct-symbols"])
    #expect(s2 == 0 && kept == distinct, "\(said2)")
    #expect(
      said2.contains(
        "2 of 10 pairs kept (\(all.count) at p ≤ 0.05, sharing no symbol)"), "\(said2)")
    let (s3, said3, top) = try w.scan(["--distinct-symbols", "--max-pairs", "1"])
    #expect(s3 == 0 && top == [distinct[0]], "\(said3)")
    #expect(
      said3.contains("1 of 10 pairs kept (\(all.count) at p ≤ 0.05, sharing no symbol, at most 1)"))
    let (s4, said4, first3) = try w.scan(["--max-pairs", "3"])
    #expect(s4 == 0 && first3 == Array(all.prefix(3)), "\(said4)")
  }

  @Test func maxPairsMustBePositive() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    for bad in ["0", "-2"] {
      let (status, said, _) = try w.scan(["--max-pairs=\(bad)"])
      #expect(status != 0)
      #expect(said.contains("--max-pairs \(bad): expected a whole number ≥ 1"), "\(said)")
    }
    let (status, said, _) = try w.scan(["--max-pairs", "two"])
    #expect(status != 0 && said.contains("--max-pairs"), "\(said)")
  }
}
