import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// The dashboard's browser test against the real runner: `wick run` (paper) fed by the loopback
/// mock exchange (REST backfill and the kline WebSocket), and Tests/Browser's script driving
/// `wick serve` in headless chromium at 1280 and 390 px. It runs from `make browser-test` (part
/// of `make test`), which sets WICK_BROWSER_TEST; a plain `swift test` skips it (no chromium).
@Suite(.serialized) struct DashboardBrowserTests {
  /// Enters long whenever flat, with a stop far away, and holds: the page has a position to show and the
  /// emergency stop has one to flatten. `period` is there to be changed from the page.
  static let script = """
    return {
      name = "hold", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 2,
      params = { period = { default = 20, min = 5, max = 200, step = 5 } },
      on_candle = function(ctx, c)
        if not ctx:position(c.symbol) then
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.8, take = c.close * 1.5 }
        end
      end,
    }
    """

  static var enabled: Bool { ProcessInfo.processInfo.environment["WICK_BROWSER_TEST"] != nil }

  @Test(.enabled(if: enabled))
  func theDashboardFlattensAndHaltsARealPaperRun() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-dashboard-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let scriptPath = dir.appendingPathComponent("hold.lua").path
    try Self.script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
    let db = dir.appendingPathComponent("w.sqlite").path
    let bin = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    let wick = bin.appendingPathComponent("wick").path
    try #require(FileManager.default.isExecutableFile(atPath: wick), "build wick first")

    var synth = CandleSynthesizer(
      seed: 9, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 42_000)
    let candles = (0..<400).map { _ in synth.next() }
    let rest = try MockExchange(
      candles: Array(candles[0..<20]), timeframe: .oneMinute, serverTime: candles[20].time + 1_000)
    let ws = try MockKlineStream()
    defer {
      ws.stop()
      rest.stop()
    }

    let runner = Process()
    runner.executableURL = URL(fileURLWithPath: wick)
    runner.arguments = [
      "run", scriptPath, "--paper", "--symbol", "BTCUSDT", "--timeframe", "1m", "--base-url",
      rest.baseURL, "--ws-url", ws.baseURL, "--db", db,
    ]
    let runnerLog = dir.appendingPathComponent("run.log")
    FileManager.default.createFile(atPath: runnerLog.path, contents: nil)
    runner.standardOutput = try FileHandle(forWritingTo: runnerLog)
    runner.standardError = runner.standardOutput
    try runner.runWithDeadline()
    defer { if runner.isRunning { runner.terminate() } }
    func log() -> String { (try? String(contentsOf: runnerLog, encoding: .utf8)) ?? "" }
    func int(_ sql: String) -> Int {
      ((try? ledgerReader(db).read { try Int.fetchOne($0, sql: sql) }) ?? nil) ?? -1
    }
    func wait(_ seconds: Double, _ condition: () -> Bool) -> Bool {
      let deadline = Date().addingTimeInterval(seconds)
      while Date() < deadline {
        if condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
      }
      return condition()
    }
    #expect(wait(20) { ws.klineClients > 0 }, "\(log())")
    Thread.sleep(forTimeInterval: 0.3)  // subscribed, not only connected

    // The exchange closes a candle about every 0.3 s while the browser works (equity points and
    // decisions arrive live), until the runner halts.
    let feed = CandleFeed(ws: ws, candles: candles, from: 20, db: db)
    feed.start()
    defer { feed.stop() }
    func dump(_ sql: String) -> String {
      ((try? ledgerReader(db).read { try String.fetchAll($0, sql: sql) }) ?? []).joined(
        separator: "\n")
    }
    try #require(
      wait(30) { int("SELECT COUNT(*) FROM positions WHERE active = 1") == 1 },
      "no position opened: \(dump("SELECT kind || ' ' || detail_json FROM decisions LIMIT 20"))\n\(dump("SELECT kind || ' ' || detail FROM incidents"))\n\(log())"
    )
    // Some history first, so the chart has a curve to draw.
    #expect(wait(30) { int("SELECT COUNT(*) FROM equity_snapshots") >= 30 }, "\(log())")
    let run = int("SELECT id FROM runs WHERE kind = 'paper'")

    let browser = Process()
    browser.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    browser.arguments = [
      "python3", "Tests/Browser/dashboard_browser_test.py", "--wick", wick, "--db", db, "--run",
      String(run), "--param", "period", "--bad", "7", "--bad-reason", "not on the grid", "--good",
      "20", "--out", "out",
    ]
    let browserLog = dir.appendingPathComponent("browser.log")
    FileManager.default.createFile(atPath: browserLog.path, contents: nil)
    browser.standardOutput = try FileHandle(forWritingTo: browserLog)
    browser.standardError = browser.standardOutput
    try browser.runWithDeadline()
    browser.waitUntilExit()
    let report = (try? String(contentsOf: browserLog, encoding: .utf8)) ?? ""
    print(report)
    #expect(browser.terminationStatus == 0, "\(report)\n--- wick run:\n\(log())")

    // The runner itself: it flattened, halted and exited.
    #expect(wait(10) { !runner.isRunning }, "\(log())")
    #expect(int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
    #expect(int("SELECT COUNT(*) FROM runs WHERE id = \(run) AND status = 'halted'") == 1)
    #expect(log().contains("emergency_stop: flattened 1 position(s); halted"), "\(log())")
    // And `wick runs ls` says so.
    let ls = Process()
    ls.executableURL = URL(fileURLWithPath: wick)
    ls.arguments = ["runs", "ls", "--db", db]
    let pipe = Pipe()
    ls.standardOutput = pipe
    try ls.runWithDeadline(60)
    ls.waitUntilExit()
    let listing = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    #expect(listing.contains("halted"), "\(listing)")
  }
}

/// Closes candles on the mock kline stream on its own thread: one, then waits until the runner
/// has handled it (the ledger's `runs.last_time`), then pauses, so none is sent before the runner
/// is listening and the page sees a steady trickle.
private final class CandleFeed: @unchecked Sendable {
  let ws: MockKlineStream
  let candles: [Candle]
  let db: String
  private let lock = NSLock()
  private var next: Int
  private var running = true

  init(ws: MockKlineStream, candles: [Candle], from: Int, db: String) {
    self.ws = ws
    self.candles = candles
    self.db = db
    next = from
  }

  private func handled() -> Int64? {
    ((try? ledgerReader(db).read { try Int64.fetchOne($0, sql: "SELECT MAX(last_time) FROM runs") })
      ?? nil)
  }

  func start() {
    Thread.detachNewThread { [self] in
      while lock.withLock({ running && next < candles.count }) {
        let c = lock.withLock { () -> Candle in
          defer { next += 1 }
          return candles[next]
        }
        // Sent again until handled: one sent before the runner subscribed is not lost (the
        // runner takes each candle once, so a repeat is harmless).
        let deadline = Date().addingTimeInterval(10)
        repeat {
          ws.send(symbol: "BTCUSDT", interval: "1", candle: c, confirm: true)
          Thread.sleep(forTimeInterval: 0.25)
        } while handled() != c.time && Date() < deadline && lock.withLock({ running })
        Thread.sleep(forTimeInterval: 0.3)
      }
    }
  }

  func stop() { lock.withLock { running = false } }
}
