import ArgumentParser
import Foundation
import Testing
import WickCore
import WickData
import WickReport

@testable import WickCLI

/// `wick backtest` end to end: cache → Lua → engine → JSON/HTML, as a user runs it.
@Suite struct BacktestCommandTests {
  /// A cache with 20,000 synthetic 1m candles, removed afterwards.
  final class Fixture {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-cli-\(UUID().uuidString)")
    var db: String { dir.appendingPathComponent("w.sqlite").path }
    init() throws {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      var synth = CandleSynthesizer(seed: 3, timeframe: .oneMinute)
      let store = try CandleStore(path: db)
      try store.write(
        (0..<20_000).map { _ in synth.next() },
        series: SeriesKey(symbol: "BTCUSDT", timeframe: .oneMinute), replace: false)
    }
    func path(_ name: String) -> String { dir.appendingPathComponent(name).path }
    deinit { try? FileManager.default.removeItem(at: dir) }
  }

  func command(_ args: [String]) throws -> BacktestCommand {
    try BacktestCommand.parse(args)
  }

  @Test func sameInputsGiveByteIdenticalJSON() throws {
    let f = try Fixture()
    var outputs: [String] = []
    for i in 0..<2 {
      let out = f.path("r\(i).json")
      try command([
        "strategies/ma_cross.lua", "--db", f.db, "--json", out, "--param", "min_quote_volume=0",
        "--quiet",
      ]).run()
      outputs.append(try String(contentsOfFile: out, encoding: .utf8))
    }
    #expect(outputs[0] == outputs[1])
    #expect(outputs[0].contains("\"trades\": ["))
    let object = try JSONSerialization.jsonObject(with: Data(outputs[0].utf8)) as? [String: Any]
    #expect((object?["trades"] as? [Any])?.isEmpty == false)
  }

  @Test func htmlReportIsWritten() throws {
    let f = try Fixture()
    try command(["strategies/ma_cross.lua", "--db", f.db, "--html", f.path("r.html"), "--quiet"])
      .run()
    let html = try String(contentsOfFile: f.path("r.html"), encoding: .utf8)
    #expect(html.hasPrefix("<!DOCTYPE html>") && html.contains("<svg"))
    // The price chart of the backtested candles, with the run's trades marked on it.
    #expect(html.contains("aria-label=\"Price BTCUSDT\""))
    #expect(
      html.contains("<title>long entries</title>") || html.contains("<title>short entries</title>"))
  }

  @Test func topLevelHelpSaysWhatExists() {
    let help = WickCommand.helpMessage()
    for command in [
      "wick data", "wick backtest", "wick optimize", "wick pairs", "wick config", "wick run",
      "wick runs ls", "wick stop", "wick replay",
    ] {
      #expect(help.contains(command), "\(command)")
    }
    #expect(!help.contains("paper and live execution"))
    #expect(help.contains("wick run --live on Bybit"))
  }

  @Test func paramsFileAndCommandLineOverrides() throws {
    let f = try Fixture()
    try #"{"period": 120, "stop_pct": 0.01}"#.write(
      toFile: f.path("p.json"), atomically: true, encoding: .utf8)
    let job = try command([
      "strategies/ma_cross.lua", "--db", f.db, "--params", f.path("p.json"), "--param", "period=30",
    ]).job()
    let s = try job.loadStrategy()
    #expect(s.params.first { $0.name == "period" }?.value == .number(30))
    #expect(s.params.first { $0.name == "stop_pct" }?.value == .number(0.01))
  }

  @Test func badInputsAreNamedAndFailTheCommand() throws {
    let f = try Fixture()
    let cases: [([String], String)] = [
      (["--param", "period=3"], "below the minimum 5"),
      (["--param", "nope=1"], "unknown param 'nope'"),
      (["--symbol", "ETHUSDT"], "no candles for ETHUSDT 1m"),
      (["--from", "yesterday"], "--from 'yesterday'"),
      (["--fee-bps=-1"], "--fee-bps -1"),
      (["--from", "2030-01-01"], "no candles for BTCUSDT"),
    ]
    for (extra, expected) in cases {
      do {
        let job = try command(["strategies/ma_cross.lua", "--db", f.db] + extra).job()
        _ = try job.run()
        Issue.record("\(extra) succeeded")
      } catch {
        #expect("\(error)".contains(expected), "\(extra): \(error)")
      }
    }
  }

  @Test func scriptErrorEndsWithExitStatusOne() throws {
    let f = try Fixture()
    try """
    return { symbols = { "BTCUSDT" }, timeframe = "1m", on_candle = function(ctx, c)
      if c.t > 1704070000000 then error("boom") end
    end }
    """.write(toFile: f.path("bad.lua"), atomically: true, encoding: .utf8)
    #expect(throws: ExitCode.self) {
      try command([f.path("bad.lua"), "--db", f.db, "--json", f.path("bad.json"), "--quiet"]).run()
    }
    // The partial result is still written, with the error in it.
    let json = try String(contentsOfFile: f.path("bad.json"), encoding: .utf8)
    #expect(json.contains("bad.lua:2: boom"))
  }
}
