import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickCLI

/// `wick pause`, `wick resume`, `wick set-param` and `wick reset-account` as a user runs them:
/// the real binary against a running paper session (`wick run` on the loopback exchange), the
/// runner's answers read back through `--wait`, and every refusal leaving `run_commands` as it was.
@Suite(.serialized) struct ControlCommandTests {
  typealias World = RunCommandTests.World

  @Test func pauseResumeAndSetParamReachTheRunnerAndReportItsAnswer() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1")
    for _ in 0..<3 { #expect(w.pushNext()) }
    let status = { try w.ledgerText("SELECT status FROM runs WHERE id = 1") }

    var (code, said) = try w.runWick(["pause", "1", "--db", w.db, "--wait", "20"])
    #expect(code == 0 && said == "run 1: pause: done: paused: no new entries\n", "\(said)")
    #expect(try status() == "paused")
    (code, said) = try w.runWick(["resume", "1", "--db", w.db, "--wait", "20"])
    #expect(code == 0 && said == "run 1: resume: done: resumed\n", "\(said)")
    #expect(try status() == "running")

    (code, said) = try w.runWick(["set-param", "1", "every=5", "--db", w.db, "--wait", "20"])
    #expect(code == 0, "\(said)")
    #expect(said == "run 1: set_param every=5: done: every = 5; swapped between candles\n")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM script_versions WHERE run_id = 1 AND source = 'set_param' AND params_json LIKE '%\"every\":5%'"
      ) == 1, "\(w.dump("SELECT params_json FROM script_versions"))")
    #expect(
      try w.ledgerText("SELECT source FROM run_commands WHERE kind = 'set_param'")
        == "wick set-param")

    // Without --wait: queued, and the runner applies it on its next poll.
    (code, said) = try w.runWick(["pause", "1", "--db", w.db])
    #expect(code == 0 && said.hasPrefix("run 1: pause: queued (command "), "\(said)")
    #expect(w.wait { (try? status()) == "paused" })

    // Refused before anything is queued: the reason names the param and what was expected.
    let queued = try w.int("SELECT COUNT(*) FROM run_commands")
    for (args, why) in [
      (
        ["set-param", "1", "every=99"],
        "error: wick set-param: param 'every': 99 is above the maximum 50"
      ),
      (["set-param", "1", "every=0"], "param 'every': 0 is below the minimum 1"),
      (["set-param", "1", "every=often"], "param 'every': expected a number, got 'often'"),
      (["set-param", "1", "evry=5"], "unknown param 'evry' (the strategy declares: every)"),
      (["set-param", "1", "every=4", "evry=5"], "unknown param 'evry'"),
      (["set-param", "1", "every"], "'every': expected NAME=VALUE"),
      (["set-param", "1", "every=4", "every=6"], "param 'every' is given twice"),
      (["set-param", "1"], "give at least one NAME=VALUE"),
      (["pause", "9"], "there is no run 9 in \(w.db)"),
      (
        ["reset-account", "1", "flip:BTCUSDT", "--reason", "x"],
        "account 'flip:BTCUSDT' is not killed"
      ),
      (
        ["reset-account", "1", "nope", "--reason", "x"],
        "no account 'nope' in run 1 (accounts: flip:BTCUSDT)"
      ),
    ] {
      (code, said) = try w.runWick(args + ["--db", w.db])
      #expect(code == 1 && said.contains(why), "\(args): \(said)")
    }
    (code, said) = try w.runWick(["pause", "1", "--db", w.db, "--wait", "0"])
    #expect(
      code != 0 && said.contains("--wait 0.0: expected a positive number of seconds"), "\(said)")
    let missing = w.dir.appendingPathComponent("nope.sqlite").path
    (code, said) = try w.runWick(["pause", "1", "--db", missing])
    #expect(code == 1 && said.contains("no ledger at \(missing)"), "\(said)")
    #expect(!FileManager.default.fileExists(atPath: missing))
    #expect(try w.int("SELECT COUNT(*) FROM run_commands") == queued)

    // A finished run takes no commands.
    (code, said) = try w.runWick(["stop", "--db", w.db])
    #expect(code == 0, "\(said)")
    p.waitUntilExit()
    (code, said) = try w.runWick(["resume", "1", "--db", w.db])
    #expect(
      code == 1 && said.contains("run 1 is halted: commands go to running or paused runs"),
      "\(said)")
  }

  /// A runner that died (still `running` in the ledger) does not answer: `--wait` says so and
  /// exits 1; the command stays pending for the resumed runner.
  @Test func waitReportsARunnerThatDoesNotAnswer() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, _) = try w.launch(w.arguments())
    #expect(w.pushNext())
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    let (code, said) = try w.runWick(["pause", "1", "--db", w.db, "--wait", "1"])
    #expect(code == 1, "\(said)")
    #expect(
      said.contains(
        "run 1: pause: no answer within 1 s (is its runner alive?); the command stays pending"),
      "\(said)")
    #expect(try w.int("SELECT COUNT(*) FROM run_commands WHERE status = 'pending'") == 1)
  }

  /// A killed account (a 1 % drawdown limit, and 1 % fees on half the equity each way) is reset
  /// from the terminal with the reason, which the runner records.
  @Test func resetAccountClearsAKilledAccountWithTheReason() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    try """
    return {
      name = "churn", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
      on_candle = function(ctx, c)
        if ctx:position(c.symbol) then
          ctx:exit{ symbol = c.symbol, reason = "churn" }
        else
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.8 }
        end
      end,
    }
    """.write(to: w.dir.appendingPathComponent("flip.lua"), atomically: true, encoding: .utf8)
    let config = w.dir.appendingPathComponent("wick.toml").path
    try """
    [risk]
    risk_per_trade = 0.1
    max_risk_per_trade = 0.1
    max_drawdown_pct = 0.01

    [costs]
    taker_fee_bps = 100
    """.write(toFile: config, atomically: true, encoding: .utf8)
    let (p, _, first) = try w.launch(w.arguments(["--config", config]))
    try #require(first == "run: 1", "\(w.errors)")
    let killed = {
      (try? w.ledgerText("SELECT state_json FROM runs WHERE id = 1"))?.contains(
        #""killed":true"#) == true
    }
    for _ in 0..<30 where !killed() { try #require(w.pushNext(), "\(w.errors)") }
    try #require(
      killed(),
      "\(w.dump("SELECT kind || detail_json FROM decisions ORDER BY seq DESC LIMIT 8"))\n\(w.errors)"
    )

    var (code, said) = try w.runWick(["reset-account", "1", "churn:BTCUSDT", "--db", w.db])
    #expect(code != 0 && said.contains("--reason"), "\(said)")
    (code, said) = try w.runWick([
      "reset-account", "1", "churn:BTCUSDT", "--reason", " ", "--db", w.db,
    ])
    #expect(
      code == 1 && said.contains("say why account 'churn:BTCUSDT' may trade again"), "\(said)")
    #expect(try w.int("SELECT COUNT(*) FROM run_commands") == 0)

    (code, said) = try w.runWick([
      "reset-account", "1", "churn:BTCUSDT", "--reason", "costs were the test's", "--db", w.db,
      "--wait", "20",
    ])
    #expect(code == 0, "\(said)")
    #expect(
      said
        == "run 1: reset_account churn:BTCUSDT: done: reset churn:BTCUSDT: it may open positions again\n",
      "\(said)")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM incidents WHERE kind = 'account_reset' AND detail LIKE '%by wick reset-account%' AND detail LIKE '%costs were the test''s%'"
      ) == 1, "\(w.dump("SELECT detail FROM incidents"))")
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
  }

  /// `wick set-param RUN fast=5 slow=8` is one command the runner swaps in as one change (each
  /// step alone breaks the script's `fast < slow <= 2 * fast`); a run started with a relative
  /// script path records it absolute, so the check works from any directory.
  @Test func severalParamsAreOneChangeAndTheScriptIsFoundFromAnyDirectory() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let script = w.dir.appendingPathComponent("flip.lua")
    try linkedParamsScript.write(to: script, atomically: true, encoding: .utf8)
    // The script named relative to this process's directory, as a user types it.
    let cwd = FileManager.default.currentDirectoryPath
    let relative =
      String(repeating: "../", count: cwd.split(separator: "/").count) + script.path.dropFirst()
    var args = w.arguments()
    args[1] = relative
    let (p, _, first) = try w.launch(args)
    try #require(first == "run: 1", "\(w.errors)")
    for _ in 0..<3 { try #require(w.pushNext(), "\(w.errors)") }
    #expect(try w.ledgerText("SELECT script_path FROM runs WHERE id = 1") == script.path)

    // From another directory (the run's folder): the desk reads the script by its absolute path.
    var (code, said) = try w.runWick(
      ["set-param", "1", "fast=5", "slow=8", "--db", w.db, "--wait", "20"], directory: w.dir)
    #expect(code == 0, "\(said)")
    #expect(
      said == "run 1: set_param fast=5 slow=8: done: fast = 5, slow = 8; swapped between candles\n")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM script_versions WHERE run_id = 1 AND source = 'set_param' AND params_json LIKE '%\"fast\":5%' AND params_json LIKE '%\"slow\":8%'"
      ) == 1, "\(w.dump("SELECT params_json FROM script_versions"))")
    // Declared range passed, but the script refuses the combination: nothing changes.
    (code, said) = try w.runWick(["set-param", "1", "fast=2", "--db", w.db, "--wait", "20"])
    #expect(code == 1 && said.contains("set_param fast=2: rejected: "), "\(said)")
    #expect(said.contains("fast must be below slow"), "\(said)")
    // Off its range: refused before anything is queued.
    (code, said) = try w.runWick(["set-param", "1", "fast=6", "slow=30", "--db", w.db])
    #expect(code == 1 && said.contains("param 'slow': 30 is above the maximum 20"), "\(said)")
    #expect(try w.int("SELECT COUNT(*) FROM run_commands WHERE kind = 'set_param'") == 2)
    #expect(
      try w.ledgerText("SELECT payload_json FROM run_commands ORDER BY id LIMIT 1")
        == #"{"params":{"fast":5,"slow":8}}"#)
    #expect(w.pushNext(), "\(w.errors)")
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    (code, said) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(code == 0 && said.contains("identical"), "\(said)")
  }
}

extension RunProcessWorld {
  /// A one-value query's text ("" for no row or NULL).
  func ledgerText(_ sql: String) throws -> String {
    try ledgerReader(db).read { try String.fetchOne($0, sql: sql) ?? "" }
  }
}
