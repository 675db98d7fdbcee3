import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// A params swap that drops a pair while it is held (what a scheduled re-scan does): zscore_pairs
/// keeps managing the held pair until it exits and opens no new position on it.
extension ShippedStrategyTests {
  /// Calls `edit` once, when the first candle at or after `time` is read.
  final class EditingAt: CandleSource {
    let inner: CandleSource
    let time: Int64
    var edit: (() -> Void)?
    init(_ inner: CandleSource, at time: Int64, edit: @escaping () -> Void) {
      self.inner = inner
      self.time = time
      self.edit = edit
    }
    var symbols: [String] { inner.symbols }
    func next() throws -> SymbolCandle? {
      let c = try inner.next()
      if let c, c.candle.time >= time, let e = edit {
        edit = nil
        e()
      }
      return c
    }
  }

  func pairsRun(_ series: [[Candle]], paramsFile: String, editAt: Int64?, to newText: String)
    throws -> BacktestResult
  {
    let symbols = ["AAA", "BBB", "CCC", "DDD"]
    let strategy = try ReloadingStrategy(paramsFile: paramsFile, checkInterval: 0) {
      try LuaStrategy(
        path: "strategies/zscore_pairs.lua",
        overrides: try ParamsFile.load(path: paramsFile) + $0, symbols: symbols)
    }
    let config = BacktestConfig(
      strategyName: "zscore_pairs", timeframe: try Timeframe(parsing: "4h"), historyDepth: 60)
    let engine = BacktestEngine(
      config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    let merged = MergedCandleSource(symbols: symbols, cursors: series.map { ArrayCandleCursor($0) })
    let source: CandleSource =
      editAt.map { t in
        EditingAt(merged, at: t) {
          try? newText.write(toFile: paramsFile, atomically: true, encoding: .utf8)
        }
      } ?? merged
    return try engine.run(source: source)
  }

  @Test func aHeldPairDroppedFromTheParamsIsStillExited() throws {
    let (a, b) = cointegratedPair(600, seed: 21)
    let (c, d) = cointegratedPair(600, seed: 22)
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "pairs-\(UUID().uuidString).json"
    ).path
    defer { try? FileManager.default.removeItem(atPath: file) }
    let first = #"{"pairs": [{"a": "AAA", "b": "BBB"}]}"#
    let second = #"{"pairs": [{"a": "CCC", "b": "DDD"}]}"#
    try first.write(toFile: file, atomically: true, encoding: .utf8)
    let before = try pairsRun([a, b, c, d], paramsFile: file, editAt: nil, to: "")
    let held = try #require(before.trades.first { $0.symbol == "AAA" })
    // Swap the pairs one candle after the first AAA/BBB entry, while it is held.
    try first.write(toFile: file, atomically: true, encoding: .utf8)
    let swapAt = held.entryTime + 14_400_000
    #expect(held.exitTime > swapAt)
    let after = try pairsRun([a, b, c, d], paramsFile: file, editAt: swapAt, to: second)
    #expect(after.error == nil, "\(after.error ?? "")")
    let aaa = after.trades.filter { $0.symbol == "AAA" }
    // The held pair was exited by the strategy (exit_z or stop_z), not left to the end of data...
    #expect(aaa.count == 1)
    #expect(aaa.first?.entryTime == held.entryTime)
    #expect(aaa.first?.exitReason == .signal)
    // ...and the new pair trades.
    #expect(after.trades.contains { $0.symbol == "CCC" && $0.entryTime > swapAt })
  }
}
