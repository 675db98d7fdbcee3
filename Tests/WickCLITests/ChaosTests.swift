import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// `make chaos`: a `wick run --live` session against the loopback Bybit, killed with SIGKILL at
/// seeded random moments — an order in flight (sent, answer hung), an order swallowed before it
/// reached the exchange, a fill whose stop is not on yet, the restart's reconciliation, the middle
/// of a candle's handling, a hot reload — and restarted each time with the same command. At the
/// end the exchange's record and the ledger must agree. Long (minutes), so `make test` skips it:
/// `WICK_CHAOS=1` turns it on, `WICK_CHAOS_SEED` and `WICK_CHAOS_KILLS` (default 21 and 30) vary it.
@Suite(.serialized) struct ChaosTests {
  static let environment = ProcessInfo.processInfo.environment
  static let enabled = environment["WICK_CHAOS"] != nil
  static let seed = environment["WICK_CHAOS_SEED"].flatMap(UInt64.init) ?? 21
  static let kills = environment["WICK_CHAOS_KILLS"].flatMap(Int.init) ?? 30
  /// How long a position may stay without its exchange stop while a runner is up: the
  /// executor's stop verification (`LiveTiming.stopVerifyTimeout`, 4 s) plus a restart's start.
  static let stopGrace: TimeInterval = 4 + 4

  enum Moment: String, CaseIterable {
    case orderInFlight = "order in flight"
    case beforeSend = "order swallowed before the exchange"
    case beforeStop = "filled, stop not on yet"
    case reconciliation = "restart's reconciliation"
    case midCandle = "mid-candle"
    case hotReload = "hot reload"
  }

  @Test(.enabled(if: ChaosTests.enabled, "make chaos (WICK_CHAOS=1) runs the kill -9 storm"))
  func killDashNineStormOnALiveBybitSession() throws {
    var storm = StormTally<Moment>(seed: Self.seed)
    let w = try LiveRunCommandTests.World(count: 40 + Self.kills * 16)
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let script = w.dir.appendingPathComponent("flip.lua")
    let sampler = StopSampler(w.bybit, symbols: ["BTCUSDT"])
    sampler.up = true
    sampler.start()
    var (p, first) = try w.launch()
    try #require(first == "run: 1", "\(w.errors)")
    defer { sampler.stop() }

    func kill9(_ p: Process) {
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
      sampler.up = false
    }
    for k in 0..<Self.kills {
      let (moment, delay) = storm.next()
      var killed = false
      switch moment {
      case .orderInFlight:
        let before = w.bybit.orders.count
        w.bybit.orderCreateFaults = [.processThenHang(30)]
        killed = pushUntilKill(w, p) { w.bybit.orders.count > before }
        w.bybit.orderCreateFaults = []
      case .beforeSend:
        let requests = w.bybit.orderCreateRequests
        w.bybit.orderCreateFaults = [.swallow(30)]
        killed = pushUntilKill(w, p) { w.bybit.orderCreateRequests > requests }
        w.bybit.orderCreateFaults = []
      case .beforeStop:
        w.bybit.attachStopsOnOrder = false
        w.bybit.tradingStopFaults = [.swallow(30)]
        killed = pushUntilKill(w, p) {
          w.bybit.position("BTCUSDT") != nil && w.bybit.position("BTCUSDT")?.stopLoss == nil
        }
        w.bybit.attachStopsOnOrder = true
        w.bybit.tradingStopFaults = []
      case .reconciliation:
        // The restart reads the exchange's orders, positions and executions first: killed at a
        // seeded moment in its first second.
        kill9(p)
        sampler.up = true
        let (q, _) = try w.launch(waitLive: false)
        Thread.sleep(forTimeInterval: delay)
        kill9(q)
        killed = true
      case .midCandle:
        killed = w.pushNext(commit: false)
        Thread.sleep(forTimeInterval: delay * 0.3)
        kill9(p)
      case .hotReload:
        try (flipScript + "\n-- edited before kill \(k)\n").write(
          to: script, atomically: true, encoding: .utf8)
        killed = w.pushNext()
        Thread.sleep(forTimeInterval: delay)
        kill9(p)
      }
      if p.isRunning { kill9(p) }
      sampler.up = false
      storm.record(kill: k, moment, killed: killed)
      sampler.up = true
      (p, first) = try w.launch()
      #expect(first == "run: 1 (resumed)", "kill \(k) (\(moment.rawValue)): \(w.errors)")
      #expect(w.pushNext(), "kill \(k) (\(moment.rawValue)): \(w.errors)")
      w.checkExchange("after kill \(k), \(moment.rawValue)")
    }
    // A clean end: three more candles, then --stop-after.
    kill9(p)
    sampler.up = true
    (p, first) = try w.launch(["--stop-after", "3"])
    for _ in 0..<3 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    sampler.stop()

    storm.report("seed \(Self.seed)")
    try checkInvariants(w, sampler)
  }

  /// Pushes candles until `condition` holds (at most 14), then kills the runner. Unlike
  /// `World.pushUntil` it does not need each candle committed first: a runner stuck on a hung
  /// request is still killed at its moment.
  func pushUntilKill(
    _ w: LiveRunCommandTests.World, _ p: Process, _ condition: @escaping () -> Bool
  ) -> Bool {
    for _ in 0..<14 {
      let time = w.candles[w.pushed].time
      _ = w.pushNext(commit: false)
      if w.wait(4, { condition() || w.lastHandled() == time }), condition() || w.wait(1, condition)
      {
        kill(p.processIdentifier, SIGKILL)
        p.waitUntilExit()
        return true
      }
    }
    return false
  }

  /// The exchange's record against the ledger, each check printed as it holds.
  func checkInvariants(
    _ w: LiveRunCommandTests.World, _ sampler: StopSampler, symbols: [String] = ["BTCUSDT"]
  ) throws {
    func held(_ ok: Bool, _ what: String, _ detail: @autoclosure () -> String = "") {
      print("chaos: invariant \(ok ? "held" : "BROKEN"): \(what)")
      #expect(ok, "\(what): \(detail())")
    }
    // 1. A client order id sent twice says the same thing both times; no order is doubled.
    var bodies: [String: Set<String>] = [:]
    for (id, body) in w.bybit.orderCreateBodies { bodies[id, default: []].insert(body) }
    let changed = bodies.filter { $0.value.count > 1 }
    held(
      changed.isEmpty, "no client order id sent twice with different content",
      "\(changed)")
    let ids = w.bybit.orders.map(\.orderLinkId).filter { !$0.isEmpty }
    held(Set(ids).count == ids.count, "no order doubled on the exchange", "\(ids)")

    // 2. Every exchange fill booked exactly once, at the exchange's quantity.
    let exchangeFilled = Dictionary(
      w.bybit.orders.filter { $0.cumExecQty > 0 && !$0.orderLinkId.isEmpty }.map {
        ($0.orderLinkId, $0)
      }, uniquingKeysWith: { a, _ in a })
    let ledgerFills = try ledgerReader(w.db).read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT o.client_order_id AS id, o.symbol, o.side, COUNT(f.id) AS n, SUM(f.qty) AS qty
          FROM orders o JOIN fills f ON f.order_id = o.id GROUP BY o.id
          """)
    }
    var booked: [String: (n: Int, qty: Double, side: String)] = [:]
    for r in ledgerFills { booked[r["id"]] = (r["n"], r["qty"], r["side"]) }
    let unbooked = exchangeFilled.keys.filter { booked[$0] == nil }.sorted()
    let twice = booked.filter { $0.value.n != 1 }.keys.sorted()
    let wrongQty = exchangeFilled.filter {
      guard let b = booked[$0.key] else { return false }
      return abs(b.qty - $0.value.cumExecQty) > 1e-9
    }.keys.sorted()
    held(
      unbooked.isEmpty && twice.isEmpty && wrongQty.isEmpty,
      "every fill booked exactly once (\(exchangeFilled.count) filled orders)",
      "unbooked \(unbooked), twice \(twice), wrong qty \(wrongQty); ledger orders: "
        + w.dump(
          "SELECT client_order_id || ' ' || status || ' ' || qty FROM orders WHERE client_order_id IN ('"
            + (unbooked + twice + wrongQty).joined(separator: "','") + "')")
        + "; runner output: "
        + w.errors.split(separator: "\n").filter { line in
          (unbooked + twice + wrongQty).contains { line.contains($0) }
        }.joined(separator: " | "))

    // 3. The ledger's filled orders are the exchange's history, no more.
    let invented = booked.keys.filter { exchangeFilled[$0] == nil }.sorted()
    let wrongSide = booked.filter {
      guard let o = exchangeFilled[$0.key] else { return false }
      return o.side.lowercased() != $0.value.side
    }.keys.sorted()
    held(
      invented.isEmpty && wrongSide.isEmpty, "the ledger's orders and fills equal the exchange's",
      "fills the exchange never made \(invented), sides differ \(wrongSide)")

    // 4. Every position got its stop within the grace while a runner was up (or was closed).
    held(
      sampler.worst <= Self.stopGrace,
      "every position had its stop within \(Int(Self.stopGrace)) s of a runner being up "
        + "(longest: \(String(format: "%.1f", sampler.worst)) s over \(sampler.samples) samples)")
    for s in symbols {
      if let p = w.bybit.position(s) {
        held(p.stopLoss != nil, "the \(s) position left open at the end has its stop")
      }
    }

    // 5. Nothing left submitting, nothing diverged, keys nowhere, `wick replay` identical.
    try w.checkLedger()
    print("chaos: invariant checked: ledger consistent and `wick replay 1` identical")
  }
}

/// Watches the exchange's positions every 20 ms from a thread of its own: for how long, counted
/// only while a runner is up (from its launch to its kill), a position has gone without its stop.
final class StopSampler: @unchecked Sendable {
  private let bybit: MockBybitTrading
  private let symbols: [String]
  private let lock = NSLock()
  private var _up = false
  private var running = true
  private var thread: Thread?
  private var _worst: TimeInterval = 0
  private var _samples = 0

  init(_ bybit: MockBybitTrading, symbols: [String]) {
    self.bybit = bybit
    self.symbols = symbols
  }

  /// A runner is up: set before its launch, cleared at its kill.
  var up: Bool {
    get { lock.withLock { _up } }
    set { lock.withLock { _up = newValue } }
  }
  var worst: TimeInterval { lock.withLock { _worst } }
  var samples: Int { lock.withLock { _samples } }

  func start() {
    let t = Thread { [self] in
      var bare: [String: TimeInterval] = [:]
      var last = Date()
      while lock.withLock({ running }) {
        Thread.sleep(forTimeInterval: 0.02)
        let now = Date()
        let dt = now.timeIntervalSince(last)
        last = now
        let up = self.up
        for s in symbols {
          let p = bybit.position(s)
          if p != nil, p?.stopLoss == nil {
            if up { bare[s, default: 0] += dt }
          } else {
            bare[s] = 0
          }
        }
        lock.withLock {
          _samples += 1
          _worst = max(_worst, bare.values.max() ?? 0)
        }
      }
    }
    thread = t
    t.start()
  }

  func stop() { lock.withLock { running = false } }
}

extension ChaosTests {
  enum PaperMoment: String, CaseIterable {
    case midCandle = "mid-candle"
    case whileDown = "candles closed while down"
    case catchUp = "restart's catch-up"
    case hotReload = "hot reload"
  }

  /// The same storm on a paper group: one process, three `[[run]]` entries on the loopback
  /// exchange, killed at seeded moments and restarted with the same `wick run --config`.
  @Test(.enabled(if: ChaosTests.enabled, "make chaos (WICK_CHAOS=1) runs the kill -9 storm"))
  func killDashNineStormOnAPaperGroup() throws {
    var storm = StormTally<PaperMoment>(seed: Self.seed &+ 1)
    let w = try MultiRunCommandTests.World(count: 40 + Self.kills * 6)
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
    let runs = [1, 2, 3]
    try w.writeConfig(symbols.map { w.entry($0) }.joined())
    let script = w.dir.appendingPathComponent("flip.lua")
    var (p, out, first) = try w.launch(lines: 3)
    try #require(first == ["run: 1", "run: 2", "run: 3"], "\(w.output(out))")
    for _ in 0..<3 { #expect(w.pushNext(symbols: symbols, runs: runs), "\(w.output(out))") }
    func kill9(_ p: Process) {
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
    }
    for k in 0..<Self.kills {
      let (moment, delay) = storm.next()
      switch moment {
      case .midCandle:
        _ = w.pushNext(symbols: symbols, runs: [])
        Thread.sleep(forTimeInterval: delay * 0.3)
        kill9(p)
      case .whileDown:
        kill9(p)
        w.pushed += 1 + Int(storm.rng.next() % 3)
      case .catchUp:
        kill9(p)
        w.pushed += 2
        let (q, _, _) = try w.launch(lines: 0)
        Thread.sleep(forTimeInterval: delay)
        kill9(q)
      case .hotReload:
        try (flipScript + "\n-- edited before kill \(k)\n").write(
          to: script, atomically: true, encoding: .utf8)
        #expect(w.pushNext(symbols: symbols, runs: runs), "\(w.output(out))")
        Thread.sleep(forTimeInterval: delay)
        kill9(p)
      }
      (p, out, first) = try w.launch(lines: 3)
      #expect(
        first == ["run: 1 (resumed)", "run: 2 (resumed)", "run: 3 (resumed)"],
        "kill \(k) (\(moment.rawValue)): \(w.output(out))")
      #expect(
        w.pushNext(symbols: symbols, runs: runs),
        "kill \(k) (\(moment.rawValue)): \(w.output(out))")
      storm.record(kill: k, moment, killed: true)
    }
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.output(out))")
    storm.report("paper group, seed \(Self.seed &+ 1)")

    func held(_ ok: Bool, _ what: String, _ detail: @autoclosure () -> String = "") {
      print("chaos: paper invariant \(ok ? "held" : "BROKEN"): \(what)")
      #expect(ok, "\(what): \(detail())")
    }
    let doubled = try w.int(
      "SELECT COUNT(*) FROM (SELECT order_id FROM fills GROUP BY order_id HAVING COUNT(*) > 1)")
    held(doubled == 0, "every fill booked exactly once")
    let unfilled = try w.int(
      "SELECT COUNT(*) FROM orders o WHERE o.status = 'filled' AND NOT EXISTS (SELECT 1 FROM fills f WHERE f.order_id = o.id)"
    )
    held(unfilled == 0, "every filled order has its fill")
    held(
      try w.int("SELECT COUNT(*) FROM orders WHERE status = 'submitting'") == 0,
      "no order left submitting")
    let lastTime = w.candles[w.pushed - 1].time
    for run in runs {
      let decisions = try w.int("SELECT COUNT(*) FROM decisions WHERE run_id = \(run)")
      let seqs = try w.int("SELECT COALESCE(MAX(seq) + 1, 0) FROM decisions WHERE run_id = \(run)")
      held(decisions == seqs, "run \(run): no decision written twice or lost (\(decisions))")
      // Every candle once: one equity snapshot per candle from the first handled to the last.
      let snapshots = try w.int("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(run)")
      let distinct = try w.int(
        "SELECT COUNT(DISTINCT time) FROM equity_snapshots WHERE run_id = \(run)")
      let span = try w.int(
        "SELECT (MAX(time) - MIN(time)) / 60000 + 1 FROM equity_snapshots WHERE run_id = \(run)")
      held(
        snapshots == distinct && snapshots == span && w.lastHandled(run: run) == lastTime,
        "run \(run): every candle handled once, up to the last (\(snapshots) candles)")
      let (status, text) = try w.replay(run)
      held(status == 0 && text.hasPrefix("identical"), "run \(run): `wick replay` identical", text)
    }
    held(
      try w.int("SELECT COUNT(*) FROM incidents WHERE kind = 'resume_divergence'") == 0,
      "no resume diverged")
  }
}

/// `pair_flip` with its pair as a `pairs` param, so that `[schedule.pairs_rescan]` can swap it:
/// enters the first pair every 4th slice when flat, exits both legs after `hold` slices.
let pairRescanScript = """
  return {
    name = "pair_rescan", timeframe = "1m", symbols = { "BTCUSDT", "ETHUSDT" }, warmup = 3,
    params = {
      hold = { default = 3, min = 1, max = 50 },
      pairs = { default = { { a = "BTCUSDT", b = "ETHUSDT" } } },
    },
    on_bars = function(ctx, t, bars)
      ctx.state.n = (ctx.state.n or 0) + 1
      local pair = ctx.params.pairs[1]
      if not pair then return end
      if ctx:position(pair.a) then
        ctx.state.held = (ctx.state.held or 0) + 1
        if ctx.state.held >= ctx.params.hold then
          ctx:exit_pair{ long = pair.a, short = pair.b, reason = "exit_z" }
        end
      elseif ctx.state.n % 4 == 0 then
        ctx.state.held = 0
        local a, b = bars[pair.a].close, bars[pair.b].close
        ctx:enter_pair{ long = pair.a, short = pair.b, hedge = a / b, entry_z = -2,
                        stop_z = -3.5, spread_std = a * 0.01, risk = 0.01, tag = "pair" }
      end
    end,
  }
  """

extension ChaosTests {
  enum PairMoment: String, CaseIterable {
    case betweenLegs = "between a pair's legs"
    case rescan = "scheduled re-scan"
    case reconciliation = "restart's reconciliation"
    case hotReload = "hot reload"
  }

  /// The storm on a live pair session with `[schedule.pairs_rescan]` every 5 minutes: killed
  /// between a pair's two legs (the first leg filled, the second's request swallowed), around a
  /// re-scan (the candle closing on its boundary pushed, then killed 0 to 300 ms later: before,
  /// during or after the swap), during the restart's reconciliation and after a hot reload.
  @Test(.enabled(if: ChaosTests.enabled, "make chaos (WICK_CHAOS=1) runs the kill -9 storm"))
  func killDashNineStormOnALivePairSessionWithARescan() throws {
    var storm = StormTally<PairMoment>(seed: Self.seed &+ 2)
    let count = 60 + Self.kills * 16
    var synth = CandleSynthesizer(
      seed: 9, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 50)
    let eth = (0..<count).map { _ in synth.next() }
    let w = try LiveRunCommandTests.World(
      script: ("pair_rescan.lua", pairRescanScript), more: [("ETHUSDT", eth)], count: count)
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let script = w.dir.appendingPathComponent("pair_rescan.lua")
    let params = w.dir.appendingPathComponent("pairs.json").path
    let config = w.dir.appendingPathComponent("wick.toml").path
    try "{\"hold\": 3, \"pairs\": [{\"a\": \"BTCUSDT\", \"b\": \"ETHUSDT\"}]}\n".write(
      toFile: params, atomically: true, encoding: .utf8)
    try """
    [schedule.pairs_rescan]
    every = "5m"
    lookback = "60m"
    pvalue = 1
    max_pairs = 1

    """.write(toFile: config, atomically: true, encoding: .utf8)
    let args = ["--params", params, "--config", config]
    let symbols = ["BTCUSDT", "ETHUSDT"]
    let sampler = StopSampler(w.bybit, symbols: symbols)
    sampler.up = true
    sampler.start()
    defer { sampler.stop() }
    var (p, first) = try w.launch(args)
    try #require(first.hasPrefix("run: 1"), "\(w.errors)")
    var diverged: String?
    func kill9(_ p: Process) {
      kill(p.processIdentifier, SIGKILL)
      p.waitUntilExit()
      sampler.up = false
    }
    for k in 0..<Self.kills {
      let (moment, delay) = storm.next()
      var killed = false
      switch moment {
      case .betweenLegs:
        // The next order create passes (a first leg, entry or exit) and the one after it, the
        // second leg, hangs: killed while it is in flight.
        let requests = w.bybit.orderCreateRequests
        w.bybit.orderCreateFaults = [.pass, .swallow(30)]
        killed = pushUntilKill(w, p) { w.bybit.orderCreateRequests >= requests + 2 }
        w.bybit.orderCreateFaults = []
      case .rescan:
        // Up to the candle closing on the next 5-minute boundary, which triggers the re-scan.
        while (w.candles[w.pushed].time + 60_000) % 300_000 != 0 { _ = w.pushNext() }
        killed = w.pushNext(commit: false)
        Thread.sleep(forTimeInterval: delay * 0.3)
        kill9(p)
      case .reconciliation:
        kill9(p)
        sampler.up = true
        let (q, _) = try w.launch(args, waitLive: false)
        Thread.sleep(forTimeInterval: delay)
        kill9(q)
        killed = true
      case .hotReload:
        try (pairRescanScript + "\n-- edited before kill \(k)\n").write(
          to: script, atomically: true, encoding: .utf8)
        killed = w.pushNext()
        Thread.sleep(forTimeInterval: delay)
        kill9(p)
      }
      if p.isRunning { kill9(p) }
      sampler.up = false
      storm.record(kill: k, moment, killed: killed)
      sampler.up = true
      (p, first) = try w.launch(args)
      #expect(first == "run: 1 (resumed)", "kill \(k) (\(moment.rawValue)): \(w.errors)")
      #expect(w.pushNext(), "kill \(k) (\(moment.rawValue)): \(w.errors)")
      w.checkExchange("after kill \(k), \(moment.rawValue)")
      // The first resume that diverged from its record, with the kill that led to it.
      if diverged == nil, let d = try w.divergence() {
        diverged = "kill \(k) (\(moment.rawValue)): \(d)"
        print("chaos: resume diverged after \(diverged!)")
      }
    }
    kill9(p)
    sampler.up = true
    (p, first) = try w.launch(args + ["--stop-after", "3"])
    for _ in 0..<3 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    sampler.stop()

    storm.report("live pair + re-scan, seed \(Self.seed &+ 2)")
    try checkInvariants(w, sampler, symbols: symbols)

    // The re-scan: each boundary's job decided once (swapped or failed), never again after a
    // restart; the params file is whole JSON with the pair.
    let perDue = try ledgerReader(w.db).read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT json_extract(detail_json, '$.due') AS due, COUNT(*) AS n FROM decisions
          WHERE run_id = 1 AND kind = 'schedule' GROUP BY due
          """)
    }
    let twice = perDue.filter { ($0["n"] as Int) != 1 }.map { "\($0["due"] as Int64? ?? 0)" }
    print("chaos: \(perDue.count) re-scans decided")
    #expect(perDue.count >= 2, "the re-scan never ran: \(w.errors)")
    #expect(twice.isEmpty, "re-scans decided twice at \(twice)")
    print("chaos: invariant \(twice.isEmpty ? "held" : "BROKEN"): every re-scan decided once")
    let file = try String(contentsOfFile: params, encoding: .utf8)
    let parsed = try JSONSerialization.jsonObject(with: Data(file.utf8)) as? [String: Any]
    #expect(parsed?["pairs"] != nil, "\(file)")
  }
}

extension RunProcessWorld {
  /// The first `resume_divergence` incident's detail, if a resume diverged.
  func divergence() throws -> String? {
    try ledgerReader(db).read {
      try String.fetchOne(
        $0,
        sql: "SELECT detail FROM incidents WHERE kind = 'resume_divergence' ORDER BY rowid LIMIT 1"
      )
    }
  }
}

/// One storm's seeded kills and what came of them. Each kill's moment and delay (0 to 1 s) are
/// drawn from the storm's own generator, in the same order every run; the tally counts the kills
/// that landed at their moment by moment and names those whose moment never came.
struct StormTally<Moment: CaseIterable & Hashable & RawRepresentable>
where Moment.RawValue == String {
  /// The storm's generator (a storm may draw more from it, e.g. how many candles close while down).
  var rng: Xoshiro256StarStar
  private var survived: [Moment: Int] = [:]
  private var missed: [String] = []

  init(seed: UInt64) { rng = Xoshiro256StarStar(seed: seed) }

  /// The next kill's moment and how long into it to kill.
  mutating func next() -> (moment: Moment, delay: Double) {
    let moments = Array(Moment.allCases)
    let moment = moments[Int(rng.next() % UInt64(moments.count))]
    return (moment, Double(rng.next() % 1000) / 1000)
  }

  mutating func record(kill k: Int, _ moment: Moment, killed: Bool) {
    if killed {
      survived[moment, default: 0] += 1
    } else {
      missed.append("kill \(k) (\(moment.rawValue)): the moment never came")
    }
  }

  /// Prints how many kills survived at each moment, and fails on a moment that never came.
  func report(_ storm: String) {
    print(
      "chaos: \(storm), \(survived.values.reduce(0, +)) of \(ChaosTests.kills) kills survived: "
        + Moment.allCases.map { "\($0.rawValue) \(survived[$0] ?? 0)" }.joined(separator: ", "))
    for m in missed { print("chaos: \(m)") }
    #expect(missed.isEmpty)
  }
}
