import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

@testable import WickCLI

/// `wick run` as a user runs it — the real binary, paper mode, loopback REST and WebSocket
/// exchanges — killed with SIGKILL at several points and restarted with the same command.
@Suite(.serialized) struct RunCommandTests {
  final class World: PaperRunWorld {

    init() throws { try super.init(prefix: "wick-run") }

    func arguments(_ extra: [String] = []) -> [String] {
      [
        "run", dir.appendingPathComponent("flip.lua").path, "--symbol", "BTCUSDT", "--timeframe",
        "1m",
        "--base-url", rest.baseURL, "--ws-url", ws.baseURL, "--db", db,
      ] + extra
    }

    /// Starts `wick` and returns it with its first output line (its output goes to a file).
    func launch(_ args: [String]) throws -> (Process, URL, String) {
      let (p, out, lines) = try launch(lines: 1, arguments: args)
      return (p, out, lines.first ?? "")
    }

    /// Pushes the next candle (with a forming update and a duplicate) and waits until it is handled.
    func pushNext() -> Bool {
      guard awaitKlineSubscription({ self.ws.klineClients > 0 }) else { return false }
      let c = candles[pushed]
      ws.send(
        symbol: "BTCUSDT", interval: "1",
        candle: Candle(
          time: c.time, open: c.open, high: c.high, low: c.low, close: c.open, volume: 0),
        confirm: false)
      ws.send(symbol: "BTCUSDT", interval: "1", candle: c, confirm: true)
      ws.send(symbol: "BTCUSDT", interval: "1", candle: c, confirm: true)
      pushed += 1
      return wait { self.lastHandled() == c.time }
    }
  }

  @Test func killDashNineAtSeveralPointsThenTheSameCommandResumes() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1")

    // Kill 1: right after an entry was decided and its order row committed as 'submitting'.
    var killedWithSubmitting = false
    for _ in 0..<12 where !killedWithSubmitting {
      #expect(w.pushNext())
      if try w.int("SELECT COUNT(*) FROM orders WHERE status = 'submitting' AND type = 'market'")
        > 0
      {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        killedWithSubmitting = true
      }
    }
    #expect(killedWithSubmitting)

    // Restart: two candles closed while it was down (REST has them).
    w.pushed += 2
    (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1 (resumed)")
    // The order decided before the kill fills once, at the next candle it handles.
    #expect(w.pushNext(), "\(w.errors)")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE status = 'submitting' AND created_at < (SELECT last_time FROM runs)"
      ) == 0, "\(w.dump("SELECT client_order_id || ' ' || status FROM orders"))")

    // Kill 2: right after a fill, with the position open under its stop.
    var killedOpen = false
    for _ in 0..<12 where !killedOpen {
      #expect(w.pushNext())
      if try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") > 0 {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        killedOpen = true
      }
    }
    #expect(killedOpen)

    // Final restart runs three more candles and exits 0.
    (p, _, first) = try w.launch(w.arguments(["--stop-after", "3"]))
    #expect(first == "run: 1 (resumed)")
    for _ in 0..<3 { #expect(w.pushNext()) }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)

    // One run; every order filled at most once; never two active positions; nothing diverged.
    #expect(try w.int("SELECT COUNT(*) FROM runs") == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM (SELECT order_id FROM fills GROUP BY order_id HAVING COUNT(*) > 1)")
        == 0)
    #expect(
      try w.int("SELECT COUNT(*) FROM orders WHERE type = 'market' AND status = 'filled'") >= 3)
    #expect(
      try w.int("SELECT COUNT(*) FROM decisions")
        == (try w.int("SELECT MAX(seq) + 1 FROM decisions")))
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind = 'resume_divergence'") == 0)
    let handled = try w.int("SELECT COUNT(*) FROM equity_snapshots")
    #expect(handled == 3 + (w.pushed - 20))  // warm-up + every candle once, including the missed ones

    // The session replays identically through the backtest kernel.
    let json = w.dir.appendingPathComponent("replay.json").path
    #expect(try w.runWick(["replay", "1", "--db", w.db, "--json", json]).0 == 0)
    #expect(try String(contentsOfFile: json, encoding: .utf8).hasPrefix("{\"identical\":true"))

    // wick runs ls shows it stopped with its equity.
    let (_, listing) = try w.runWick(["runs", "ls", "--db", w.db])
    #expect(listing.contains("paper") && listing.contains("stopped"))
  }

  /// A minute the exchange never had: the stream skips it and REST never lists it. The run asks
  /// REST again (after 1, 2 and 4 s), records one `candle_missing` incident naming the symbol and
  /// the minute, goes on with the next candles, and `wick replay` agrees.
  @Test func aMinuteTheExchangeNeverHadIsOneIncidentAndTheRunGoesOn() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments(["--stop-after", "4"]))
    #expect(first == "run: 1")
    for _ in 0..<2 { #expect(w.pushNext(), "\(w.errors)") }
    let missing = w.candles[w.pushed]
    w.rest.candles = Array(w.candles[0..<(w.pushed + 3)]).filter { $0.time != missing.time }
    w.rest.serverTime = w.candles[w.pushed + 2].time + 1_000
    w.pushed += 1
    for _ in 0..<2 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")

    let incidents = w.dump(
      "SELECT time || ' ' || detail FROM incidents WHERE kind = 'candle_missing'")
    #expect(
      incidents.hasPrefix("\(missing.time) BTCUSDT \(UTCTime.iso(missing.time)): not on the stream")
        && !incidents.contains("\n"), "\(incidents)")
    #expect(w.errors.contains("warning: candle_missing BTCUSDT \(UTCTime.iso(missing.time))"))
    #expect(
      try w.int("SELECT COUNT(*) FROM equity_snapshots WHERE time = \(missing.time)") == 0)
    #expect(try w.int("SELECT COUNT(*) FROM equity_snapshots") == 3 + 4)
    let json = w.dir.appendingPathComponent("replay.json").path
    #expect(try w.runWick(["replay", "1", "--db", w.db, "--json", json]).0 == 0)
    #expect(try String(contentsOfFile: json, encoding: .utf8).hasPrefix("{\"identical\":true"))
  }

  @Test func wickStopHaltsARunningSession() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1")
    for _ in 0..<4 { #expect(w.pushNext()) }
    let (status, said) = try w.runWick(["stop", "--flatten", "--db", w.db])
    #expect(status == 0)
    #expect(said.contains("run 1: done"))
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE status = 'halted'") == 1)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
  }

  @Test func sigtermStopsBetweenCandlesWithPositionsLeftUnderTheirStops() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1")
    for _ in 0..<3 { #expect(w.pushNext()) }
    let open = try w.int("SELECT COUNT(*) FROM positions WHERE active = 1")
    // What the last candle sent is booked by the clean end (paper: at the last close).
    let sent = { (kind: String) in
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE created_at = (SELECT last_time FROM runs) AND client_order_id LIKE '%-\(kind)'"
      )
    }
    let (entries, exits) = (try sent("e"), try sent("x"))
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0)
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE status = 'stopped'") == 1)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == open + entries - exits)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1 AND stop IS NULL") == 0)
    #expect(try w.int("SELECT COUNT(*) FROM orders WHERE status IN ('submitting', 'pending')") == 0)
  }

  @Test func liveNeedsKeysAndTheLiveVenue() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (status, said) = try w.runWick(
      w.arguments(["--live"]), environment: ["PATH": "/usr/bin:/bin"])
    #expect(status == 1)
    #expect(said.contains("WICK_BYBIT_API_KEY"))
    #expect(!FileManager.default.fileExists(atPath: w.db))  // refused before anything was opened
  }
}

@Suite struct RunsListTests {
  @Test func aRunWithoutARecentHeartbeatShowsAsStale() {
    #expect(RunsList.status("running", heartbeatAt: 1_000, now: 30_000) == "running")
    #expect(RunsList.status("running", heartbeatAt: 1_000, now: 120_000) == "stale")
    #expect(RunsList.status("paused", heartbeatAt: 1_000, now: 120_000) == "stale")
    #expect(RunsList.status("halted", heartbeatAt: 1_000, now: 120_000) == "halted")
  }
}
