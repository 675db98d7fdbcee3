import Foundation
import WickCore
import WickData
import WickLua
import WickRisk
import WickSim

/// `wick run`: one strategy on live closed candles through the shared `TradingKernel`.
///
/// Start-up: the run is created, or — when a run with the same arguments crashed or stopped —
/// resumed. Resuming re-handles every candle the run already handled from the candle cache (every
/// delivered candle is cached) with the script versions and params it recorded: that rebuilds the
/// exact kernel, strategy and risk state, and each regenerated decision is checked against the
/// ledger instead of being written or sent again. Missed candles are then backfilled over REST
/// and handled as new ones, and the live stream takes over.
///
/// Per candle time: the kernel handles it; its journal commits decisions, order rows and state in
/// one transaction before the venue sends anything. Between candles: control commands
/// (`run_commands`) at least every second, hot reload of the script, plugins and params file.
///
/// Its state lives by concern: `ScriptVersionStore` (which script text, params and plugins the
/// next build uses; the recorded versions), `RunRecovery` (what a resume or replay re-applies),
/// `RunPhase` (start-up, catch-up, the `LiveSession`), `GroupMembership` (a `[[run]]` entry's
/// shared governor) and `RunSchedule` (`[schedule]` jobs).
public final class Runner {
  public let spec: RunSpec
  let store: CandleStore
  public let ledger: RunLedger
  public internal(set) var runID: Int64 = 0
  /// The run existed and is resumed (not created).
  public var resumed: Bool { recovery.resumed }
  var kernel: TradingKernel!
  var strategy: ReloadingStrategy!
  var journal: LedgerJournal!
  var venue: Venue!
  var output: (String) -> Void
  /// Set from a signal handler (SIGTERM/SIGINT): stop cleanly between candles.
  public var shouldStop: () -> Bool = { false }

  /// Which script text, params and plugins the next build uses; the recorded versions.
  let scripts: ScriptVersionStore
  /// What a resume or a replay follows: the recorded notes, a live run's recorded exchange.
  var recovery = RunRecovery()
  /// From start-up to the end of the live session: the catch-up, then the live stream.
  var phase = RunPhase.starting
  /// The last candle time handled.
  var lastHandled: Int64?
  /// Set when the run is one of a process's `[[run]]` entries, under one shared governor.
  var membership: GroupMembership?
  /// Liquidations the session's recorder has received, readable from any thread (tests wait on
  /// it before pushing the candle those liquidations belong to).
  let liquidationCount = LiquidationCount()
  /// Reads the cache's market-stats series into the strategy's candles (Runner+Extras.swift).
  var marketStats: MarketStatsFollower?
  /// How long a due higher-timeframe candle is waited for on the exchange's stream before the
  /// resampled one is used (Runner+HigherKlines.swift).
  public var higherKlineGrace: TimeInterval = 2
  /// `[schedule]` jobs of this run (Runner+Schedule.swift); nil without any.
  var schedule: RunSchedule?
  /// `[notify]` routes (Runner+Notify.swift), and what wakes the delivery thread after a write.
  public var notifications: NotificationRoutes?
  public var onNotify: (() -> Void)?
  /// Slow exchange requests as incidents (Runner+Notify.swift); set from the config by `prepare`.
  var latencyWatch: LatencyWatch?

  public init(spec: RunSpec, output: @escaping (String) -> Void) throws {
    self.spec = spec
    self.output = output
    store = try CandleStore(path: spec.dbPath)
    ledger = try RunLedger(store: store)
    scripts = ScriptVersionStore(
      strategyPath: spec.strategyPath, paramsFile: spec.paramsFile, symbols: spec.symbols,
      recordedText: { [ledger] in try ledger.scriptText(hash: $0) })
  }

  // MARK: Building the kernel

  /// Stores the running version (its text, params and plugins) in the ledger and in `scripts`.
  @discardableResult
  func storeVersion(time t: Int64, source: String) throws -> RunLedger.ScriptVersion {
    let v = RunLedger.ScriptVersion(
      time: t, hash: ScriptVersionStore.hash(scripts.sourceText),
      paramsJSON: DecisionJSON.params(strategy.current.params), source: source)
    try ledger.recordScriptVersion(
      run: runID, v, path: spec.strategyPath, text: scripts.sourceText, plugins: pluginRecords())
    scripts.append(v, plugins: strategy.current.pluginTexts)
    return v
  }

  /// The running version's plugins as ledger records (module, text hash, text).
  func pluginRecords() -> [(name: String, hash: String, text: String)] {
    strategy.current.pluginTexts.map { ($0.key, ScriptVersionStore.hash($0.value), $0.value) }
  }

  func makeKernel(config: WickConfig?) throws {
    scripts.sandbox = config?.sandbox ?? SandboxConfig()
    scripts.sessions = config?.sessions ?? .standard
    strategy = try ReloadingStrategy(
      overrides: scripts.overrides, paramsFile: spec.paramsFile, checkInterval: .infinity
    ) { [scripts] extra in try scripts.build(extra) }
    strategy.onEvent = { [scripts] in scripts.lastReloadMessage = $0 }
    strategy.deepenHistory = { [unowned self] in self.deepenHistory(to: $0) }
    let s = strategy.current
    var config = config
    venue =
      try recovery.recordedVenue
      ?? VenueFactory.make(
        spec: spec, costs: config?.costs,
        leverage: config?.risk.leverage ?? FixedFractionSizer().leverage)
    attachFunding()
    // Live: the exchange's lot step, minimums and tick size feed sizing, unless configured.
    if var c = config {
      for (symbol, instrument) in exchangeInstruments() where c.instruments[symbol] == nil {
        c.instruments[symbol] = instrument
      }
      config = c
    }
    let equity = try startEquity()
    let risk: RiskGate
    if let c = config, let membership {
      risk = membership.makeGate(config: c, strategy: s.name, symbols: spec.symbols, equity: equity)
    } else if let c = config {
      risk = RiskEngine(config: c, strategy: s.name, symbols: spec.symbols, initialEquity: equity)
    } else {
      risk = FixedFractionSizer()
    }
    kernel = TradingKernel(
      symbols: spec.symbols, timeframe: spec.timeframe, initialEquity: equity,
      historyDepth: max(s.warmup, 1), strategy: strategy, risk: risk, venue: venue)
    kernel.onLog = { [unowned self] in self.output("log " + $0) }
    s.onLog = kernel.onLog
    membership?.attach(kernel: kernel)
    kernel.decisionGrid = try config?.schedule.decisionGrid(timeframe: spec.timeframe)
    kernel.candleExtras = CandleExtras(symbols: spec.symbols.map { _ in CandleExtras.Symbol() })
    marketStats = nil
    kernel.chooseHigher = { [unowned self] k, s, bar in
      self.chooseHigher(timeframe: k, symbol: s, resampled: bar)
    }
  }

  // MARK: Start-up

  /// Creates or resumes the run; returns its id (print it before anything else).
  public func prepare() throws -> Int64 {
    let config = try spec.configPath.map { try RunPlan.config(at: $0, forRun: spec.argsJSON) }
    let limit = config?.exchanges[spec.exchange]?.latencyBreachSeconds
    latencyWatch = LatencyWatch(
      host: RequestLatency.host(of: try spec.marketAPI().baseURL),
      limit: limit ?? LatencyWatch.defaultLimit,
      setting: limit == nil
        ? "the default; [exchange.\(spec.exchange)] latency_breach_seconds sets it"
        : "[exchange.\(spec.exchange)] latency_breach_seconds")
    if let existing = try ledger.resumable(argsJSON: spec.argsJSON) {
      // A live run re-handles its recorded candles too, but its venue replays the ledger's fills
      // (nothing is sent, no simulated fill), then reconciles with the exchange (`LiveVenue`).
      runID = existing.id
      recovery.resumed = true
      guard
        try scripts.startFromRecorded(
          ledger.scriptVersions(run: runID), plugins: ledger.versionPlugins(run: runID))
      else {
        throw WickError.data("run \(runID) has no recorded script version to resume from")
      }
      try makeKernel(config: config)
      try makeSchedule(config: config)
      let recorded = try ledger.decisions(run: runID)
      recovery.follow(recorded)
      try recovery.followMissing(ledger: ledger, run: runID)
      journal = LedgerJournal(
        run: runID, ledger: ledger, symbols: spec.symbols, recorded: recorded,
        verifyUntil: existing.lastTime ?? .min)
      try funding?.useRecorded(journal.recorded, through: journal.verifyUntil)
      try ledger.setStatus(run: runID, "running")
    } else {
      try scripts.startFromDisk()
      try makeKernel(config: config)
      try makeSchedule(config: config)  // a bad [schedule] leaves no run behind
      let s = strategy.current
      runID = try ledger.createRun(
        RunLedger.NewRun(
          // Absolute, so the dashboard and `wick set-param` find it from any directory.
          kind: spec.mode.rawValue, strategy: s.name,
          scriptPath: URL(fileURLWithPath: spec.strategyPath).standardizedFileURL.path,
          exchange: spec.exchange, paramsJSON: DecisionJSON.params(s.params),
          symbols: spec.symbols, timeframe: spec.timeframe.description,
          initialEquity: kernel.initialEquity, argsJSON: spec.argsJSON,
          accounts: spec.symbols.map {
            ("\(s.name):\($0)", $0, kernel.initialEquity / Double(spec.symbols.count))
          }))
      try storeVersion(time: 0, source: "start")
      journal = LedgerJournal(run: runID, ledger: ledger, symbols: spec.symbols)
    }
    kernel.journal = journal
    try bindNotifications()
    try recordInstruments()
    try bindClaims()
    membership?.bind(run: runID, output: output)
    if let live = venue as? LiveVenue {
      let name = strategy.current.name
      live.bind(run: runID) { [unowned self] kind, symbol, detail in
        self.journal.incident(
          time: self.lastHandled ?? self.kernel.now, kind: kind, detail: detail,
          account: symbol.map { "\(name):\($0)" })
        try? self.journal.flushIncidents()
      }
      // Re-handling recorded candles takes the exchange's recorded answers; nothing is sent.
      if resumed {
        live.beginReplay(
          try LedgerLiveHistory(
            ledger: ledger, run: runID, symbols: spec.symbols, decisions: journal.recorded))
      }
    }
    journal.riskJournal = kernel.risk as? RiskJournal
    journal.equity = { [unowned self] in self.kernel.equity() }
    journal.stateJSON = { [unowned self] in self.stateJSON(time: $0) }
    try kernel.start()
    return runID
  }

  /// What is committed with every candle: enough to see where the run is and to check a resume.
  func stateJSON(time: Int64) -> String {
    var positions: [String] = []
    for (i, p) in kernel.book.positions.enumerated() {
      guard let p else { continue }
      positions.append(
        DecisionJSON.object([
          ("symbol", .string(spec.symbols[i])), ("side", .string(p.side.rawValue)),
          ("qty", .number(p.qty)), ("entry", .number(p.entry)),
          ("stop", p.stop.map { .number($0) }),
          ("take", p.take.map { .number($0) }), ("opened_at", .int(p.openedAt)),
        ]))
    }
    let ctxState = strategy.current.exportState().map(DecisionJSON.param) ?? "null"
    return DecisionJSON.object(
      [
        ("last_candle", .int(time)), ("candles", .int(Int64(kernel.candlesHandled))),
        ("cash", .number(kernel.book.cash)), ("equity", .number(kernel.equity())),
        ("positions", .raw("[" + positions.joined(separator: ",") + "]")),
        ("paused", .bool(kernel.entriesPaused)), ("ctx_state", .raw(ctxState)),
        ("strategy_error", kernel.strategyError.map { .string($0) }),
      ] + accountStateFields(time: time))
  }

  // MARK: Handling candles

  /// Handles one time slice, then applies recorded swaps and control notes (while verifying) or
  /// hot reloads (live).
  func handle(_ slice: [SymbolCandle]) throws {
    guard let t = slice.first?.candle.time else { return }
    refreshExtras(through: t)
    // The per-candle cost while a re-optimization sweeps beside the loop (reported with it).
    let timed = schedule?.reoptimize != nil
    let started = timed ? DispatchTime.now().uptimeNanoseconds : 0
    if t > journal.verifyUntil { finishLiveReplay() }
    do {
      try slice.withUnsafeBufferPointer { try kernel.handle(time: t, slice: $0) }
    } catch let WickError.script(message) {
      // The strategy is halted; positions stay under their stops and the venue keeps managing them.
      kernel.haltStrategy(reason: message)
      journal.incident(time: t, kind: "strategy_error", detail: message)
      try journal.flushIncidents()
      output("error: strategy halted: \(message)")
    }
    lastHandled = t
    if t <= journal.verifyUntil {
      try applyRecorded(after: t)
    } else {
      try releaseClaims()
      try hotReload(after: t)
    }
    let seconds = timed ? Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9 : 0
    try runSchedule(after: t, handleSeconds: seconds)
  }

  /// The first candle past the recorded ones: a live venue resolves what was in flight at the
  /// crash by client order id (sending a never-sent entry only while its candle is current).
  func finishLiveReplay() {
    guard let live = venue as? LiveVenue, live.isReplaying else { return }
    live.finishReplay(lateWindow: 2 * spec.timeframe.milliseconds)
  }

  /// While re-handling recorded candles: swap in the versions and apply the controls the run
  /// recorded after this candle, exactly where and in the order it did.
  func applyRecorded(after t: Int64) throws {
    for n in recovery.notes(after: t) {
      if n.kind == "schedule" {
        applyRecordedSchedule(n)
        continue
      }
      if n.kind == "control" {
        applyControl(detail: n.detailJSON, time: t)
        continue
      }
      if n.kind == Self.settleNote {
        try applySettle(n, after: t)
        continue
      }
      guard let v = try scripts.adoptRecordedSwap(at: t, detail: n.detailJSON) else {
        throw WickError.data(
          "run \(runID): the version swapped in at \(UTCTime.iso(t)) is not recorded")
      }
      // The recorded params are the whole truth (a params file may have changed since).
      guard strategy.reload(params: scripts.overrides, host: kernel) else {
        throw WickError.data(
          "run \(runID): recorded version \(v.hash) no longer loads: \(scripts.lastReloadMessage)"
        )
      }
      journal.note(time: t, kind: "reload", detail: n.detailJSON)
    }
  }

  /// Swaps in a changed script, plugin or params file between two candles; a broken edit keeps
  /// the running version and is recorded as an incident.
  func hotReload(after t: Int64) throws {
    let before = strategy.reloads
    scripts.lastReloadMessage = ""
    strategy.checkInterval = 0
    scripts.readingDisk {
      strategy.reloadIfChanged(host: kernel)
      return strategy.reloads != before
    }
    strategy.checkInterval = .infinity
    let message = scripts.lastReloadMessage
    if strategy.reloads != before {
      try recordVersion(time: t, source: "reload")
      output("reload: \(message)")
    } else if !message.isEmpty {
      journal.incident(time: t, kind: "reload_failed", detail: message)
      try journal.flushIncidents()
      output("reload: \(message)")
    }
  }

  /// Records the running version (after a swap) and its decision, at once.
  func recordVersion(time t: Int64, source: String) throws {
    let v = try storeVersion(time: t, source: source)
    journal.note(time: t, kind: "reload", detail: ScriptVersionStore.versionDetail(v))
    try journal.commitNotes()
  }

  /// Pause and resume change what the kernel accepts; they are decisions replay re-applies. A
  /// detail that does not parse as a known command is not applied: it is recorded as a
  /// `control_refused` incident with the reason (the note keeps the decision sequence intact).
  @discardableResult
  func applyControl(detail: String, time: Int64) -> Bool {
    let applied: Bool
    switch RunControl.parse(detailJSON: detail) {
    case .success(.pause):
      kernel.entriesPaused = true
      applied = true
    case .success(.resume):
      kernel.entriesPaused = false
      applied = true
    case .success(.emergencyStop):
      flattenAll(time: time, reason: "emergency stop")
      applied = true
    case .success(.resetAccount(let account, _)):
      applied = resetAccount(named: account, time: time)
    case .failure(let refused):
      journal.incident(time: time, kind: "control_refused", detail: refused.reason)
      applied = false
    }
    journal.note(time: time, kind: "control", detail: detail)
    return applied
  }

  func flattenAll(time: Int64, reason: String) {
    // Entries still waiting for the next open are withdrawn (nothing opens after a flatten).
    for i in kernel.book.positions.indices { _ = venue.cancelEntry(symbol: i) }
    for i in kernel.book.positions.indices where kernel.book.positions[i] != nil {
      venue.closeNow(
        symbol: i, price: kernel.book.lastPrices[i], time: time, reason: .risk, note: reason)
    }
  }

  // MARK: Catch-up from the cache

  /// Re-handles (resume) or warms up on cached candles from `from` up to `to` (exclusive).
  /// Returns the last open time per symbol.
  func handleCached(from: Int64, to: Int64, exchange: String) throws -> [Int64?] {
    guard from < to else { return Array(repeating: nil, count: spec.symbols.count) }
    let keys = spec.symbols.map {
      SeriesKey(exchange: exchange, symbol: $0, timeframe: spec.timeframe)
    }
    let source = MergedCandleSource(
      symbols: spec.symbols,
      cursors: try keys.map { try store.cursor(series: $0, from: from, to: to) })
    var last: [Int64?] = Array(repeating: nil, count: spec.symbols.count)
    var slice: [SymbolCandle] = []
    let missing = recovery.missingRanges(symbols: spec.symbols)
    while let c = try source.next() {
      // A candle the run went on without stays out, as it did live.
      if !missing.isEmpty, missing[c.symbol].contains(where: { $0.contains(c.candle.time) }) {
        last[c.symbol] = c.candle.time
        continue
      }
      if let t = slice.first?.candle.time, t != c.candle.time {
        try handle(slice)
        slice.removeAll(keepingCapacity: true)
      }
      slice.append(c)
      last[c.symbol] = c.candle.time
    }
    if !slice.isEmpty { try handle(slice) }
    return last
  }
}

extension LedgerJournal {
  /// Commits decisions noted between candles (a swap, a control) right away.
  public func commitNotes() throws {
    try flushPending()
  }
}

extension Runner {
  /// The live stream and its bookkeeping between `startSession()` and `endSession()`.
  var session: LiveSession? { phase.session }
}
