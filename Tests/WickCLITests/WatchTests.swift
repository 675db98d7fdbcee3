import Foundation
import Testing
import WickCore
import WickData

@testable import WickCLI

/// `--watch` notices an edited plugin (not only the script) and reports how the metrics moved.
@Suite struct WatchTests {
  @Test func anEditedPluginIsPickedUp() throws {
    let f = try BacktestCommandTests.Fixture()
    let plugins = f.dir.appendingPathComponent("plugins")
    try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
    let plugin = plugins.appendingPathComponent("bias.lua").path
    try "return { side = 'long' }".write(toFile: plugin, atomically: false, encoding: .utf8)
    let script = f.dir.appendingPathComponent("strategies/biased.lua").path
    try FileManager.default.createDirectory(
      atPath: f.dir.appendingPathComponent("strategies").path, withIntermediateDirectories: true)
    try """
    local bias = require "bias"
    return { symbols = { "BTCUSDT" }, timeframe = "1m",
      on_candle = function(ctx, c)
        if not ctx:position(c.symbol) then
          local s = bias.side
          ctx:enter{ symbol = c.symbol, side = s, stop = s == "long" and c.close * 0.99 or c.close * 1.01 }
        end
      end }
    """.write(toFile: script, atomically: false, encoding: .utf8)
    let job = try BacktestCommand.parse([script, "--db", f.db, "--quiet"]).job()
    let watch = BacktestWatch(
      job: job, firstReport: { "first run: \($0.result.trades.count) trades" })
    #expect(watch.runOnce().hasPrefix("first run:"))
    #expect(watch.watchedFiles.contains { $0.hasSuffix("plugins/bias.lua") })
    #expect(watch.pendingChanges().isEmpty)

    try "return { side = 'short' }".write(toFile: plugin, atomically: false, encoding: .utf8)
    #expect(watch.pendingChanges().contains { $0.hasSuffix("plugins/bias.lua") })
    let second = watch.runOnce()
    #expect(second.hasPrefix("— metrics moved —"))
    #expect(second.contains("short trades"), "\(second)")

    // A broken edit reports its error and keeps the last good result as the baseline.
    try "return {".write(toFile: plugin, atomically: false, encoding: .utf8)
    let broken = watch.runOnce()
    #expect(
      broken.contains("bias.lua:1:") && broken.contains("keeping the last good result"), "\(broken)"
    )
  }
}
