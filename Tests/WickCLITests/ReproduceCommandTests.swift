import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickReport

@testable import WickCLI

/// `"reproduce"` in a backtest's result and `wick reproduce`: what is recorded, that a re-run
/// matches, and that a changed script, candle or fee is named.
@Suite struct ReproduceCommandTests {
  typealias Fixture = BacktestCommandTests.Fixture

  /// Runs `wick backtest` with `args` into `out` and returns the parsed result.
  @discardableResult
  func backtest(
    _ f: Fixture, _ args: [String], out: String,
    extra: [String] = ["--param", "min_quote_volume=0"]
  ) throws -> [String: Any] {
    try BacktestCommand.parse(args + extra + ["--db", f.db, "--json", out, "--quiet"]).run()
    let data = try Data(contentsOf: URL(fileURLWithPath: out))
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
  }

  /// A copy of ma_cross.lua in the fixture's directory (a test may edit it).
  func script(_ f: Fixture) throws -> String {
    let path = f.path("s.lua")
    try FileManager.default.copyItem(atPath: "strategies/ma_cross.lua", toPath: path)
    return path
  }

  @Test func sha256MatchesTheStandardVector() {
    #expect(
      SHA256.hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
  }

  @Test func resultRecordsCostsHashesCandlesAndVersion() throws {
    let f = try Fixture()
    let s = try script(f)
    try "[costs]\nspread_bps = 3\nseed = 9\n".write(
      toFile: f.path("c.toml"), atomically: true, encoding: .utf8)
    let doc = try backtest(
      f, [s, "--fee-bps", "7", "--config", f.path("c.toml")], out: f.path("r.json"))
    let r = try #require(doc["reproduce"] as? [String: Any])
    #expect(r["version"] as? String == WickVersion.current)
    #expect(r["script"] as? String == s)
    #expect(r["script_sha256"] as? String == (try SHA256.hex(file: s)))
    #expect(r["config_sha256"] as? String == (try SHA256.hex(file: f.path("c.toml"))))
    let costs = try #require(r["costs"] as? [String: Any])
    #expect((costs["taker_fee_bps"] as? NSNumber)?.doubleValue == 7)  // the flag
    #expect((costs["spread_bps"] as? NSNumber)?.doubleValue == 3)  // the config
    #expect((costs["slippage_bps"] as? NSNumber)?.doubleValue == 2)  // the default
    #expect(costs["seed"] as? String == "9")
    let params = try #require(r["params"] as? [String: Any])
    #expect((params["min_quote_volume"] as? NSNumber)?.doubleValue == 0)
    let candles = try #require((r["candles"] as? [[String: Any]])?.first)
    #expect(candles["exchange"] as? String == "local" && candles["symbol"] as? String == "BTCUSDT")
    #expect((candles["count"] as? NSNumber)?.intValue == 20_000)
    #expect(candles["first"] as? String == "2024-01-01T00:00:00Z")
    #expect(candles["last"] as? String == "2024-01-14T21:19:00Z")
    #expect((candles["fingerprint"] as? String)?.count == 16)
    // The keys that were there before keep their place: reproduce sits between error and orders.
    let text = try String(contentsOfFile: f.path("r.json"), encoding: .utf8)
    #expect(text.contains("\"error\": null,\n  \"reproduce\": {"))
  }

  @Test func fingerprintFollowsEveryValueOfEveryCandle() {
    let c = Candle(time: 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10)
    var base = CandleFingerprint()
    base.add(c)
    for changed in [
      Candle(time: 120_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10),
      Candle(time: 60_000, open: 1, high: 2, low: 0.5, close: 1.5000001, volume: 10),
      Candle(time: 60_000, open: 1, high: 2, low: 0.5, close: 1.5, volume: 10.5),
    ] {
      var other = CandleFingerprint()
      other.add(changed)
      #expect(other.hex != base.hex)
    }
    var twice = base
    twice.add(c)
    #expect(twice.hex != base.hex && twice.count == 2)
  }

  @Test func aRerunReproducesTheResult() throws {
    let f = try Fixture()
    let out = f.path("r.json")
    try backtest(f, ["strategies/ma_cross.lua", "--param", "period=45"], out: out)
    let r = try Reproduction.run(file: out)
    #expect(r.reproduced, "\(r.report)")
    #expect(r.inputDifferences.isEmpty, "\(r.report)")
    #expect(r.trades > 0)
    #expect(r.report.hasPrefix("reproduced: the same metrics and \(r.trades) trades"))
    // And the same inputs write the same text (no clock in it).
    try backtest(f, ["strategies/ma_cross.lua", "--param", "period=45"], out: f.path("again.json"))
    #expect(
      try String(contentsOfFile: out, encoding: .utf8)
        == String(contentsOfFile: f.path("again.json"), encoding: .utf8))
  }

  @Test func aChangedScriptIsNamed() throws {
    let f = try Fixture()
    let s = try script(f)
    try backtest(f, [s], out: f.path("r.json"))
    let handle = try #require(FileHandle(forWritingAtPath: s))
    handle.seekToEndOfFile()
    handle.write(Data("\n-- edited\n".utf8))
    try handle.close()
    let r = try Reproduction.run(file: f.path("r.json"))
    #expect(r.reproduced)  // a comment changes no trade
    #expect(r.inputDifferences.count == 1)
    #expect(r.inputDifferences.first?.hasPrefix("script \(s) changed (script_sha256 ") == true)
  }

  @Test func aChangedPluginIsNamed() throws {
    let f = try Fixture()
    let doc = try backtest(
      f, ["strategies/vol_breakout.lua", "--timeframe", "1m", "--symbol", "BTCUSDT"],
      out: f.path("r.json"), extra: [])
    let plugins = (doc["reproduce"] as? [String: Any])?["plugins"] as? [String: String]
    let exits = try SHA256.hex(file: "plugins/exits.lua")
    #expect(plugins?["exits"] == exits)
    #expect(plugins?["levels"] == (try SHA256.hex(file: "plugins/levels.lua")))
    // The shipped plugin stays as it is: the result says it ran another version of it.
    let text = try String(contentsOfFile: f.path("r.json"), encoding: .utf8)
    let older = String(repeating: "0", count: 64)
    try text.replacingOccurrences(of: exits, with: older)
      .write(toFile: f.path("r.json"), atomically: true, encoding: .utf8)
    let r = try Reproduction.run(file: f.path("r.json"))
    #expect(r.inputDifferences == ["plugin exits changed (sha256 \(older) → \(exits))"])
  }

  @Test func aChangedCandleIsNamed() throws {
    let f = try Fixture()
    try backtest(f, ["strategies/ma_cross.lua"], out: f.path("r.json"))
    let store = try CandleStore(path: f.db)
    let key = SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute)
    let cursor = try store.cursor(series: key, from: nil, to: nil)
    var c = try #require(try cursor.next())
    c.volume += 1
    try store.write([c], series: key, replace: true)
    let r = try Reproduction.run(file: f.path("r.json"))
    #expect(r.inputDifferences.count == 1, "\(r.report)")
    #expect(
      r.inputDifferences.first?.hasPrefix("candles local BTCUSDT 1m differ: fingerprint ") == true,
      "\(r.report)")
  }

  @Test func aChangedFeeIsNamedWithTheMetricsItMoved() throws {
    let f = try Fixture()
    let config = f.path("c.toml")
    try "[costs]\ntaker_fee_bps = 5.5\n".write(toFile: config, atomically: true, encoding: .utf8)
    try backtest(f, ["strategies/ma_cross.lua", "--config", config], out: f.path("r.json"))
    try "[costs]\ntaker_fee_bps = 20\n".write(toFile: config, atomically: true, encoding: .utf8)
    let r = try Reproduction.run(file: f.path("r.json"))
    #expect(!r.reproduced)
    #expect(r.outputDifferences.contains { $0.hasPrefix("metric fees: ") }, "\(r.report)")
    #expect(r.inputDifferences.contains("cost taker_fee_bps: 5.5 → 20"), "\(r.report)")
    #expect(r.inputDifferences.contains { $0.hasPrefix("config \(config) changed") })
    #expect(r.inputDifferences.count == 2, "\(r.report)")
  }

  @Test func htmlReportShowsTheInputs() throws {
    let f = try Fixture()
    try BacktestCommand.parse([
      "strategies/ma_cross.lua", "--db", f.db, "--html", f.path("r.html"), "--quiet",
    ]).run()
    let html = try String(contentsOfFile: f.path("r.html"), encoding: .utf8)
    #expect(html.contains("<h2>Reproduce</h2><pre>{\"version\": \""))
    #expect(html.contains("\"fingerprint\": \""))
  }

  @Test func aResultWithoutReproduceIsAClearError() throws {
    let f = try Fixture()
    try #"{"strategy": "x"}"#.write(toFile: f.path("old.json"), atomically: true, encoding: .utf8)
    #expect {
      try Reproduction.run(file: f.path("old.json"))
    } throws: { "\($0)".contains("no \"reproduce\" object") }
  }

  @Test func savedBacktestKeepsReproduceBesideItsMetrics() throws {
    let f = try Fixture()
    try BacktestCommand.parse(["strategies/ma_cross.lua", "--db", f.db, "--save", "--quiet"]).run()
    let store = try CandleStore(path: f.db)
    let json: String? = try store.database.read {
      try String.fetchOne($0, sql: "SELECT metrics_json FROM runs ORDER BY id DESC LIMIT 1")
    }
    let stored = try #require(json)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(stored.utf8)) as? [String: Any])
    #expect((object["reproduce"] as? [String: Any])?["script_sha256"] as? String != nil)
    // The dashboard's reader of the stored metrics still reads them.
    #expect(try Metrics(storedJSON: stored).tradeCount >= 0)
  }
}
