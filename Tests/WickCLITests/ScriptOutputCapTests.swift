import ArgumentParser
import Foundation
import Testing
import WickCore
import WickData
import WickLua

@testable import WickCLI

/// A script that floods `ctx:log` cannot fill the disk a runner logs to: `[sandbox]`
/// `log_lines_per_callback` and `log_bytes_per_hour` cap what it writes, in backtest, paper and
/// `wick optimize`, and each drop is said once.
@Suite(.serialized) struct ScriptOutputCapTests {
  typealias Fixture = BacktestCommandTests.Fixture

  /// 5,000 lines of 4 KB on each of the first `candles` candles (about 4 GB for 200 candles).
  static func floodScript(candles: Int = 200) -> String {
    """
    return { symbols = { "BTCUSDT" }, timeframe = "1m",
      params = { x = { default = 1, min = 1, max = 2, step = 1 } },
      init = function(ctx) ctx.line = string.rep("x", 4000) ctx.n = 0 end,
      on_candle = function(ctx, c)
        ctx.n = ctx.n + 1
        if not ctx:position(c.symbol) and c.t % (ctx.params.x * 3600000) == 0 then
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.99, take = c.close * 1.01 }
        end
        if ctx.n > \(candles) then return end
        for i = 1, 5000 do ctx:log(i, ctx.line) end
      end }
    """
  }

  static var wick: URL {
    URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
      .appendingPathComponent("wick")
  }

  /// Runs the `wick` binary to the end; its exit status and the bytes it wrote (stdout + stderr).
  static func runWick(_ args: [String]) throws -> (status: Int32, output: Data) {
    let p = Process()
    p.executableURL = wick
    p.arguments = args
    let pipe = Pipe()
    p.standardOutput = pipe
    p.standardError = pipe
    p.standardInput = FileHandle.nullDevice
    try p.runWithDeadline()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, data)
  }

  @Test func aFloodingBacktestWritesUnderFiveMegabytesAndSaysWhatItDropped() throws {
    try #require(FileManager.default.isExecutableFile(atPath: Self.wick.path))
    let f = try Fixture()
    try Self.floodScript().write(toFile: f.path("flood.lua"), atomically: true, encoding: .utf8)
    let json = f.path("r.json")
    let (status, output) = try Self.runWick([
      "backtest", f.path("flood.lua"), "--db", f.db, "--no-config", "--json", json,
    ])
    let text = String(decoding: output, as: UTF8.self)
    #expect(status == 0, "\(text.suffix(500))")
    // 200 candles of 5,000 × 4 KB asked: 200 minutes of candle time is four hours' budgets.
    #expect(output.count < 5_000_000, "\(output.count) bytes written")
    #expect(text.contains("… 4900 log lines dropped on this candle (log_lines_per_callback = 100)"))
    #expect(
      text.contains(
        "… script output reached log_bytes_per_hour (1000000 bytes) in the hour from 2024-01-01T00:00:00Z"
      ))
    #expect(text.contains("log lines (") && text.contains("bytes) dropped in the hour from"))
    // The report keeps at most 1 MB of it.
    let report = try Data(contentsOf: URL(fileURLWithPath: json))
    #expect(report.count < 2_000_000, "\(report.count) bytes of JSON")
  }

  @Test func theCapsComeFromTheConfigAndDropTheSameLinesEveryRun() throws {
    let f = try Fixture()
    try Self.floodScript(candles: 3).write(
      toFile: f.path("flood.lua"), atomically: true, encoding: .utf8)
    try "[sandbox]\nlog_lines_per_callback = 2\nlog_bytes_per_hour = 20000\n".write(
      toFile: f.path("w.toml"), atomically: true, encoding: .utf8)
    var runs: [[String]] = []
    for _ in 0..<2 {
      var lines: [String] = []
      let job = try BacktestCommand.parse([
        f.path("flood.lua"), "--db", f.db, "--config", f.path("w.toml"), "--quiet",
      ]).job()
      var printed = job
      printed.onLog = { lines.append($0) }
      _ = try printed.run()
      runs.append(lines)
    }
    #expect(runs[0] == runs[1])
    let lines = runs[0]
    // Candle 1: two lines, then the notice; candle 2: two more reach 16 KB of the hour's 20 KB;
    // candle 3: the first line goes over it.
    let kept = lines.filter { $0.contains(" 1 xxxx") || $0.contains(" 2 xxxx") }
    #expect(kept.count == 4, "\(lines.map { String($0.prefix(80)) })")
    #expect(
      lines.filter {
        $0.hasSuffix("… 4998 log lines dropped on this candle (log_lines_per_callback = 2)")
      }
      .count == 3)
    #expect(lines.contains { $0.contains("reached log_bytes_per_hour (20000 bytes)") })
    #expect(lines.count == 4 + 3 + 1, "\(lines.map { String($0.prefix(80)) })")
  }

  @Test func aCapOutOfRangeIsRefusedNamingTheField() throws {
    let f = try Fixture()
    try "x = 1\n[sandbox]\nlog_lines_per_callback = 0\n".write(
      toFile: f.path("w.toml"), atomically: true, encoding: .utf8)
    try Self.floodScript(candles: 1).write(
      toFile: f.path("flood.lua"), atomically: true, encoding: .utf8)
    #expect {
      _ = try BacktestCommand.parse([
        f.path("flood.lua"), "--db", f.db, "--config", f.path("w.toml"),
      ])
      .job()
    } throws: { error in
      "\(error)".contains("w.toml:3") && "\(error)".contains("log_lines_per_callback")
    }
  }

  @Test func aFloodingSweepKeepsItsSetsBounded() throws {
    try #require(FileManager.default.isExecutableFile(atPath: Self.wick.path))
    let f = try Fixture()
    try Self.floodScript().write(toFile: f.path("flood.lua"), atomically: true, encoding: .utf8)
    let out = f.path("sweep")
    let (status, output) = try Self.runWick([
      "optimize", f.path("flood.lua"), "--db", f.db, "--no-config", "--workers", "2", "--out", out,
    ])
    #expect(status == 0, "\(String(decoding: output.suffix(500), as: UTF8.self))")
    #expect(output.count < 100_000, "\(output.count) bytes written")
    let files = try FileManager.default.contentsOfDirectory(atPath: out)
    let bytes = try files.reduce(0) {
      $0 + ((try FileManager.default.attributesOfItem(atPath: out + "/" + $1)[.size] as? Int) ?? 0)
    }
    #expect(bytes < 1_000_000, "\(bytes) bytes in \(files)")
  }

  /// What a strategy keeps for the report stays under 1 MB however much got through the caps.
  @Test func theKeptLinesStayUnderAMegabyte() throws {
    let f = try Fixture()
    try Self.floodScript().write(toFile: f.path("flood.lua"), atomically: true, encoding: .utf8)
    try "[sandbox]\nlog_bytes_per_hour = 100000000\n".write(
      toFile: f.path("w.toml"), atomically: true, encoding: .utf8)
    let job = try BacktestCommand.parse([
      f.path("flood.lua"), "--db", f.db, "--config", f.path("w.toml"), "--quiet",
    ]).job()
    let outcome = try job.run()
    let kept = outcome.result.logs.reduce(0) { $0 + $1.utf8.count }
    #expect(kept <= 1 << 20 && kept > 900_000, "\(kept) bytes kept")
  }

  /// A paper run: the catch-up candles and two live ones, all in the first hour of candle time.
  @Test func aFloodingPaperRunWritesAboutOneHoursBudget() throws {
    let w = try RunCommandTests.World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let script = w.dir.appendingPathComponent("flood.lua").path
    try Self.floodScript().write(toFile: script, atomically: true, encoding: .utf8)
    var args = w.arguments(["--stop-after", "2"])
    args[1] = script
    let (p, out, _) = try w.launch(lines: 0, arguments: args)
    #expect(w.pushNext())
    #expect(w.pushNext())
    #expect(w.wait { !p.isRunning })
    #expect(p.terminationStatus == 0, "\(w.errors.suffix(800))")
    let written = try Data(contentsOf: out).count
    // 22 candles of 5,000 × 4 KB asked (440 MB); one hour's 1 MB budget and the notices kept.
    #expect(written < 1_500_000 && written > 900_000, "\(written) bytes written")
    let text = try String(contentsOf: out, encoding: .utf8)
    #expect(text.contains("… 4900 log lines dropped on this candle (log_lines_per_callback = 100)"))
    #expect(text.contains("reached log_bytes_per_hour (1000000 bytes)"))
  }

  /// `wick run` builds its strategy with the config's `[sandbox]` and `[sessions]` (it used the
  /// defaults whatever the file said).
  @Test func aPaperRunTakesSandboxAndSessionsFromItsConfig() throws {
    let w = try RunCommandTests.World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let script = w.dir.appendingPathComponent("session.lua").path
    try """
    return { symbols = { "BTCUSDT" }, timeframe = "1m",
      on_candle = function(ctx, c)
        for i = 1, 5 do ctx:log("session", wick.session(c.t), i) end
      end }
    """.write(toFile: script, atomically: true, encoding: .utf8)
    let config = w.dir.appendingPathComponent("w.toml").path
    try """
    [sandbox]
    log_lines_per_callback = 2

    [sessions]
    asia = "12:00-13:00"
    """.write(toFile: config, atomically: true, encoding: .utf8)
    var args = w.arguments(["--stop-after", "1", "--config", config])
    args[1] = script
    let (p, out, _) = try w.launch(lines: 0, arguments: args)
    #expect(w.pushNext())
    #expect(w.wait { !p.isRunning })
    #expect(p.terminationStatus == 0, "\(w.errors.suffix(800))")
    let text = try String(contentsOf: out, encoding: .utf8)
    // 00:xx UTC is in the standard asia window, not in this file's.
    #expect(text.contains("session off 1") && !text.contains("session asia"), "\(text.prefix(600))")
    #expect(!text.contains("session off 3"))
    #expect(text.contains("… 3 log lines dropped on this candle (log_lines_per_callback = 2)"))
  }
}
