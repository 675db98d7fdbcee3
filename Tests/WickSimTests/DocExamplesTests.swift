import Foundation
import Testing
import WickCore
import WickLua
import WickRisk

@testable import WickSim

/// Every ```lua block of docs/strategy-api.md is a complete strategy: it must load and run
/// over synthetic candles without an error.
@Suite struct DocExamplesTests {
  static let examples: [String] = {
    guard let text = try? String(contentsOfFile: "docs/strategy-api.md", encoding: .utf8) else {
      return []
    }
    var blocks: [String] = []
    var current: [Substring]? = nil
    for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
      if current == nil, line == "```lua" {
        current = []
      } else if current != nil, line == "```" {
        blocks.append(current!.joined(separator: "\n"))
        current = nil
      } else {
        current?.append(line)
      }
    }
    return blocks
  }()

  @Test func docsHaveExamples() { #expect(Self.examples.count >= 12) }

  @Test(arguments: Self.examples.indices)
  func exampleRuns(index: Int) throws {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent(
      "doc-example-\(index)-\(UUID().uuidString).lua")
    try Self.examples[index].write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let strategy = try LuaStrategy(path: url.path)
    let symbols = strategy.manifest.symbols
    let tf = strategy.manifest.timeframe ?? .oneMinute
    let series = symbols.enumerated().map { k, _ in
      var state = UInt64(k + 1)
      var price = 100.0 * Double(k + 1)
      return (0..<400).map { i -> Candle in
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        let open = price
        price *= 1 + (Double(state >> 11) / Double(1 << 53) - 0.5) * 0.02
        return Candle(
          time: 1_704_067_200_000 + Int64(i) * tf.milliseconds, open: open,
          high: max(open, price) * 1.002,
          low: min(open, price) * 0.998, close: price, volume: 10)
      }
    }
    let config = BacktestConfig(
      strategyName: strategy.name, timeframe: tf, historyDepth: max(strategy.warmup, 1))
    let engine = BacktestEngine(
      config: config, symbols: symbols, strategy: strategy, risk: FixedFractionSizer())
    let r = try engine.run(
      source: MergedCandleSource(symbols: symbols, cursors: series.map { ArrayCandleCursor($0) }))
    #expect(r.error == nil, "example \(index): \(r.error ?? "")")
    #expect(r.candles == 400 * symbols.count)
  }
}
