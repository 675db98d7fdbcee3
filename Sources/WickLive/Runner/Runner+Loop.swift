import Foundation
import WickCore
import WickData
import WickLua
import WickSim

extension Runner {
  /// How the run ended.
  public enum Ending: Equatable, Sendable {
    case stopAfter, signal
    case halted(String)
  }

  /// Catches up from the cache and REST, then trades on the live stream until `--stop-after`,
  /// a signal, or a stop command.
  public func run() throws -> Ending {
    try startSession()
    defer { endSession() }
    while true {
      if let ending = try step(timeout: 0.25) { return ending }
    }
  }

  /// Catches up from the cache and REST (re-handling recorded candles when resuming), then
  /// opens the live stream. `step` trades on it; `endSession` closes it.
  public func startSession() throws {
    try recoverRecorded()
    try catchUpAndListen()
  }

  /// Tops the cache up over REST and, when resuming, re-handles the candles the run had already
  /// handled (checking each decision against the ledger). A group does this for every run before
  /// any run decides anew, so that the shared governor sees every run's rebuilt book.
  public func recoverRecorded() throws {
    let api = try spec.marketAPI()
    let transport = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 20)
    let requester = ExchangeRequester(
      transport: transport, limiter: RateLimiter(rate: api.requestsPerSecond, burst: 5))
    let fetcher = MarketDataFetcher(api: api, store: store, requester: requester)
    if (try? fetcher.syncClock()) == nil {
      output("warning: cannot read \(spec.exchange)'s server time; using the local clock")
    }
    // The exchange's clock (as last synced) decides which candles are closed.
    let backfill = FetcherBackfill(fetcher: fetcher, timeframe: spec.timeframe)
    let tf = spec.timeframe

    // Warm-up (a new run) or re-handling (a resumed run) from the cache, topped up over REST.
    let end = tf.floor(backfill.now())
    let record = try ledger.run(runID)
    let start = record?.firstTime ?? (end - strategy.warmupSpan(base: tf))
    for s in spec.symbols { _ = try backfill.topUp(symbol: s, from: start, to: end) }
    funding?.begin(at: start)
    refreshFunding(fetcher: fetcher, through: end, force: true)
    // Scheduled jobs use the cache topped up over REST; a new run's warm-up candles trigger none.
    schedule?.candles = { symbol, tf, from, to in
      try FetcherBackfill(fetcher: fetcher, timeframe: tf).topUp(
        symbol: symbol, from: from, to: to)
    }
    schedule?.armedFrom = resumed ? .min : end
    // Every recorded candle is re-handled (from the cache, which holds every delivered candle),
    // even when the exchange's clock reads earlier than the last one's close.
    let recordedEnd = journal.verifyUntil == .min ? start : journal.verifyUntil + 1
    let last = try handleCached(from: start, to: recordedEnd, exchange: api.storageName)
    phase = .recovered(
      CatchUp(fetcher: fetcher, backfill: backfill, end: end, from: recordedEnd, last: last))
  }

  /// Handles the candles that closed while the run was down (or its warm-up), then opens the
  /// live stream.
  public func catchUpAndListen() throws {
    guard let c = phase.startCatchingUp() else {
      throw WickError.data("run \(runID): not recovered yet")
    }
    let (end, backfill, tf) = (c.end, c.backfill, spec.timeframe)
    let verifyUntil = journal.verifyUntil
    let ready = try prepareMissed(
      from: c.from, to: end, last: c.last, backfill: backfill, exchange: c.storageName)
    let missed = try handleCached(from: c.from, to: ready, exchange: c.storageName)
    var last = zip(missed, c.last).map { $0 ?? $1 }
    if resumed {
      journal.checkComplete(through: verifyUntil)
      if let d = journal.divergence {
        journal.incident(
          time: lastHandled ?? end, kind: "resume_divergence",
          detail:
            "re-handling recorded candles diverged at \(UTCTime.iso(d.time)): expected \(d.expected), got \(d.got)"
        )
        output("warning: resume diverged from the recorded decisions at \(UTCTime.iso(d.time))")
      }
      journal.verifyUntil = .min
      noteClockBehind(lastRecorded: verifyUntil, clock: backfill.now())
      finishLiveReplay()
      try runInterruptedJob()
      // A run paused before the crash is still paused (the recorded pause was re-applied).
      if kernel.entriesPaused { try ledger.setStatus(run: runID, "paused") }
      let handled = kernel.candlesHandled
      output(
        "resumed run \(runID): re-handled \(handled) candle slots up to \(lastHandled.map(UTCTime.iso) ?? "-")"
      )
      // A script edited while the runner was down is picked up now, like any hot reload.
      if let disk = scripts.editedOnDisk(), let t = lastHandled {
        scripts.use(text: disk)
        if strategy.reload(host: kernel, reason: "changed while stopped") {
          try recordVersion(time: t, source: "reload")
        } else {
          try scripts.revertToLastVersion()
          journal.incident(time: t, kind: "reload_failed", detail: scripts.lastReloadMessage)
        }
      }
      try journal.flushIncidents()
    }
    for i in last.indices where last[i] == nil { last[i] = end - tf.milliseconds }

    // The live stream.
    let (dialect, base) = try spec.stream()
    let inbox = KlineInbox()
    let socket = try KlineSocket(
      dialect: dialect, base: base, symbols: spec.symbols, timeframe: tf, inbox: inbox)
    let confirmed = ConfirmedCandles(
      symbols: spec.symbols, timeframe: tf, exchange: c.storageName, store: store,
      backfill: backfill, lastDelivered: last)
    confirmed.onLog = output
    confirmed.retryDelays = spec.gapRetryDelays
    confirmed.onMissing = { [unowned self] missing in try recordMissing(missing) }
    socket.start()
    // Live from here, with whatever has started when this returns or throws: `endSession`
    // stops it even if what follows fails.
    var live = LiveSession(socket: socket, inbox: inbox, confirmed: confirmed, fetcher: c.fetcher)
    defer { phase = .live(live) }
    live.higher = try startHigherKlines(dialect: dialect, base: base)
    if spec.recordLiquidations {
      live.liquidations = try LiquidationRecording.start(
        spec: spec, base: base, exchange: c.storageName, store: store, clock: c.fetcher.clock,
        output: output)
      liquidationCount.bind(live.liquidations)
    }
  }

  /// A clock behind this much past the last recorded candle's close is an incident, not just a
  /// warning: candles may not arrive for a long time.
  static let clockBehindIncidentMs: Int64 = 86_400_000

  /// After a resume: an exchange clock that reads earlier than the last recorded candle's close
  /// is not an error (nothing is re-decided; the stream waits for newer candles), but it is said,
  /// and recorded as a `clock_behind` incident when more than a day behind.
  func noteClockBehind(lastRecorded: Int64, clock now: Int64) {
    guard lastRecorded != .min else { return }
    let close = lastRecorded + spec.timeframe.milliseconds
    let behind = close - now
    guard behind > 0 else { return }
    let detail =
      "\(spec.exchange)'s clock reads \(UTCTime.iso(now)), \(behind / 1000) s behind the last recorded candle's close at \(UTCTime.iso(close)); waiting for newer candles"
    output("warning: \(detail)")
    if behind > Self.clockBehindIncidentMs {
      journal.incident(time: lastRecorded, kind: "clock_behind", detail: detail)
    }
  }

  /// Candles the stream and REST never had: a `candle_missing` incident, written before the
  /// newer candles are handled. A resume and `wick replay` leave the same candles out
  /// (`RunRecovery.missing`), so that they rebuild what the strategy saw.
  func recordMissing(_ missing: MissingCandles) throws {
    output("warning: candle_missing \(missing.detail)")
    journal.incident(time: missing.first, kind: MissingCandles.incidentKind, detail: missing.detail)
    try journal.flushIncidents()
    recovery.missing.append(missing)
  }

  /// A new version's warmup grew past the history the kernel keeps (a raised param behind a
  /// `warmup` function): deepen it from the candle cache, topped up over REST while live, so
  /// that the reload replays the full warmup and `ctx:history` reaches it. Candles the run went
  /// on without stay out, as in `handleCached`; a resume re-applies the swap on the same cache.
  func deepenHistory(to depth: Int) {
    let tf = spec.timeframe
    guard let exchange = try? spec.marketAPI().storageName else { return }
    let missing = recovery.missingRanges(symbols: spec.symbols)
    let fetcher = phase.session?.fetcher
    kernel.deepenHistory(to: depth) { i, before, count in
      let symbol = spec.symbols[i]
      let from = before - Int64(count) * tf.milliseconds
      if let fetcher {
        _ = try? FetcherBackfill(fetcher: fetcher, timeframe: tf).topUp(
          symbol: symbol, from: from, to: before)
      }
      let key = SeriesKey(exchange: exchange, symbol: symbol, timeframe: tf)
      guard let cursor = try? store.cursor(series: key, from: from, to: before) else { return [] }
      var out: [Candle] = []
      while let c = try? cursor.next() {
        if !missing.isEmpty, missing[i].contains(where: { $0.contains(c.time) }) { continue }
        out.append(c)
      }
      return out
    }
  }

  /// Closes the live stream.
  public func endSession() {
    cancelReoptimize()
    flushRequestLatency()
    let live = phase.session
    live?.socket.stop()
    live?.higher?.stop()
    liquidationCount.bind(nil)
    if let failure = live?.liquidations?.stop() {
      output("warning: liquidation recording had stopped: \(failure)")
    }
    phase.endSession()
  }

  /// One turn of the live loop: the stop signal, commands (every 0.5 s), the heartbeat, then the
  /// candles that closed (waiting up to `timeout` for the stream). Returns an ending when the run
  /// ends.
  public func step(timeout: TimeInterval) throws -> Ending? {
    guard var s = phase.session else { return .signal }
    defer { phase = .live(s) }
    if shouldStop() {
      for line in try endCleanly() { output("order \(line)") }
      try ledger.setStatus(run: runID, "stopped")
      output("stopped: positions stay open under their stops")
      return .signal
    }
    if Date().timeIntervalSince(s.lastPoll) >= 0.5 {
      s.lastPoll = Date()
      if let ending = try pollCommands() { return ending }
    }
    if Date().timeIntervalSince(s.lastBeat) >= 5 {
      s.lastBeat = Date()
      try ledger.heartbeat(run: runID)
      flushRequestLatency()
    }
    // Live: reconcile with the exchange every 30 s between candles too.
    (venue as? LiveVenue)?.heartbeat()
    let events = s.inbox.drain(timeout: timeout)
    for slice in try s.confirmed.handle(events) {
      // The liquidations of the minutes up to this close, as the strategy and the cache see them.
      s.liquidations?.close(before: slice[0].candle.time + spec.timeframe.milliseconds)
      refreshFunding(fetcher: s.fetcher, through: slice[0].candle.time)
      try handle(slice)
      s.delivered += 1
      output(
        "candle \(UTCTime.iso(slice[0].candle.time)) equity \(String(format: "%.2f", kernel.equity()))"
      )
      if let n = spec.stopAfter, s.delivered >= n {
        for line in try endCleanly() { output("order \(line)") }
        try ledger.setStatus(run: runID, "stopped")
        return .stopAfter
      }
    }
    return nil
  }

  /// Records that the runner stopped on an error (the same command resumes the run).
  public func markStopped(error: String) throws {
    try ledger.setStatus(run: runID, "stopped", error: error)
  }

  // MARK: Commands

  /// Handles pending `run_commands` rows; returns an ending when one stops the run.
  func pollCommands() throws -> Ending? {
    for c in try ledger.pendingCommands(run: runID) {
      let t = lastHandled ?? 0
      switch c.kind {
      case "pause", "resume":
        applyControl(detail: DecisionJSON.object([("command", .string(c.kind))]), time: t)
        try journal.commitNotes()
        try ledger.setStatus(run: runID, c.kind == "pause" ? "paused" : "running")
        try ledger.completeCommand(
          c.id, status: "done", outcome: c.kind == "pause" ? "paused: no new entries" : "resumed")
      case "stop", "emergency_stop":
        // What the last candle sent is booked first: the flatten and the report see it.
        try bookLastSend()
        let open = kernel.book.openCount
        if c.kind == "emergency_stop" {
          applyControl(detail: DecisionJSON.object([("command", .string(c.kind))]), time: t)
          try releaseClaims()
          journal.incident(
            time: t, kind: "emergency_stop", detail: "flattened \(open) positions (\(c.source))")
          try journal.commitNotes()
        }
        try ledger.setStatus(run: runID, "halted")
        let outcome =
          c.kind == "emergency_stop"
          ? "flattened \(open) position(s); halted"
          : "halted; \(open) position(s) left under their stops"
        if c.kind == "stop" { try notifyHalt(outcome, source: c.source) }
        try ledger.completeCommand(c.id, status: "done", outcome: outcome)
        output("\(c.kind): \(outcome)")
        return .halted(outcome)
      case "reset_account":
        let (status, outcome) = resetAccount(payload: c.payloadJSON, source: c.source, time: t)
        try ledger.completeCommand(c.id, status: status, outcome: outcome)
        output("reset_account: \(outcome)")
      case "set_param":
        let (status, outcome) = setParam(payload: c.payloadJSON, time: t)
        if status == "done" { try recordVersion(time: t, source: "set_param") }
        try ledger.completeCommand(c.id, status: status, outcome: outcome)
        output("set_param: \(outcome)")
      default:
        let reason = "unknown command '\(c.kind)'"
        journal.incident(time: t, kind: "control_refused", detail: "\(reason) (\(c.source))")
        try journal.flushIncidents()
        try ledger.completeCommand(c.id, status: "rejected", outcome: reason)
      }
    }
    return nil
  }

  /// A `set_param` payload's changes applied together: validated against the script's
  /// declaration and swapped in through one hot reload (one recorded version, one decision), or
  /// none of them when the new version does not load. Returns the command's status and outcome.
  func setParam(payload: String, time: Int64) -> (String, String) {
    let parsed: [(name: String, value: ParamValue, source: String)]
    switch Self.paramChanges(payload: payload) {
    case .success(let changes): parsed = changes
    case .failure(let refused): return ("rejected", refused.reason)
    }
    let changed = Set(parsed.map(\.name))
    let current = strategy.current.params.map {
      (name: $0.name, value: $0.value, source: "running")
    }
    let next = current.filter { !changed.contains($0.name) } + parsed
    let described = parsed.map { "\($0.name) = \($0.value)" }.joined(separator: ", ")
    scripts.lastReloadMessage = ""
    guard strategy.reload(params: next, host: kernel) else {
      let why = scripts.lastReloadMessage.replacingOccurrences(of: "reload failed, ", with: "")
      // One param alone: the message as before; several: say that none of them applied.
      return (
        "rejected", parsed.count == 1 ? why : "\(described) refused together, none applied: \(why)"
      )
    }
    scripts.overrides = next
    return ("done", "\(described); swapped between candles")
  }

  /// The params a `set_param` payload changes, in name order: `{"params": {"fast": 5, "slow":
  /// 8}}` (several, applied as one change: `wick set-param` with several NAME=VALUE) or
  /// `{"name": "fast", "value": 5}` (one: the dashboard's form, and every older ledger).
  static func paramChanges(payload: String) -> Result<
    [(name: String, value: ParamValue, source: String)], RunControl.Refused
  > {
    let shape = #"payload must be {"name": ..., "value": ...} or {"params": {NAME: VALUE, ...}}"#
    guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any]
    else { return .failure(.init(reason: shape)) }
    let pairs: [(String, Any)]
    if let params = object["params"] as? [String: Any], object["name"] == nil {
      pairs = params.map { ($0.key, $0.value) }
    } else if let name = object["name"] as? String, let raw = object["value"],
      object["params"] == nil
    {
      pairs = [(name, raw)]
    } else {
      return .failure(.init(reason: shape))
    }
    guard !pairs.isEmpty else { return .failure(.init(reason: "set_param names no param")) }
    let text = pairs.map { "\(DecisionJSON.quote($0.0)):\(DecisionJSON.anyJSON($0.1))" }
    do {
      let parsed = try ParamsFile.parseJSON(
        Data("{\(text.joined(separator: ","))}".utf8), path: "set_param")
      return .success(parsed.map { ($0.name, $0.value, "set_param") })
    } catch {
      return .failure(.init(reason: "\(error)"))
    }
  }
}

extension DecisionJSON {
  /// A JSON value parsed by Foundation, written back as JSON text.
  static func anyJSON(_ any: Any) -> String {
    if type(of: any) == Bool.self, let b = any as? Bool { return b ? "true" : "false" }
    if let n = any as? NSNumber { return encode(.number(n.doubleValue)) }
    if let s = any as? String { return quote(s) }
    if let data = try? JSONSerialization.data(withJSONObject: any, options: [.fragmentsAllowed]),
      let text = String(data: data, encoding: .utf8)
    {
      return text
    }
    return "null"
  }
}
