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
