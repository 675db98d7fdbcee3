import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --config wick.toml` with several `[[run]]` entries: the real binary, paper mode,
/// one loopback REST exchange and one loopback kline stream serving every symbol.
@Suite(.serialized) struct MultiRunCommandTests {
  final class World: PaperRunWorld {
    var config: String { dir.appendingPathComponent("wick.toml").path }

    init(count: Int = 80) throws { try super.init(prefix: "wick-multi", count: count) }

    /// One `[[run]]` entry of flip.lua on the loopback exchange.
    func entry(_ symbol: String, equity: Double = 10_000) -> String {
      """
      [[run]]
      strategy = "flip.lua"
      symbols = ["\(symbol)"]
      timeframe = "1m"
      base_url = "\(rest.baseURL)"
      ws_url = "\(ws.baseURL)"
      equity = \(equity)

      """
    }

    func writeConfig(_ text: String) throws {
      try text.write(toFile: config, atomically: true, encoding: .utf8)
    }

    /// Starts `wick run --config` and waits for its first `lines` output lines.
    func launch(lines: Int, _ extra: [String] = []) throws -> (Process, URL, [String]) {
      try launch(lines: lines, arguments: ["run", "--config", config, "--db", db] + extra)
    }

    func output(_ url: URL) -> String { (try? String(contentsOf: url, encoding: .utf8)) ?? "" }

    /// Pushes the next candle of every symbol (after a forming update) and waits until each of
    /// `runs` has handled it (or `process` has exited).
    func pushNext(symbols: [String], runs: [Int], process: Process? = nil) -> Bool {
      // A process that has ended (a halt) listens to nothing any more: that is not a failure here.
      guard
        awaitKlineSubscription({
          self.ws.klineClients >= runs.count || process?.isRunning == false
        })
      else { return false }
      let c = candles[pushed]
      for s in symbols {
        ws.send(
          symbol: s, interval: "1",
          candle: Candle(
            time: c.time, open: c.open, high: c.high, low: c.low, close: c.open, volume: 0),
          confirm: false)
        ws.send(symbol: s, interval: "1", candle: c, confirm: true)
      }
      pushed += 1
      return wait {
        runs.allSatisfy { self.lastHandled(run: $0) == c.time } || process?.isRunning == false
      }
    }

    /// `wick replay RUN --db`'s exit status and output.
    func replay(_ run: Int) throws -> (Int32, String) {
      try runWick(["replay", "\(run)", "--db", db])
    }
  }

  @Test func twoEntriesTradeInOneProcessResumeAfterKillAndReplayIdentically() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    try w.writeConfig(w.entry("BTCUSDT") + w.entry("ETHUSDT"))
    var (p, out, first) = try w.launch(lines: 2)
    #expect(first == ["run: 1", "run: 2"], "\(w.output(out))")
    let symbols = ["BTCUSDT", "ETHUSDT"]
    for _ in 0..<6 { #expect(w.pushNext(symbols: symbols, runs: [1, 2]), "\(w.output(out))") }
    // Both runs traded, each in its own rows.
    #expect(
      try w.int(
        "SELECT COUNT(DISTINCT run_id) FROM orders WHERE type = 'market' AND status = 'filled'")
        == 2, "\(w.dump("SELECT run_id || ' ' || client_order_id || ' ' || status FROM orders"))")
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE symbols = 'BTCUSDT'") == 1)

    // kill -9 with work in flight; two candles close while the process is down.
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    w.pushed += 2
    (p, out, first) = try w.launch(lines: 2)
    #expect(first == ["run: 1 (resumed)", "run: 2 (resumed)"], "\(w.output(out))")
    for _ in 0..<4 { #expect(w.pushNext(symbols: symbols, runs: [1, 2]), "\(w.output(out))") }

    // SIGTERM stops both cleanly.
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.output(out))")
    #expect(w.output(out).contains("run 1: stopped\nrun 2: stopped"), "\(w.output(out))")
    let rows = try w.runWick(["runs", "ls", "--db", w.db]).1
      .split(separator: "\n").filter { $0.contains("paper") && $0.contains("stopped") }
    #expect(rows.count == 2, "\(rows)")
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE status = 'stopped'") == 2)
    #expect(try w.int("SELECT COUNT(*) FROM runs") == 2)

    // No order filled twice, no decision written twice, nothing diverged on resume.
    try w.expectNothingDoubled(runs: [1, 2])
    for run in [1, 2] {
      // Every candle once: three warm-up candles, the six, the two missed, the four.
      #expect(
        try w.int("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(run)") == 3 + 6 + 2 + 4)
      let (status, text) = try w.replay(run)
      #expect(status == 0 && text.hasPrefix("identical: "), "\(text)")
    }
  }

  /// Entry 2 carries its own `[run.schedule]` (a 5m grid); entry 1 follows the top-level
  /// `[schedule]` (a 3m grid). Each run decides on its own grid, through a `kill -9` and resume,
  /// and `wick replay` finds each entry's grid again.
  @Test func eachEntryDecidesOnItsOwnScheduleThroughAResumeAndTheReplay() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // every = 1: the script asks to enter or exit on every candle; only the grid holds it back.
    try #"{"every": 1}"#.write(
      to: w.dir.appendingPathComponent("every1.json"), atomically: true, encoding: .utf8)
    func eager(_ symbol: String) -> String {
      w.entry(symbol).replacingOccurrences(
        of: "timeframe = \"1m\"", with: "timeframe = \"1m\"\nparams = \"every1.json\"")
    }
    try w.writeConfig(
      "[schedule]\neval_every = \"3m\"\n\n" + eager("BTCUSDT") + eager("ETHUSDT")
        + "[run.schedule]\neval_every = \"5m\"\n")
    let symbols = ["BTCUSDT", "ETHUSDT"]
    var (p, out, first) = try w.launch(lines: 2)
    #expect(first == ["run: 1", "run: 2"], "\(w.output(out))")
    for _ in 0..<10 { #expect(w.pushNext(symbols: symbols, runs: [1, 2]), "\(w.output(out))") }
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    (p, out, first) = try w.launch(lines: 2)
    #expect(first == ["run: 1 (resumed)", "run: 2 (resumed)"], "\(w.output(out))")
    for _ in 0..<10 { #expect(w.pushNext(symbols: symbols, runs: [1, 2]), "\(w.output(out))") }
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.output(out))")

    /// Close times (minutes past the hour) of a run's entries and exits.
    func decisionMinutes(_ run: Int) -> [Int] {
      w.dump(
        "SELECT ((candle_time + 60000) / 60000) % 60 FROM decisions WHERE run_id = \(run) AND kind IN ('intent', 'exit') ORDER BY seq"
      ).split(separator: "\n").compactMap { Int($0) }
    }
    let quarter = decisionMinutes(1)
    let own = decisionMinutes(2)
    #expect(quarter.count >= 2 && quarter.allSatisfy { $0 % 3 == 0 }, "\(quarter)")
    #expect(own.count >= 2 && own.allSatisfy { $0 % 5 == 0 }, "\(own)")
    #expect(own.contains { $0 % 3 != 0 }, "run 2 decided only on the top-level grid: \(own)")
    try w.expectNothingDoubled(runs: [1, 2])
    // A copy of the file elsewhere (`wick replay --config COPY`) holds the same entries: the
    // entry is still found, its paths taken where the run's file was.
    let elsewhere = w.dir.appendingPathComponent("copies")
    try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
    let copy = elsewhere.appendingPathComponent("copy.toml").path
    try FileManager.default.copyItem(atPath: w.config, toPath: copy)
    for run in [1, 2] {
      let (status, text) = try w.replay(run)
      #expect(status == 0 && text.hasPrefix("identical: "), "\(text)")
      let (viaCopy, said) = try w.runWick(["replay", "\(run)", "--db", w.db, "--config", copy])
      #expect(viaCopy == 0 && said.hasPrefix("identical: "), "run \(run) --config copy: \(said)")
    }
  }

  @Test func twoRunsOnOneSymbolGetOneOwnerAndTheRefusalIsRecorded() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    try w.writeConfig(w.entry("BTCUSDT") + w.entry("BTCUSDT", equity: 9_000))
    let (p, out, first) = try w.launch(lines: 2, ["--stop-after", "8"])
    #expect(first == ["run: 1", "run: 2"], "\(w.output(out))")
    var mostOpen = 0
    for _ in 0..<8 {
      #expect(w.pushNext(symbols: ["BTCUSDT"], runs: [1, 2]), "\(w.output(out))")
      mostOpen = max(mostOpen, try w.int("SELECT COUNT(*) FROM positions WHERE active = 1"))
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.output(out))")
    // Never two owners; the loser's refusal is a decision with its code, and was printed.
    #expect(mostOpen == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE kind = 'refusal' AND detail_json LIKE '%\"symbol_owned\"%'"
      ) >= 1, "\(w.dump("SELECT run_id || ' ' || kind || ' ' || detail_json FROM decisions"))")
    #expect(w.output(out).contains("symbol_owned"))
    #expect(try w.int("SELECT COUNT(*) FROM symbol_owners") <= 1)
    // Each run replays identically: the shared verdicts are re-applied from the record.
    for run in [1, 2] {
      let (status, text) = try w.replay(run)
      #expect(status == 0 && text.hasPrefix("identical: "), "\(text)")
    }
  }

  @Test func aSymbolOwnedByARunIsRefusedToAnotherProcess() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // every = 1: the group's run always holds BTCUSDT (a position or an entry waiting to fill).
    try #"{"every": 1}"#.write(
      to: w.dir.appendingPathComponent("every1.json"), atomically: true, encoding: .utf8)
    try w.writeConfig(
      w.entry("BTCUSDT").replacingOccurrences(
        of: "timeframe = \"1m\"", with: "timeframe = \"1m\"\nparams = \"every1.json\""))
    let (group, groupOut, first) = try w.launch(lines: 1)
    #expect(first == ["run: 1"], "\(w.output(groupOut))")
    for _ in 0..<2 { #expect(w.pushNext(symbols: ["BTCUSDT"], runs: [1])) }
    #expect(
      w.dump("SELECT scope || ' ' || symbol || ' ' || run_id FROM symbol_owners")
        == "paper:bybit BTCUSDT 1")

    // A second process: `wick run` with a strategy argument (the file's [[run]] entries are
    // not its business) on the same symbol and venue.
    let (single, singleOut, line) = try w.launch(
      lines: 1,
      arguments: [
        "run", w.dir.appendingPathComponent("flip.lua").path, "--symbol", "BTCUSDT",
        "--timeframe", "1m", "--base-url", w.rest.baseURL, "--ws-url", w.ws.baseURL,
        "--config", w.config, "--db", w.db,
      ])
    #expect(line == ["run: 2"], "\(w.output(singleOut))")
    for _ in 0..<5 { #expect(w.pushNext(symbols: ["BTCUSDT"], runs: [1, 2])) }
    for p in [group, single] {
      kill(p.processIdentifier, SIGTERM)
      p.waitUntilExit()
      #expect(p.terminationStatus == 0)
    }
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE run_id = 2 AND kind = 'refusal' AND detail_json LIKE '%\"symbol_owned\"%'"
      ) >= 1, "\(w.dump("SELECT kind || ' ' || detail_json FROM decisions WHERE run_id = 2"))")
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE run_id = 2") == 0)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE run_id = 1") >= 2)
    for run in [1, 2] {
      let (status, text) = try w.replay(run)
      #expect(status == 0 && text.hasPrefix("identical: "), "\(text)")
    }
  }

  @Test func aStrategyErrorHaltsThatRunOnlyAndTheOthersTrade() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // The second run's script fails on its fifth candle.
    let broken = flipScript.replacingOccurrences(
      of: "ctx.state.n = (ctx.state.n or 0) + 1",
      with:
        "ctx.state.n = (ctx.state.n or 0) + 1\n      if ctx.state.n == 5 then error(\"boom\") end")
    try broken.write(
      to: w.dir.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)
    try w.writeConfig(
      w.entry("BTCUSDT")
        + w.entry("ETHUSDT").replacingOccurrences(of: "flip.lua", with: "broken.lua"))
    let (p, out, first) = try w.launch(lines: 2, ["--stop-after", "8"])
    #expect(first == ["run: 1", "run: 2"], "\(w.output(out))")
    for _ in 0..<8 {
      #expect(w.pushNext(symbols: ["BTCUSDT", "ETHUSDT"], runs: [1, 2]), "\(w.output(out))")
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.output(out))")
    #expect(
      try w.int("SELECT COUNT(*) FROM incidents WHERE run_id = 2 AND kind = 'strategy_error'")
        == 1)
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE run_id = 1") == 0)
    // Run 1 kept deciding after run 2's strategy failed (at its fifth candle: warm-up + 2).
    let failedAt = try w.int(
      "SELECT time FROM incidents WHERE run_id = 2 AND kind = 'strategy_error'")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE run_id = 1 AND kind IN ('intent', 'exit') AND candle_time > \(failedAt)"
      ) > 0)
    #expect(w.output(out).contains("boom"))
  }

  @Test func totalLossAcrossRunsFlattensAndHaltsEveryRun() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // Fees and spread of one entry are enough to reach a 0.5 total loss.
    try w.writeConfig(
      w.entry("BTCUSDT") + w.entry("ETHUSDT") + "[caps]\nmax_total_loss = 0.5\n")
    let (p, out, first) = try w.launch(lines: 2)
    #expect(first == ["run: 1", "run: 2"], "\(w.output(out))")
    for _ in 0..<10 where p.isRunning {
      _ = w.pushNext(symbols: ["BTCUSDT", "ETHUSDT"], runs: [1, 2], process: p)
    }
    _ = w.wait { !p.isRunning }
    #expect(!p.isRunning, "\(w.output(out))")
    #expect(p.terminationStatus == 0, "\(w.output(out))")
    #expect(w.output(out).contains("emergency stop: total loss"))
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE status = 'halted'") == 2)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
    #expect(
      try w.int("SELECT COUNT(DISTINCT run_id) FROM incidents WHERE kind = 'emergency_stop'") == 2)
    #expect(try w.int("SELECT COUNT(*) FROM symbol_owners") == 0)
    for run in [1, 2] {
      let (status, text) = try w.replay(run)
      #expect(status == 0 && text.hasPrefix("identical: "), "\(text)")
    }
  }

  @Test func configCheckListsTheShippedExamplesRuns() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (status, text) = try w.runWick(["config", "check", "examples/wick.multi.toml"])
    #expect(status == 0, "\(text)")
    #expect(text.contains("run 1: ../strategies/ma_cross.lua BTCUSDT 1m paper, equity 5000"))
    #expect(text.contains("run 2: ../strategies/vol_breakout.lua ETHUSDT 5m paper, equity 5000"))
    #expect(
      text.contains(
        "equity 5000\n    schedule: decisions only on candles closing on the 15m UTC grid"),
      "\(text)")
    // The same checks as wick run --config: a missing script is named with its entry.
    try w.writeConfig(w.entry("BTCUSDT").replacingOccurrences(of: "flip.lua", with: "nope.lua"))
    let (bad, message) = try w.runWick(["config", "check", w.config])
    #expect(
      bad == 1 && message.contains("wick.toml:2: [[run]] entry 1: strategy: no strategy script"),
      "\(message)")
  }

  @Test func aLiveEntryNeedsKeysFromTheEnvironmentBeforeAnythingStarts() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    try w.writeConfig(
      w.entry("BTCUSDT")
        + w.entry("ETHUSDT").replacingOccurrences(of: "equity", with: "mode = \"live\"\nequity"))
    let (status, message) = try w.runWick(
      ["run", "--config", w.config, "--db", w.db], environment: ["PATH": "/usr/bin:/bin"])
    #expect(status == 1)
    #expect(message.contains("WICK_BYBIT_API_KEY"), "\(message)")
    // The paper entry did not start either.
    #expect(!FileManager.default.fileExists(atPath: w.db))
  }

  /// A bad file is refused as a whole: the error names the file, line, entry and field, and
  /// nothing is created (not even the database).
  @Test(arguments: [
    (
      "[[run]]\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\n",
      ":1: [[run]] entry 1: strategy: missing"
    ),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = 5\n",
      ":4: [[run]] entry 1: timeframe: expected a string such as \"1m\", got an integer"
    ),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\nmode = \"backtest\"\n",
      ":5: [[run]] entry 1: mode: expected \"paper\" or \"live\", got \"backtest\""
    ),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\n\n[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\n",
      ":6: [[run]] entry 2 repeats entry 1"
    ),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\n\n[[run]]\nstrategy = \"gone.lua\"\nsymbols = [\"ETHUSDT\"]\ntimeframe = \"1m\"\n",
      ":7: [[run]] entry 2: strategy: no strategy script at "
    ),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\nequty = 5\n",
      ":5: unknown key 'equty' in [[run]] entry 1"
    ),
    ("[risk]\nrisk_per_trade = 0.01\n", ": no [[run]] entries"),
    (
      "[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"BTCUSDT\"]\ntimeframe = \"1m\"\n\n[[run]]\nstrategy = \"flip.lua\"\nsymbols = [\"ETHUSDT\"]\ntimeframe = \"1m\"\n\n[run.schedule.reoptimize]\nsweep = \"s.json\"\n",
      ":11: [[run]] entry 2: [run.schedule] reoptimize: the run has no params file for the winner"
    ),
  ])
  func badConfigIsRefusedWithItsLineAndCreatesNothing(file: String, expected: String) throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    try w.writeConfig(file)
    let (status, message) = try w.runWick(["run", "--config", w.config, "--db", w.db])
    #expect(status == 1)
    #expect(message.contains("wick.toml" + expected), "\(message)")
    #expect(!FileManager.default.fileExists(atPath: w.db))
  }
}
