import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

@Suite(.serialized) struct SetParamTests {
  /// The params in force, by name.
  func params(_ r: Runner) -> [String: ParamValue] {
    Dictionary(uniqueKeysWithValues: r.strategy.current.params.map { ($0.name, $0.value) })
  }

  @Test func severalParamsSwapInTogetherOrNotAtAllAndReplayAndResumeAlike() async throws {
    let w = try PaperWorld(script: linkedParamsScript)
    let runner = try Runner(spec: w.spec(stopAfter: 8), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 4))
    let ledger = try w.ledger()
    let insert = { (payload: String) in
      try ledger.insertCommand(run: id, kind: "set_param", payloadJSON: payload, source: "test")
    }
    // Each step alone breaks fast < slow <= 2 * fast: both are refused.
    let fastAlone = try insert(#"{"name":"fast","value":5}"#)
    let slowAlone = try insert(#"{"name":"slow","value":8}"#)
    let together = try insert(#"{"params":{"fast":5,"slow":8}}"#)
    // One value off its range: nothing of this change applies, and the outcome names it.
    let outOfRange = try insert(#"{"params":{"fast":6,"slow":30}}"#)
    let pause = try ledger.insertCommand(run: id, kind: "pause", source: "test")
    #expect(await eventually { (try? ledger.command(pause))??.status == "done" })

    for refused in [fastAlone, slowAlone] {
      let c = try #require(try ledger.command(refused))
      #expect(c.status == "rejected", "\(c)")
      #expect(c.outcome?.contains("fast must be below slow") == true, "\(c.outcome ?? "")")
    }
    let done = try #require(try ledger.command(together))
    #expect(done.status == "done", "\(done.outcome ?? "")")
    #expect(done.outcome == "fast = 5, slow = 8; swapped between candles")
    let bad = try #require(try ledger.command(outOfRange))
    #expect(bad.status == "rejected")
    #expect(
      bad.outcome?.hasPrefix("fast = 6, slow = 30 refused together, none applied: ") == true,
      "\(bad.outcome ?? "")")
    #expect(bad.outcome?.contains("param 'slow': 30 is above the maximum 20") == true)
    #expect(params(runner)["fast"] == .number(5) && params(runner)["slow"] == .number(8))
    // One swap: one recorded version, one reload decision, with both params.
    let versions = try w.scalar(
      "SELECT COUNT(*) FROM script_versions WHERE run_id = \(id) AND source = 'set_param'")
    #expect(versions == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM script_versions WHERE run_id = \(id) AND source = 'set_param' AND params_json LIKE '%\"fast\":5%' AND params_json LIKE '%\"slow\":8%'"
      ) == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'reload' AND detail_json LIKE '%\"source\":\"set_param\"%'"
      ) == 1)
    _ = try ledger.insertCommand(run: id, kind: "resume", source: "test")
    await w.push((w.history + 4)..<(w.history + 8))
    #expect(try await finished().get() == .stopAfter)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)

    // A resume re-handles the recorded candles with the change where it was made, then trades
    // on with both new values.
    let second = try Runner(spec: w.spec(stopAfter: 3), output: { _ in })
    #expect(try second.prepare() == id)
    #expect(second.resumed)
    let again = start(second)
    await w.push((w.history + 8)..<(w.history + 11))
    #expect(try await again().get() == .stopAfter)
    #expect(params(second)["fast"] == .number(5) && params(second)["slow"] == .number(8))
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aMalformedPayloadIsRefusedWithTheShapeExpected() {
    for payload in [
      "[]", #"{"params":{}}"#, #"{"name":"fast"}"#,
      #"{"params":{"fast":5},"name":"slow","value":1}"#,
    ] {
      guard case .failure(let refused) = Runner.paramChanges(payload: payload) else {
        Issue.record("\(payload) was accepted")
        continue
      }
      #expect(refused.reason.contains("set_param") || refused.reason.contains("payload must be"))
    }
    guard
      case .success(let changes) = Runner.paramChanges(payload: #"{"params":{"slow":8,"fast":5}}"#)
    else {
      Issue.record("refused")
      return
    }
    #expect(changes.map(\.name) == ["fast", "slow"])
  }

  @Test func aNewRunRecordsItsScriptPathAbsolute() async throws {
    let w = try PaperWorld()
    // The same script, named relative to the current directory (as typed at `wick run`).
    let cwd = FileManager.default.currentDirectoryPath
    let relative =
      String(repeating: "../", count: cwd.split(separator: "/").count) + w.script.dropFirst()
    var spec = w.spec(stopAfter: 1)
    spec.strategyPath = relative
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await w.push(w.history..<(w.history + 1))
    #expect(try await finished().get() == .stopAfter)
    #expect(try w.ledger().run(id)?.scriptPath == w.script)
  }
}
