import Foundation
import Testing
import WickCore

@testable import WickLua

/// `timeframes = { ... }` and `warmup` by timeframe, as a script declares them.
@Suite struct TimeframeDeclarationTests {
  func load(_ fields: String) throws -> LuaStrategy {
    try LuaStrategy(
      path: "strategies/mtf.lua",
      source: "return { symbols = { 'X' }, on_candle = function() end, \(fields) }")
  }

  @Test func declarationsAreRead() throws {
    let s = try load(#"timeframes = { "5m", "1h", "4h" }, warmup = { ["5m"] = 50, ["1h"] = 200 }"#)
    #expect(s.timeframes.map(\.description) == ["5m", "1h", "4h"])
    #expect(s.manifest.timeframe?.description == "5m")
    #expect(s.warmup == 50)
    #expect((0..<3).map { s.warmup(timeframe: $0) } == [50, 200, 0])
    let all = try load(#"timeframes = { "5m", "1h" }, warmup = 30"#)
    #expect((0..<2).map { all.warmup(timeframe: $0) } == [30, 30])
    // One timeframe is the single-timeframe path, whichever way it is written.
    #expect(try load(#"timeframes = { "5m" }"#).timeframes.isEmpty)
    #expect(try load(#"timeframe = "5m", timeframes = { "5m", "1h" }"#).timeframes.count == 2)
    #expect(try load(#"timeframe = "5m", warmup = { ["5m"] = 7 }"#).warmup == 7)
  }

  /// Each mistake is refused at load with the file, the field and what was expected.
  @Test(arguments: [
    (#"timeframes = { "5m", "7x" }"#, "'timeframes' entry 2: timeframe '7x'"),
    (#"timeframes = { "5m", "7m" }"#, "'timeframes' entry 2: cannot resample 5m to 7m"),
    (#"timeframes = { "1h", "5m" }"#, "'timeframes' entry 2: cannot resample 1h to 5m"),
    (#"timeframes = { "5m", "1h", "1h" }"#, "'timeframes' lists 1h twice"),
    (#"timeframes = { "5m", "60m" }"#, "ignored"),
    (#"timeframes = { }"#, "'timeframes' must be a list"),
    (#"timeframes = { 5 }"#, "'timeframes' entry 1 must be a string"),
    (#"timeframe = "1m", timeframes = { "5m", "1h" }"#, "'timeframe' (1m) and the base"),
    (#"timeframes = { "5m", "1h" }, warmup = { ["4h"] = 3 }"#, "'warmup' names timeframe '4h'"),
    (#"timeframes = { "5m", "1h" }, warmup = { ["1h"] = -1 }"#, "'warmup' for 1h must be"),
  ])
  func badDeclarationsAreRefused(fields: String, expected: String) throws {
    if expected == "ignored" {
      // 60m is 1h: a duplicate of nothing here, and a fine higher timeframe.
      #expect(try load(fields).timeframes.count == 2)
      return
    }
    do {
      _ = try load(fields)
      Issue.record("\(fields) loaded")
    } catch {
      let text = "\(error)"
      #expect(text.contains("strategies/mtf.lua: "), "\(text)")
      #expect(text.contains(expected), "\(text)")
    }
  }

  @Test func sameTimeframeWrittenTwoWaysIsADuplicate() {
    #expect(throws: WickError.self) { try load(#"timeframes = { "5m", "1h", "60m" }"#) }
  }
}
