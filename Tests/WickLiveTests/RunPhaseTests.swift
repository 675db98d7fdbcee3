import Foundation
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickLive

/// A run's phases: the live stream opens once, and only after the recorded candles are recovered.
@Suite(.serialized) struct RunPhaseTests {
  @Test func theStreamOpensOnceAndOnlyAfterTheRecordedCandlesAreRecovered() async throws {
    let w = try PaperWorld()
    let runner = try Runner(spec: w.spec(stopAfter: nil), output: { _ in })
    let id = try runner.prepare()
    // Nothing recovered yet: no catch-up to take, no stream to step on.
    do {
      try runner.catchUpAndListen()
      Issue.record("caught up before recovering")
    } catch {
      #expect("\(error)".contains("run \(id): not recovered yet"))
    }
    #expect(try runner.step(timeout: 0) == .signal)

    try runner.recoverRecorded()
    try runner.catchUpAndListen()
    #expect(runner.session != nil)
    #expect(runner.lastHandled == w.candles[w.history - 1].time)
    // A second catch-up would open a second stream for the same run.
    do {
      try runner.catchUpAndListen()
      Issue.record("caught up twice")
    } catch {
      #expect("\(error)".contains("not recovered yet"))
    }
    #expect(try runner.step(timeout: 0) == nil)

    runner.endSession()
    #expect(runner.session == nil)
    #expect(try runner.step(timeout: 0) == .signal)
  }
}

/// What a resume or replay re-applies beside the kernel's decisions.
struct RunRecoveryTests {
  static func decision(_ seq: Int, at t: Int64, _ kind: String, _ detail: String)
    -> RunLedger.Decision
  {
    RunLedger.Decision(seq: seq, candleTime: t, kind: kind, symbol: nil, detailJSON: detail)
  }

  @Test func controlsSwapsAndJobRecordsAreReappliedAtTheirCandleInOrder() {
    var r = RunRecovery()
    r.follow([
      Self.decision(0, at: 60_000, "intent", #"{"side":"long"}"#),
      Self.decision(1, at: 60_000, "control", #"{"command":"pause"}"#),
      Self.decision(2, at: 60_000, "reload", #"{"hash":"a"}"#),
      Self.decision(3, at: 120_000, "funding", #"{"time":0,"rate":0.0001,"amount":-1}"#),
      Self.decision(4, at: 120_000, "schedule", #"{"job":"reoptimize","due":100000}"#),
      Self.decision(5, at: 180_000, "control", #"{"command":"resume"}"#),
    ])
    #expect(r.notes(after: 60_000).map(\.seq) == [1, 2])
    #expect(r.notes(after: 120_000).map(\.seq) == [4])
    #expect(r.notes(after: 180_000).map(\.seq) == [5])
    #expect(r.notes(after: 240_000).isEmpty)
  }

  @Test func aRecordedJobIsKnownByItsDueAndNeverRunsAgain() {
    var r = RunRecovery()
    r.follow([
      Self.decision(0, at: 60_000, "schedule", #"{"job":"reoptimize","due":60000}"#),
      Self.decision(1, at: 60_000, "schedule", #"{"job":"pairs_rescan","due":60000}"#),
      Self.decision(2, at: 120_000, "schedule", #"{"job":"reoptimize","due":120000,"x":1}"#),
      // Not a job record (no due, not JSON): skipped, not guessed.
      Self.decision(3, at: 180_000, "schedule", #"{"job":"reoptimize"}"#),
      Self.decision(4, at: 180_000, "schedule", "due 180000"),
    ])
    #expect(r.recordedDues(job: "reoptimize") == [60_000, 120_000])
    #expect(r.recordedDues(job: "pairs_rescan") == [60_000])
    #expect(RunRecovery().recordedDues(job: "reoptimize").isEmpty)
  }
}
