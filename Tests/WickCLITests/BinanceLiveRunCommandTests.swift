import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --live --exchange binance` as a user runs it — the real binary against a loopback
/// Binance USDⓈ-M (REST, the kline stream with forming `"x": false` updates, the user data
/// stream, the Algo Order API) — killed with SIGKILL before an order reaches the exchange and
/// while its acknowledgement is on the way, its stop dropped on the exchange, its listenKey
/// expired, then restarted with the same command and replayed. What counts is the exchange's
/// side: no client order id used twice, every open position under a stop.
@Suite(.serialized) struct BinanceLiveRunCommandTests {
  final class World: RunProcessWorld {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-binance-live-\(UUID().uuidString)")
    /// The exchange's candles; a test may reshape those not pushed yet.
    var candles: [Candle]
    let binance: MockBinanceTrading
    /// The strategy under `dir` that `wick run` trades (a test may switch it before launching).
    var script: String
    /// Other symbols' candles, served beside BTCUSDT's.
    let more: [(String, [Candle])]
    /// Every symbol the runner trades, each with the candles it is served.
    var series: [(symbol: String, candles: [Candle])] {
      [(symbol: "BTCUSDT", candles: candles)] + more.map { (symbol: $0.0, candles: $0.1) }
    }
    var pushed = 20
    var launches = 0

    /// `flip.lua` on BTCUSDT, or `script` (written to `dir`) with more symbols' candles.
    init(script: (name: String, text: String)? = nil, more: [(String, [Candle])] = []) throws {
      candles = try prepareRunFolder(dir)
      binance = try MockBinanceTrading()
      if let script {
        try script.text.write(
          to: dir.appendingPathComponent(script.name), atomically: true, encoding: .utf8)
      }
      self.script = script?.name ?? "flip.lua"
      self.more = more
      // The flip script's candles trade near 100: a contract with a small minimum.
      binance.setInstrument(
        "BTCUSDT",
        MockBinanceTrading.Instrument(
          tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 5)
      )
    }

    deinit {
      binance.stop()
      try? FileManager.default.removeItem(at: dir)
    }

    var arguments: [String] {
      [
        "run", dir.appendingPathComponent(script).path,
      ] + series.flatMap { ["--symbol", $0.symbol] } + [
        "--timeframe", "1m", "--live", "--exchange", "binance", "--base-url", binance.baseURL,
        "--ws-url", binance.wsURL, "--db", db,
      ]
    }

    var environment: [String: String] {
      var env = ProcessInfo.processInfo.environment
      env["WICK_BINANCE_API_KEY"] = binance.apiKey
      env["WICK_BINANCE_API_SECRET"] = binance.apiSecret
      return env
    }

    /// Starts `wick run --live --exchange binance` and returns it with its first line, once it
    /// listens to the kline stream (warm-up or re-handling and its orders are done by then).
    func launch(_ extra: [String] = []) throws -> (Process, String) {
      for (symbol, list) in series {
        binance.setCandles(symbol, Array(list[0..<pushed]), timeframe: .oneMinute)
      }
      binance.clockSkewMs =
        candles[pushed].time + 1_000 - Int64(Date().timeIntervalSince1970 * 1000)
      let p = Process()
      p.executableURL = wick
      p.arguments = arguments + extra
      p.environment = environment
      let out = dir.appendingPathComponent("out-\(launches).log")
      launches += 1
      FileManager.default.createFile(atPath: out.path, contents: nil)
      p.standardOutput = try FileHandle(forWritingTo: out)
      p.standardError = p.standardOutput
      let connections = binance.klineConnections
      try p.runWithDeadline()
      var first = ""
      _ = wait(15) {
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard text.contains("\n"), let line = text.split(separator: "\n").first else {
          return false
        }
        first = String(line)
        return true
      }
      _ = wait { self.binance.klineConnections > connections }
      return (p, first)
    }

    /// Pushes the next candle (a forming update, then the closed one twice) and waits until the
    /// run has committed it.
    func pushNext() -> Bool {
      guard awaitKlineSubscription({ self.binance.klineSubscribers >= 1 }) else { return false }
      let c = candles[pushed]
      for (symbol, list) in series {
        let c = list[pushed]
        binance.pushKline(
          symbol,
          Candle(time: c.time, open: c.open, high: c.high, low: c.low, close: c.open, volume: 0),
          closed: false)
        binance.pushKline(symbol, c, closed: true)
        binance.pushKline(symbol, c, closed: true)
      }
      pushed += 1
      return wait { self.lastHandled() == c.time }
    }

    /// Pushes candles until `condition` holds (at most `limit`), then kills the runner.
    func pushUntil(_ p: Process, limit: Int = 14, _ condition: @escaping () -> Bool) -> Bool {
      for _ in 0..<limit {
        guard pushNext() else { return false }
        if wait(2, condition) {
          kill(p.processIdentifier, SIGKILL)
          p.waitUntilExit()
          return true
        }
      }
      return false
    }

    var position: Double { binance.positionAmount("BTCUSDT") }

    /// The exchange's invariants: no client order id used twice, every open position under a
    /// stop.
    func checkExchange(_ where_: String) {
      let ids = binance.orders.map(\.clientOrderId)
      #expect(Set(ids).count == ids.count, "a client order id was used twice (\(where_)): \(ids)")
      for (symbol, _) in series where binance.positionAmount(symbol) != 0 {
        #expect(
          binance.stopTrigger(symbol) != nil,
          "the \(symbol) position has no stop (\(where_)): \(errors)")
      }
    }
  }

  @Test func killDashNineAroundAnOrderADroppedStopAnExpiredListenKeyThenResumeAndReplay() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")

    // 1. Before the exchange processes it: the request hangs and is never processed, kill.
    var before = w.binance.orders.count
    w.binance.orderFaults = [.swallow(30)]
    #expect(
      w.pushUntil(p) { w.binance.orderRequestIDs.count > before }, "\(w.errors)")
    #expect(w.binance.orders.count == before)
    let swallowed = try #require(w.binance.orderRequestIDs.last)
    w.binance.orderFaults = []
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // Its candle is still current: sent now, under the same id, once.
    #expect(w.wait { w.binance.orders.count == before + 1 }, "\(w.errors)")
    #expect(w.binance.orders.last?.clientOrderId == swallowed)
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill before the order was processed")

    // 2. During its acknowledgement: processed, the answer never arrives, kill.
    before = w.binance.orders.count
    w.binance.orderFaults = [.processThenHang(30)]
    #expect(w.pushUntil(p) { w.binance.orders.count > before }, "\(w.errors)")
    w.binance.orderFaults = []
    let hung = try #require(w.binance.orders.last?.clientOrderId)
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill during the acknowledgement")
    // Found by origClientOrderId after the restart: never sent a second time.
    #expect(w.binance.orderRequestIDs.filter { $0 == hung }.count == 1, "\(w.errors)")

    // 3. A position open: its stop disappears from the exchange (ALGO_UPDATE); the running
    // session puts it back within seconds, without waiting for a candle.
    var open = w.position != 0
    for _ in 0..<10 where !open {
      #expect(w.pushNext(), "\(w.errors)")
      open = w.wait(2) { w.position != 0 }
    }
    try #require(open, "no position opened: \(w.errors)")
    try #require(w.binance.stopTrigger("BTCUSDT") != nil)
    w.binance.dropStop("BTCUSDT")
    #expect(w.wait(10) { w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    #expect(
      w.wait(5) { (try? w.int("SELECT COUNT(*) FROM incidents WHERE kind = 'stop_restored'")) == 1 }
    )

    // 4. The listenKey expires: the stream comes back on a new one.
    let sessions = w.binance.userConnections
    w.binance.expireListenKeys()
    #expect(
      w.wait(10) { w.binance.userConnections > sessions && w.binance.userSubscribers == 1 },
      "\(w.errors)")

    // 5. After the fill, before the stop: the stop's request is swallowed, kill.
    w.binance.algoFaults = [.swallow(30)]
    let fills = w.binance.orders.count
    #expect(
      w.pushUntil(p, limit: 20) { w.binance.algoFaults.isEmpty && w.binance.orders.count > fills },
      "\(w.errors)")
    (p, first) = try w.launch(["--stop-after", "3"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // The restart protects the position before anything else (or it is flat).
    #expect(
      w.wait { w.position == 0 || w.binance.stopTrigger("BTCUSDT") != nil }, "\(w.errors)")
    w.checkExchange("after a kill before the stop")
    for _ in 0..<3 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")

    // The ledger: one run, nothing left submitting, every fill once, no divergence on resume.
    #expect(try w.int("SELECT COUNT(*) FROM runs") == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE status = 'submitting' AND created_at < (SELECT last_time FROM runs)"
      ) == 0,
      "\(w.dump("SELECT client_order_id || ' ' || status FROM orders ORDER BY id"))\n\(w.errors)")
    try w.expectNothingDoubled(runs: [1])
    // Keys never reach the database or the output.
    let stored = try ledgerReader(w.db).read { db in
      try String.fetchAll(
        db,
        sql: """
          SELECT detail FROM incidents UNION ALL SELECT detail_json FROM decisions
          UNION ALL SELECT COALESCE(args_json, '') FROM runs
          """)
    }.joined(separator: "\n")
    #expect(!stored.contains(w.binance.apiKey) && !stored.contains(w.binance.apiSecret))
    #expect(!w.errors.contains(w.binance.apiKey) && !w.errors.contains(w.binance.apiSecret))
    // The session replays identically on the exchange's recorded fills.
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  @Test func liveBinanceNeedsItsOwnKeysAndMainnetATerminal() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var env = ProcessInfo.processInfo.environment
    env["WICK_BINANCE_API_KEY"] = nil
    env["WICK_BINANCE_API_SECRET"] = nil
    env["WICK_BYBIT_API_KEY"] = "a-bybit-key"
    env["WICK_BYBIT_API_SECRET"] = "a-bybit-secret"
    let (noKeys, text) = try w.runWick(w.arguments, environment: env)
    #expect(noKeys == 1)
    #expect(text.contains("WICK_BINANCE_API_KEY") && text.contains("WICK_BINANCE_API_SECRET"))
    let (mainnet, said) = try w.runWick(w.arguments + ["--mainnet"], environment: w.environment)
    #expect(mainnet == 1)
    #expect(said.contains("confirmation on a terminal"))
    // Hedge mode is refused with the fix, before any order.
    w.binance.hedgeMode = true
    let (hedge, told) = try w.runWick(w.arguments, environment: w.environment)
    #expect(hedge == 1)
    #expect(told.contains("hedge mode") && told.contains("One-way"), "\(told)")
    #expect(!told.contains(w.binance.apiKey) && !told.contains(w.binance.apiSecret))
    #expect(w.binance.orders.isEmpty)
  }
}
