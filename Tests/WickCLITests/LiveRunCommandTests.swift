import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --live` as a user runs it — the real binary against a loopback Bybit (REST, public
/// and private streams, trading) — killed with SIGKILL before an order is sent, after it is sent
/// but before the answer, and after the fill but before the stop, then restarted with the same
/// command. What counts is the exchange's side: one position at a time, its stop attached, no
/// orderLinkId used twice.
@Suite(.serialized) struct LiveRunCommandTests {
  final class World: RunProcessWorld {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-live-\(UUID().uuidString)")
    let candles: [Candle]
    let bybit: MockBybitTrading
    /// The script the runner trades (in `dir`) and its symbols, each with the candles it is served.
    let script: String
    let series: [(symbol: String, candles: [Candle])]
    var pushed = 20
    var launches = 0

    /// `flip.lua` on BTCUSDT, or `script` (written to `dir`) with more symbols' candles;
    /// `count` candles to serve.
    init(
      script: (name: String, text: String)? = nil, more: [(String, [Candle])] = [],
      count: Int = 80
    ) throws {
      candles = try prepareRunFolder(dir, count: count)
      bybit = try MockBybitTrading()
      if let script {
        try script.text.write(
          to: dir.appendingPathComponent(script.name), atomically: true, encoding: .utf8)
      }
      self.script = script?.name ?? "flip.lua"
      series = [("BTCUSDT", candles)] + more
    }

    deinit {
      bybit.stop()
      // WICK_KEEP_WORLD=1 keeps the folder (ledger, logs) of a failing run for a post-mortem.
      if ProcessInfo.processInfo.environment["WICK_KEEP_WORLD"] != nil {
        print("world kept: \(dir.path)")
      } else {
        try? FileManager.default.removeItem(at: dir)
      }
    }

    /// Starts `wick run --live` (keys in the environment) and returns it with its first line.
    /// `command`: other arguments instead (`run --config FILE`), with `streams` runs subscribing.
    /// `waitLive` false: returns as soon as the process is started.
    func launch(
      _ extra: [String] = [], command: [String]? = nil, streams: Int = 1, waitLive: Bool = true
    ) throws -> (Process, String) {
      // The exchange has every candle pushed so far; its clock is one candle later.
      for (symbol, list) in series {
        bybit.setCandles(symbol, Array(list[0..<pushed]), timeframe: .oneMinute)
      }
      bybit.clockSkewMs = candles[pushed].time + 1_000 - Int64(Date().timeIntervalSince1970 * 1000)
      let p = Process()
      p.executableURL = wick
      p.arguments =
        (command
          ?? [
            "run", dir.appendingPathComponent(script).path,
          ] + series.flatMap { ["--symbol", $0.symbol] } + [
            "--timeframe", "1m", "--live", "--base-url", bybit.baseURL, "--ws-url", bybit.wsURL,
            "--db", db,
          ]) + extra
      var env = ProcessInfo.processInfo.environment
      env["WICK_BYBIT_API_KEY"] = bybit.apiKey
      env["WICK_BYBIT_API_SECRET"] = bybit.apiSecret
      p.environment = env
      let out = dir.appendingPathComponent("out-\(launches).log")
      launches += 1
      FileManager.default.createFile(atPath: out.path, contents: nil)
      p.standardOutput = try FileHandle(forWritingTo: out)
      p.standardError = p.standardOutput
      let subscriptions = bybit.klineSubscriptions
      try p.runWithDeadline()
      guard waitLive else { return (p, "") }
      var first = ""
      _ = wait(15) {
        let text = (try? String(contentsOf: out, encoding: .utf8)) ?? ""
        guard text.contains("\n"), let line = text.split(separator: "\n").first else {
          return false
        }
        first = String(line)
        return true
      }
      // Live once it subscribes: warm-up (or re-handling) and its orders are done by then.
      _ = wait { self.bybit.klineSubscriptions >= subscriptions + streams }
      return (p, first)
    }

    /// Pushes the next candle (a forming update, then the confirmed one twice) and waits until
    /// each of `runs` has committed it (`commit` false: returns once pushed).
    func pushNext(runs: [Int] = [1], commit: Bool = true) -> Bool {
      guard awaitKlineSubscription({ self.bybit.klineSubscribers >= runs.count }) else {
        return false
      }
      let c = candles[pushed]
      for (symbol, list) in series {
        let c = list[pushed]
        bybit.pushKline(
          symbol,
          Candle(time: c.time, open: c.open, high: c.high, low: c.low, close: c.open, volume: 0),
          confirm: false)
        bybit.pushKline(symbol, c, confirm: true)
        bybit.pushKline(symbol, c, confirm: true)
      }
      pushed += 1
      guard commit else { return true }
      return wait { runs.allSatisfy { self.lastHandled(run: $0) == c.time } }
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

    /// The exchange's invariants after a restart has handled a candle.
    func checkExchange(_ where_: String) {
      let ids = bybit.orders.map(\.orderLinkId).filter { !$0.isEmpty }
      #expect(Set(ids).count == ids.count, "an orderLinkId was used twice (\(where_)): \(ids)")
      for (symbol, _) in series {
        if let p = bybit.position(symbol) {
          #expect(p.stopLoss != nil, "the \(symbol) position has no stop (\(where_))")
        }
      }
    }

    /// The ledger after the last run: one run, no order left submitting, every fill once,
    /// nothing diverged on resume, and the keys nowhere (database or output).
    func checkLedger() throws {
      #expect(try int("SELECT COUNT(*) FROM runs") == 1)
      #expect(
        try int(
          "SELECT COUNT(*) FROM orders WHERE status = 'submitting' AND created_at < (SELECT last_time FROM runs)"
        ) == 0,
        "\(dump("SELECT client_order_id || ' ' || status || ' ' || created_at FROM orders ORDER BY id"))\n\(bybit.orders.map { "\($0.orderLinkId) \($0.status) \($0.reduceOnly)" })\n\(errors)"
      )
      #expect(
        try int(
          "SELECT COUNT(*) FROM (SELECT order_id FROM fills GROUP BY order_id HAVING COUNT(*) > 1)")
          == 0)
      #expect(try int("SELECT COUNT(*) FROM incidents WHERE kind = 'resume_divergence'") == 0)
      // Keys never reach the database.
      let stored = try ledgerReader(db).read { db in
        try String.fetchAll(
          db,
          sql: """
            SELECT detail FROM incidents UNION ALL SELECT detail_json FROM decisions
            UNION ALL SELECT COALESCE(args_json, '') FROM runs UNION ALL SELECT COALESCE(state_json, '') FROM runs
            """)
      }.joined(separator: "\n")
      #expect(!stored.contains(bybit.apiKey) && !stored.contains(bybit.apiSecret))
      // Nor the runner's output.
      #expect(!errors.contains(bybit.apiKey) && !errors.contains(bybit.apiSecret))
      // The session replays identically on the exchange's recorded fills.
      let (status, text) = try runWick(["replay", "1", "--db", db])
      #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
    }
  }

  @Test func killDashNineBeforeSendAfterSendAndBeforeTheStopThenResume() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")

    // 1. Before send: an order's request never reaches the exchange (swallowed), kill.
    var before = w.bybit.orders.count
    let requests = w.bybit.orderCreateRequests
    w.bybit.orderCreateFaults = [.swallow(30)]
    #expect(w.pushUntil(p) { w.bybit.orderCreateRequests > requests }, "\(w.errors)")
    #expect(w.bybit.orders.count == before)
    let swallowed = try #require(w.bybit.orderCreateLinkIDs.last)
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // Its candle is still current: sent now, under the same id, once.
    #expect(w.wait { w.bybit.orders.count == before + 1 }, "\(w.errors)")
    #expect(w.bybit.orders.last?.orderLinkId == swallowed)
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill before send")

    // 2. After send, before the answer: the order exists, the runner never hears back, kill.
    before = w.bybit.orders.count
    w.bybit.orderCreateFaults = [.processThenHang(30)]
    #expect(
      w.pushUntil(p) { w.bybit.orders.count > before },
      "\(w.errors)")
    w.bybit.orderCreateFaults = []
    let hung = try #require(w.bybit.orders.last?.orderLinkId)
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill before the answer")
    // Found by its id: not sent again.
    // Found by its id after the restart: never sent a second time.
    #expect(w.bybit.orderCreateLinkIDs.filter { $0 == hung }.count == 1)

    // 3. After the fill, before the stop: the order carries no stop and trading-stop hangs, kill.
    w.bybit.attachStopsOnOrder = false
    w.bybit.tradingStopFaults = [.swallow(30)]
    #expect(
      w.pushUntil(p) { w.bybit.tradingStopFaults.isEmpty && w.bybit.position("BTCUSDT") != nil },
      "\(w.errors)")
    #expect(w.bybit.position("BTCUSDT")?.stopLoss == nil)
    let unprotected = try #require(w.bybit.orders.last?.orderLinkId)
    w.bybit.attachStopsOnOrder = true
    (p, first) = try w.launch(["--stop-after", "3"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // The restart puts the stop on before anything else.
    #expect(
      w.wait { w.bybit.position("BTCUSDT")?.stopLoss != nil || w.bybit.position("BTCUSDT") == nil },
      "\(w.errors)")
    w.checkExchange("after a kill before the stop")
    #expect(w.bybit.orderCreateLinkIDs.filter { $0 == unprotected }.count == 1)
    for _ in 0..<3 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")

    try w.checkLedger()
  }

  /// Scales out half on its second candle in a position, adds on its third, exits on its fifth.
  static let scaling = """
    return {
      name = "scaling", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
      on_candle = function(ctx, c)
        local pos = ctx:position(c.symbol)
        if not pos then
          ctx.state.held = 0
          ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.97 }
          return
        end
        ctx.state.held = (ctx.state.held or 0) + 1
        if ctx.state.held == 2 then
          ctx:exit{ symbol = c.symbol, fraction = 0.5, reason = "half" }
        elseif ctx.state.held == 3 then
          ctx:enter{ symbol = c.symbol, side = "long", add = true,
                     stop = math.min(pos.entry, c.close) * 0.99 }
        elseif ctx.state.held >= 5 then
          ctx:exit{ symbol = c.symbol, reason = "done" }
        end
      end,
    }
    """

  /// Partial closes and adds live: killed right after the reduce-only partial close went out,
  /// and again right after an add went out, then resumed each time. The exchange's position is
  /// the ledger's (no size mismatch), always under a stop, no id sent twice, and the session
  /// replays identically.
  @Test func killDashNineAfterAPartialCloseAndAfterAnAddThenResume() throws {
    let w = try World(script: ("scaling.lua", Self.scaling))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")
    #expect(
      w.pushUntil(p) {
        w.bybit.orders.contains { $0.reduceOnly && $0.orderLinkId.hasSuffix("-xp") }
      },
      "\(w.errors)")
    let partial = try #require(w.bybit.orders.last { $0.orderLinkId.hasSuffix("-xp") })
    #expect(partial.status == "Filled")
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill after a partial close")
    let entries = { w.bybit.orders.filter { !$0.reduceOnly }.count }
    let before = entries()
    #expect(w.pushUntil(p) { entries() > before }, "\(w.errors)")
    (p, first) = try w.launch(["--stop-after", "4"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    for _ in 0..<4 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM incidents WHERE kind IN ('size_mismatch', 'unknown_position', 'unknown_order', 'panic_close')"
      ) == 0, "\(w.dump("SELECT kind || ' ' || detail FROM incidents"))")
    // The ledger's open quantity (in µBTC) is the exchange's, once the orders sent on the run's
    // last candle are counted: `--stop-after` ends the run after it sent them (its clean end
    // writes their exchange status), and their fills reach the book at the resumed run's first
    // candle. Under load, a kill one candle later shifts the scaling script's phase so that this
    // last order is a partial close.
    let booked = try w.int(
      "SELECT CAST(ROUND(COALESCE(SUM(CASE WHEN orders.side = 'buy' THEN fills.qty ELSE -fills.qty END), 0) * 1e6) AS INTEGER) FROM fills JOIN orders ON orders.id = fills.order_id"
    )
    let sent = Set(
      w.dump(
        "SELECT client_order_id FROM orders WHERE status IN ('submitting', 'filled') AND NOT EXISTS (SELECT 1 FROM fills WHERE fills.order_id = orders.id)"
      ).split(
        separator: "\n"
      ).map(String.init))
    let inFlight = w.bybit.orders.filter { sent.contains($0.orderLinkId) }.reduce(0.0) {
      $0 + ($1.side == "Buy" ? $1.cumExecQty : -$1.cumExecQty)
    }
    #expect(
      booked + Int((inFlight * 1e6).rounded())
        == Int(((w.bybit.position("BTCUSDT")?.size ?? 0) * 1e6).rounded()),
      "\(w.dump("SELECT client_order_id || ' ' || status FROM orders ORDER BY id"))")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE kind = 'fill' AND detail_json LIKE '%\"partial\":true%'"
      )
        >= 1)
    try w.checkLedger()
  }

  @Test func wickStopFlattenClosesTheExchangePositionAndHalts() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")
    var open = false
    for _ in 0..<10 where !open {
      #expect(w.pushNext(), "\(w.errors)")
      open = w.wait(2) { w.bybit.position("BTCUSDT") != nil }
    }
    try #require(open, "no position opened: \(w.errors)")
    #expect(try w.runWick(["stop", "--flatten", "--db", w.db]).0 == 0)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    // Flat on the exchange, by a reduce-only order; the ledger agrees.
    #expect(w.bybit.position("BTCUSDT") == nil, "\(w.errors)")
    #expect(w.bybit.orders.last?.reduceOnly == true)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
    #expect(try w.int("SELECT COUNT(*) FROM runs WHERE status = 'halted'") == 1)
  }

  @Test func liveNeedsKeysFromTheEnvironmentAndMainnetATerminal() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let args = [
      "run", w.dir.appendingPathComponent("flip.lua").path, "--symbol", "BTCUSDT", "--timeframe",
      "1m", "--live", "--base-url", w.bybit.baseURL, "--ws-url", w.bybit.wsURL, "--db", w.db,
    ]
    var env = ProcessInfo.processInfo.environment
    env["WICK_BYBIT_API_KEY"] = nil
    env["WICK_BYBIT_API_SECRET"] = nil
    let (noKeys, text) = try w.runWick(args, environment: env)
    #expect(noKeys == 1)
    #expect(text.contains("WICK_BYBIT_API_KEY") && text.contains("WICK_BYBIT_API_SECRET"))
    env["WICK_BYBIT_API_KEY"] = w.bybit.apiKey
    env["WICK_BYBIT_API_SECRET"] = w.bybit.apiSecret
    let (mainnet, said) = try w.runWick(args + ["--mainnet"], environment: env)
    #expect(mainnet == 1)
    #expect(said.contains("confirmation on a terminal"))
    // A wrong secret: Bybit's "error sign!" answer quotes the signed string, key included; the
    // message the user sees names the call and the code, and neither key nor secret.
    env["WICK_BYBIT_API_SECRET"] = "wrong-secret-7c1e"
    let (badSign, shown) = try w.runWick(args, environment: env)
    #expect(badSign == 1)
    #expect(shown.contains("retCode 10004"), "\(shown)")
    #expect(!shown.contains(w.bybit.apiKey) && !shown.contains("wrong-secret-7c1e"))
    // No order was sent in any of these.
    #expect(w.bybit.orderCreateRequests == 0)
  }
}
