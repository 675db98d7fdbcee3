import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickNotify
import WickRisk
import WickTesting

@testable import WickLive

/// The runner's events reach a receiver: start and resume, fills with PnL, a halt; a resume
/// repeats none of them.
@Suite(.serialized) struct RunNotifyTests {
  @Test func aPaperRunNotifiesStartFillsAndHaltAndAResumeRepeatsNone() async throws {
    let r = try Receiver()
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-runnotify-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let script = dir.appendingPathComponent("flip.lua").path
    try flipScript.write(toFile: script, atomically: true, encoding: .utf8)
    var synth = CandleSynthesizer(
      seed: 11, timeframe: .oneMinute, start: 1_700_000_040_000, startPrice: 100)
    let candles = (0..<60).map { _ in synth.next() }
    let rest = try MockExchange(
      candles: Array(candles[0..<20]), timeframe: .oneMinute, serverTime: candles[20].time + 1_000)
    let ws = try MockKlineStream()
    defer {
      ws.stop()
      rest.stop()
    }
    let s = try sinks("[notify.webhook]\nurl = \"\(r.url)/hook\"\n")

    func session(_ range: Range<Int>, command: String? = nil) async throws -> Int64 {
      var spec = RunSpec(strategyPath: script, symbols: ["BTCUSDT"], timeframe: .oneMinute)
      spec.baseURL = rest.baseURL
      spec.wsURL = ws.baseURL
      spec.dbPath = dir.appendingPathComponent("w.sqlite").path
      spec.stopAfter = command == nil ? range.count : nil
      let runner = try Runner(spec: spec, output: { _ in })
      let d = dispatcher(ledger: runner.ledger, sinks: s, runs: [])
      runner.notifications = d.routes
      runner.onNotify = d.wake
      let id = try runner.prepare()
      d.serve(runs: [id])
      d.start()
      defer { d.stop(drain: 2) }
      nonisolated(unsafe) let unsafeRunner = runner
      let done = Task.detached { try unsafeRunner.run() }
      let progress = try RunProgress(db: spec.dbPath, run: id)
      for i in range {
        await ws.deliver(symbols: ["BTCUSDT"], candles: [candles[i]]) {
          progress.reached(candles[i].time)
        }
      }
      if let command {
        _ = try runner.ledger.insertCommand(run: id, kind: command, source: "test")
      }
      _ = try await done.value
      return id
    }

    let id = try await session(20..<32)
    #expect(await eventually { r.hits.contains { $0.json?["leg"] as? String == "exit" } })
    try await Task.sleep(nanoseconds: 300_000_000)
    let first = r.hits.compactMap(\.json)
    #expect(first.first?["event"] as? String == "start")
    #expect(first.first?["resumed"] as? Bool == false)
    #expect(first.allSatisfy { $0["run"] as? Int == Int(id) })
    let fills = first.filter { $0["event"] as? String == "fill" }
    #expect(fills.contains { $0["leg"] as? String == "entry" && $0["price"] is Double })
    let exit = try #require(fills.first { $0["leg"] as? String == "exit" })
    #expect(exit["pnl"] is Double && (exit["text"] as? String)?.contains("PnL") == true)
    let firstCount = first.count

    // The resume re-handles the recorded candles (no repeat), says it resumed, then a stop
    // command halts the run.
    let again = try await session(32..<36, command: "emergency_stop")
    #expect(again == id)
    #expect(await eventually { r.hits.contains { $0.json?["event"] as? String == "halt" } })
    try await Task.sleep(nanoseconds: 300_000_000)
    let later = r.hits.compactMap(\.json).dropFirst(firstCount)
    #expect(later.first?["event"] as? String == "start" && later.first?["resumed"] as? Bool == true)
    let halt = try #require(later.first { $0["event"] as? String == "halt" })
    #expect(
      halt["kind"] as? String == "emergency_stop" && halt["severity"] as? String == "critical")
    // Each outbox row went out once: ids are unique across both sessions.
    let ids = r.hits.compactMap { $0.json?["id"] as? Int }
    #expect(ids.count == Set(ids).count && ids.count == r.hits.count)
  }

  /// Incident to receiver, through the journal's commit, the outbox and the delivery thread on
  /// loopback (debug build): printed for the closing note; asserted only to arrive.
  @Test func incidentToReceiverLatency() async throws {
    let r = try Receiver()
    let l = try NotifyLedger()
    let s = try sinks("[notify.webhook]\nurl = \"\(r.url)/i\"\nevents = [\"incident\"]\n")
    let d = dispatcher(ledger: l.ledger, sinks: s, runs: [l.run])
    d.start()
    defer { d.stop(drain: 0) }
    let journal = LedgerJournal(run: l.run, ledger: l.ledger, symbols: ["BTCUSDT"])
    journal.notifications = d.routes
    journal.onNotify = d.wake
    var latencies: [Double] = []
    for i in 0..<30 {
      let t0 = Date()
      journal.incident(time: Int64(i) * 60_000, kind: "equity_drift_test", detail: "drift \(i)")
      try journal.flushIncidents()
      #expect(await eventually { r.hits.count == i + 1 })
      if let hit = r.hits.last { latencies.append(hit.at.timeIntervalSince(t0) * 1000) }
    }
    latencies.sort()
    print(
      "notify latency (incident → loopback webhook, ms): median \(String(format: "%.2f", latencies[latencies.count / 2])), p90 \(String(format: "%.2f", latencies[latencies.count * 9 / 10])), max \(String(format: "%.2f", latencies.last ?? 0))"
    )
    #expect(latencies.count == 30)
  }
}
