import Foundation
import Testing

@testable import WickLua

/// Stock Lua seeds its string hashes from the time and from ASLR addresses, so the order in which
/// `pairs` visits string keys changed between runs (and between two states in one process).
/// Wick's Lua has a fixed seed: the same script visits keys in the same order every time.
@Suite struct HashSeedTests {
  /// The script's name is the order in which `pairs` visited 40 string keys as it loaded.
  static let script = """
    local t = {}
    for i = 1, 40 do t["key" .. i] = i end
    local seen = {}
    for k in pairs(t) do seen[#seen + 1] = k end
    return {
      name = table.concat(seen, ","), timeframe = "1m", symbols = { "BTCUSDT" },
      on_candle = function(ctx, c) end,
    }
    """

  /// The order seen in a fresh state.
  func traversal() throws -> String {
    try LuaStrategy(
      path: "order.lua", source: Self.script, symbols: ["BTCUSDT"],
      limits: LuaLimits(randomSeed: 1)
    ).name
  }

  @Test func pairsVisitsStringKeysInTheSameOrderInEveryState() throws {
    let first = try traversal()
    #expect(first.contains("key1"))
    // Fresh states at other addresses and, a second apart, at another time().
    for _ in 0..<3 { #expect(try traversal() == first) }
    Thread.sleep(forTimeInterval: 1.1)
    #expect(try traversal() == first)
  }
}
