import Foundation
import Testing
import WickCore
import WickData

@testable import WickCLI

/// `[schedule] eval_every` in `wick backtest`: the same config file as `wick run`.
@Suite struct ScheduleCommandTests {
  /// The trades of `wick backtest strategies/ma_cross.lua` on the fixture with `args`.
  static func trades(_ f: BacktestCommandTests.Fixture, _ args: [String]) throws -> [Any] {
    let out = f.path("r-\(UUID().uuidString).json")
    try BacktestCommand.parse(
      [
        "strategies/ma_cross.lua", "--db", f.db, "--json", out, "--quiet", "--param",
        "min_quote_volume=0",
      ] + args
    ).run()
    let object =
      try JSONSerialization.jsonObject(
        with: try Data(contentsOf: URL(fileURLWithPath: out))) as? [String: Any]
    return object?["trades"] as? [Any] ?? []
  }

  @Test func evalEveryInTheConfigTradesLikeMaCrossOwnParam() throws {
    let f = try BacktestCommandTests.Fixture()
    try "[schedule]\neval_every = \"15m\"\n".write(
      toFile: f.path("quarter.toml"), atomically: true, encoding: .utf8)
    try "# no schedule\n".write(toFile: f.path("plain.toml"), atomically: true, encoding: .utf8)
    func trades(_ args: [String]) throws -> [Any] { try Self.trades(f, args) }
    let bySchedule = try trades(["--config", f.path("quarter.toml")])
    let byParam = try trades(["--config", f.path("plain.toml"), "--param", "eval_every=15"])
    let everyCandle = try trades(["--config", f.path("plain.toml")])
    #expect(bySchedule.count > 3)
    #expect(NSArray(array: bySchedule).isEqual(to: byParam))
    #expect(bySchedule.count != everyCandle.count)
  }

  /// A multi-run file: the backtest of an entry's strategy, symbols and timeframe decides on
  /// that entry's own `[run.schedule]` grid, as the entry's run does; any other backtest on the
  /// file keeps the top-level `[schedule]`.
  @Test func theBacktestOfAnEntryUsesTheEntrysOwnSchedule() throws {
    let f = try BacktestCommandTests.Fixture()
    let script = URL(fileURLWithPath: "strategies/ma_cross.lua").standardizedFileURL.path
    func entries(own: String, other: String) -> String {
      """
      [[run]]
      strategy = "\(script)"
      symbol = "\(own)"
      timeframe = "1m"

      [run.schedule]
      eval_every = "15m"

      [[run]]
      strategy = "\(script)"
      symbol = "\(other)"
      timeframe = "1m"
      """
    }
    try entries(own: "BTCUSDT", other: "ETHUSDT").write(
      toFile: f.path("multi.toml"), atomically: true, encoding: .utf8)
    // The BTCUSDT entry has no schedule of its own, and the file no [schedule].
    try entries(own: "ETHUSDT", other: "BTCUSDT").write(
      toFile: f.path("other.toml"), atomically: true, encoding: .utf8)
    try "[schedule]\neval_every = \"15m\"\n".write(
      toFile: f.path("quarter.toml"), atomically: true, encoding: .utf8)
    func trades(_ args: [String]) throws -> [Any] { try Self.trades(f, args) }
    let byEntry = try trades(["--config", f.path("multi.toml")])
    let byTopLevel = try trades(["--config", f.path("quarter.toml")])
    let everyCandle = try trades(["--config", f.path("other.toml")])
    #expect(byEntry.count > 3)
    #expect(NSArray(array: byEntry).isEqual(to: byTopLevel))
    #expect(byEntry.count != everyCandle.count)
  }

  @Test func aGridThatIsNotWholeCandlesIsRefusedWithItsLine() throws {
    let f = try BacktestCommandTests.Fixture()
    try "[costs]\nseed = 1\n\n[schedule]\neval_every = \"90s\"\n".write(
      toFile: f.path("bad.toml"), atomically: true, encoding: .utf8)
    let job = try BacktestCommand.parse(
      ["strategies/ma_cross.lua", "--db", f.db, "--quiet", "--config", f.path("bad.toml")]
    ).job()
    #expect {
      try job.run()
    } throws: {
      "\($0)"
        == "\(f.path("bad.toml")):5: [schedule] eval_every: \"90s\" is not a multiple of the run's timeframe 1m"
    }
  }
}
