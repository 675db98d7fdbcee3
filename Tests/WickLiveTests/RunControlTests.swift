import Foundation
import Testing
import WickCore
import WickData
import WickRisk
import WickTesting

@testable import WickLive

/// Controls are read as the JSON they are: a command is applied only when the whole detail says
/// so, and anything else is refused with the reason and recorded.
@Suite(.serialized) struct RunControlTests {
  @Test func aControlIsTheCommandFieldOfAJSONObject() {
    #expect(RunControl.parse(detailJSON: #"{"command":"pause"}"#) == .success(.pause))
    #expect(
      RunControl.parse(detailJSON: #"{ "command" : "emergency_stop" }"#)
        == .success(.emergencyStop))
    #expect(RunControl.resume.detailJSON == #"{"command":"resume"}"#)
    #expect(
      RunControl.parse(detailJSON: #"{"command":"reset_account","account":"a:B","reason":"ok"}"#)
        == .success(.resetAccount(account: "a:B", reason: "ok")))
    #expect(
      RunControl.resetAccount(account: "a:B", reason: "ok").detailJSON
        == #"{"command":"reset_account","account":"a:B","reason":"ok"}"#)
    for (detail, reason) in [
      (#"{"command":"pause_all"}"#, "unknown command 'pause_all'"),
      (#"pause "resume""#, "not a JSON object"),
      (#"{"note":"\"pause\""}"#, "no \"command\" string"),
      (#"{"command":["pause"]}"#, "no \"command\" string"),
      (#"{"command":"reset_account"}"#, "needs the \"account\""),
    ] {
      guard case .failure(let refused) = RunControl.parse(detailJSON: detail) else {
        Issue.record("\(detail) was accepted")
        continue
      }
      #expect(refused.reason.contains(reason), "\(refused.reason)")
    }
  }

  @Test func theRunnerAppliesOnlyTheCommandAndRecordsARefusal() throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: nil), output: { _ in })
    _ = try runner.prepare()
    // Another field naming a command does not apply it.
    #expect(runner.applyControl(detail: #"{"command":"pause","undo":"resume"}"#, time: base))
    #expect(runner.kernel.entriesPaused)
    #expect(
      !runner.applyControl(detail: #"{"command":"resume_later","then":"resume"}"#, time: base))
    #expect(runner.kernel.entriesPaused)
    #expect(!runner.applyControl(detail: #"not json: "resume""#, time: base))
    #expect(runner.kernel.entriesPaused)
    let refusals = runner.journal.pendingIncidents.filter { $0.kind == "control_refused" }
    #expect(refusals.count == 2)
    #expect(refusals.first?.detail.contains("unknown command 'resume_later'") == true)
    // Each control is still a decision, so a replay sees the same sequence.
    try runner.journal.commitNotes()
    #expect(try w.ledger().decisions(run: runner.runID).filter { $0.kind == "control" }.count == 3)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM incidents WHERE kind = 'control_refused'") == 2)
  }
}

/// `reset_account`: a killed account trades again when the user says why; recorded as a control
/// (a resume re-applies it) and an incident with the reason.
@Suite(.serialized) struct ResetAccountTests {
  @Test func aKilledAccountIsResetByItsCommandWithTheReasonRecorded() throws {
    let w = try PaperWorld()
    let config = w.dir.appendingPathComponent("wick.toml").path
    try """
    [risk]
    risk_per_trade = 0.01
    max_drawdown_pct = 0.05
    """.write(toFile: config, atomically: true, encoding: .utf8)
    var spec = w.spec(stopAfter: nil)
    spec.configPath = config
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let engine = try #require(runner.accountEngine)
    let name = try #require(engine.accounts.first?.name)
    let ledger = try w.ledger()
    func command(_ payload: String) throws -> RunLedger.Command {
      let c = try ledger.insertCommand(
        run: id, kind: "reset_account", payloadJSON: payload, source: "dashboard")
      _ = try runner.pollCommands()
      return try #require(try ledger.command(c))
    }
    // Not killed yet: nothing to reset.
    var c = try command(#"{"account":"\#(name)","reason":"x"}"#)
    #expect(c.status == "rejected" && c.outcome == "account '\(name)' is not killed")
    let t = base + 60_000
    runner.kernel.risk.recordClose(
      Trade(
        symbol: "BTCUSDT", side: .long, entryTime: base, entryPrice: 100, exitTime: t,
        exitPrice: 50, qty: 1, fees: 0, spreadCost: 0, slippageCost: 0,
        pnl: -0.5 * engine.accounts[0].allocation, r: nil, exitReason: .stop),
      symbol: 0, time: t, portfolio: runner.kernel)
    #expect(engine.accounts[0].killed)
    #expect(runner.stateJSON(time: t).contains(#""kill_reason":"drawdown"#))
    for (payload, why) in [
      (#"{"account":"\#(name)"}"#, "a reason is required"),
      (#"{"account":"nope","reason":"x"}"#, "no account 'nope'"),
      (#"{"reason":"x"}"#, "payload must be"),
    ] {
      c = try command(payload)
      #expect(c.status == "rejected" && c.outcome?.contains(why) == true, "\(c.outcome ?? "")")
    }
    #expect(engine.accounts[0].killed)
    c = try command(#"{"account":"\#(name)","reason":"stop was too tight"}"#)
    #expect(c.status == "done", "\(c.outcome ?? "")")
    #expect(!engine.accounts[0].killed)
    #expect(engine.accounts[0].entryRefusal() == nil)
    // Recorded: the control a resume re-applies, the incident with the reason, the state.
    let controls = try ledger.decisions(run: id).filter { $0.kind == "control" }
    #expect(
      controls.map(\.detailJSON) == [
        #"{"command":"reset_account","account":"\#(name)","reason":"stop was too tight"}"#
      ])
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE kind = 'account_reset' AND detail LIKE '%stop was too tight%' AND detail LIKE '%killed: drawdown%'"
      ) == 1)
    let state = try #require(try ledger.run(id)?.stateJSON)
    #expect(state.contains(#""killed":false"#) && !state.contains(#""killed":true"#))
    // A resumed run re-applies the recorded control on the same account.
    runner.kernel.risk.recordClose(
      Trade(
        symbol: "BTCUSDT", side: .long, entryTime: t, entryPrice: 100, exitTime: t + 60_000,
        exitPrice: 50, qty: 1, fees: 0, spreadCost: 0, slippageCost: 0,
        pnl: -0.5 * engine.accounts[0].allocation, r: nil, exitReason: .stop),
      symbol: 0, time: t + 60_000, portfolio: runner.kernel)
    #expect(engine.accounts[0].killed)
    #expect(runner.applyControl(detail: try #require(controls.first?.detailJSON), time: t))
    #expect(!engine.accounts[0].killed)
  }
}

/// `state_json` carries each account's size decay and daily loss used for the dashboard.
@Suite(.serialized) struct RunnerAccountStateTests {
  func losingTrade(_ pnl: Double, at time: Int64) -> Trade {
    Trade(
      symbol: "BTCUSDT", side: .long, entryTime: time - 60_000, entryPrice: 100, exitTime: time,
      exitPrice: 99, qty: 1, fees: 0, spreadCost: 0, slippageCost: 0, pnl: pnl, r: nil,
      exitReason: .stop)
  }

  func account(_ state: String) throws -> [String: Any] {
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(state.utf8)) as? [String: Any])
    let accounts = try #require(object["accounts"] as? [[String: Any]])
    #expect(accounts.count == 1)
    return try #require(accounts.first)
  }

  @Test func withRiskConfiguredTheEnginesDecayAndLossAreCommitted() throws {
    let w = try PaperWorld()
    let config = w.dir.appendingPathComponent("wick.toml").path
    try """
    [risk]
    risk_per_trade = 0.01
    max_daily_loss = 500
    loss_streak_decay = [[2, 0.5], [4, 0.25]]
    """.write(toFile: config, atomically: true, encoding: .utf8)
    var spec = w.spec(stopAfter: nil)
    spec.configPath = config
    let runner = try Runner(spec: spec, output: { _ in })
    _ = try runner.prepare()
    var a = try account(runner.stateJSON(time: base))
    #expect(a["account"] as? String == "flip:BTCUSDT")
    #expect(a["decay_factor"] as? Double == 1)
    #expect(a["daily_loss_used"] as? Double == 0)
    for (i, pnl) in [-30.0, -20.5].enumerated() {
      runner.kernel.risk.recordClose(
        losingTrade(pnl, at: base + Int64(i) * 60_000), symbol: 0, time: base + Int64(i) * 60_000,
        portfolio: runner.kernel)
    }
    let state = runner.stateJSON(time: base + 120_000)
    a = try account(state)
    #expect(a["decay_factor"] as? Double == 0.5)
    #expect(a["loss_streak"] as? Int == 2)
    #expect(a["daily_loss_used"] as? Double == 50.5)
    #expect(state.contains("\"daily_loss_limit\":500"))
  }

  @Test func withoutRiskConfiguredTheLossComesFromTodaysTrades() async throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: 12), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 12), noise: false)
    #expect(try await finished().get() == .stopAfter)
    let state = try #require(try w.ledger().run(id)?.stateJSON)
    let a = try account(state)
    #expect(a["account"] as? String == "flip:BTCUSDT")
    #expect(a["decay_factor"] as? Double == 1)
    let today = runner.kernel.book.trades.map(\.pnl).reduce(0, +)
    #expect(abs((a["daily_loss_used"] as? Double ?? -1) - max(0, -today)) < 1e-9)
  }
}
