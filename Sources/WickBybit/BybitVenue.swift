import Foundation
import WickCore
import WickData
import WickLive
import WickSim

/// The kernel's live venue on Bybit (linear USDT perpetuals): the `Venue` calls become signed
/// orders, and what the exchange did comes back into the kernel's `Book`.
///
/// Per candle time `t`, in the kernel's order:
/// - `execute(t)` applies what `send()` achieved after the previous candle (entries filled and
///   protected, panic closes, exits, refusals) at `t`, then reconciles with the exchange: a
///   position its stop or take closed on the exchange is closed in the book at the exchange's
///   fill; a missing stop is put back; an unknown position or a mismatch halts the symbol.
/// - `submit(...)` only records; the journal commits the order rows (write-ahead); then
///   `send()` transmits each order under its client order id (`EntryOrder.clientOrderID`), so a
///   retry or a restart can never place a second one.
///
/// Every call comes from the kernel's thread; the private stream fills the inbox on its own.
public final class BybitVenue: Venue {
  public let session: BybitLiveSession
  /// The run id in every client order id; `bind` sets it once the ledger has given one.
  public private(set) var run: Int64
  var book: Book!
  /// The time of the candle being handled: orders submitted now were decided on it.
  var decisionTime: Int64 = 0
  private var recordedEntries: [EntryOrder?] = []
  private var recordedExits: [String??] = []
  /// Partial closes decided on this candle (`ctx:exit{fraction = ...}`).
  private var recordedPartials: [(fraction: Double, reason: String?)?] = []
  /// Sent, awaiting the next `execute` to reach the book.
  private var sentEntries: [(order: EntryOrder, outcome: EntryOutcome)] = []
  private var sentExits: [(symbol: Int, fill: LiveFill?, reason: String?)] = []
  private var sentPartials: [(symbol: Int, fill: LiveFill?, reason: String?)] = []
  /// Symbols reconciliation halted: no new entries until a human looks.
  public internal(set) var halted: [String: String] = [:]
  let incidents: LiveIncidentSink
  /// While a resumed run re-handles the candles it handled before the restart: the recorded
  /// outcomes stand in for the exchange, and nothing is sent.
  var history: LiveHistory?
  /// Entries re-decided during the replay that the ledger has no fill for (in flight at the crash).
  private var unresolved: [EntryOrder] = []
  /// Exits re-decided during the replay without a recorded fill.
  private var unresolvedExits: [(symbol: Int, id: String, reason: String?)] = []
  /// Partial closes re-decided during the replay without a recorded fill (their quantity).
  private var unresolvedPartials: [(symbol: Int, id: String, qty: Double, reason: String?)] = []
  /// Reconciliation reports from between candles, applied to the book at the next candle.
  private var deferred: [ReconcileReport] = []
  /// Pair entries: recorded, sent, in flight at a crash, open (`BybitVenue+Pairs.swift`).
  var pairs = LivePairs()
  /// Funding, wallet and foreign positions: what the venue knows of the account as a whole.
  var account = LiveAccountState()

  /// Candle length (ms) for refusing stale entries; nil: no check.
  public let timeframe: Int64?

  public init(
    session: BybitLiveSession, run: Int64, incidents: LiveIncidentSink, timeframe: Int64? = nil
  ) {
    self.session = session
    self.run = run
    self.incidents = incidents
    self.timeframe = timeframe
  }

  var executor: BybitExecutor { session.executor }

  /// The live venue of a `wick run --live`: testnet unless `--mainnet`, `--base-url` and
  /// `--ws-url` override the endpoints; the symbols' leverage is set to the risk layer's.
  public static func make(spec: RunSpec, credentials: LiveCredentials, leverage: Double) throws
    -> BybitVenue
  {
    let relay = IncidentForwarder()
    do {
      let session = try BybitLiveSession(
        endpoints: BybitEndpoints(mainnet: !spec.testnet, baseURL: spec.baseURL, wsURL: spec.wsURL),
        credentials: BybitCredentials(apiKey: credentials.apiKey, secret: credentials.apiSecret),
        run: 0, symbols: spec.symbols, incidents: relay, leverage: leverage)
      return BybitVenue(
        session: session, run: 0, incidents: relay, timeframe: spec.timeframe.milliseconds)
    } catch let e as BybitError {
      throw WickError.exchange("cannot start live trading on Bybit: \(e)")
    }
  }

  /// Binds the venue to its run (ids and the ledger's incidents), before the first candle.
  public func bind(run: Int64, incidents forward: @escaping (String, String?, String) -> Void) {
    self.run = run
    session.run = run
    (incidents as? IncidentForwarder)?.connect(forward)
  }

  public func attach(book: Book) {
    self.book = book
    recordedEntries = Array(repeating: nil, count: book.symbols.count)
    recordedExits = Array(repeating: nil, count: book.symbols.count)
    recordedPartials = Array(repeating: nil, count: book.symbols.count)
  }

  public var capabilities: VenueCapabilities { BybitExchange.capabilities }

  /// Bybit charges funding on the account itself: the settlements it booked reach the book here.
  public func beginSlice(time: Int64) { bookExchangeFunding(time: time) }

  public func execute(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    decisionTime = time
    for (symbol, fill, reason) in sentExits {
      guard let fill else { continue }  // already flat: reconciliation below finds the close
      book.close(
        symbol: symbol,
        execution: Execution(
          price: fill.price, fee: recordedFee(symbol, price: fill.price, fee: fill.fee, time: time)),
        time: time,
        reason: reason?.hasPrefix("risk") == true ? .risk : .signal, note: reason)
    }
    sentExits.removeAll()
    for (symbol, fill, reason) in sentPartials {
      guard let fill, fill.qty > 0 else { continue }
      applyPartial(symbol: symbol, fill: fill, reason: reason, time: time)
    }
    sentPartials.removeAll()
    for (order, outcome) in sentEntries { apply(order, outcome, time: time) }
    sentEntries.removeAll()
    applyPairs(time: time, history: history)
    if let history {
      // What the exchange did at this candle back then (stops, takes), not what it shows now.
      for c in history.closes(time) where book.positions[c.symbol] != nil {
        book.close(
          symbol: c.symbol,
          execution: Execution(
            price: c.price, fee: recordedFee(c.symbol, price: c.price, fee: c.fee, time: time)),
          time: time,
          reason: c.reason, note: c.note)
      }
      applyRecordedWallet(time: time)
      return
    }
    // Closes found between candles reach the book now, at a candle, where a replay finds them.
    for report in deferred { apply(report, time: time) }
    deferred.removeAll()
    reconcile(time: time, force: true)
    checkAccount(time: time)
  }

  /// A partial close's fill: that part of the book's position closes at the exchange's price
  /// (all of it when the exchange filled the whole, e.g. after a stop shrank it first).
  private func applyPartial(symbol s: Int, fill: LiveFill, reason: String?, time: Int64) {
    guard let p = book.positions[s] else { return }
    let execution = Execution(price: fill.price, fee: fill.fee)
    if fill.qty < p.qty * (1 - 1e-9) {
      book.closePart(
        symbol: s, qty: fill.qty, execution: execution, time: time, reason: .signal, note: reason)
    } else {
      book.close(symbol: s, execution: execution, time: time, reason: .signal, note: reason)
    }
  }

  /// An entry's fill reaches the book: a new position, or the added quantity of an add.
  private func fillEntry(_ intent: OrderIntent, fill: LiveFill, time: Int64) {
    let execution = Execution(price: fill.price, fee: fill.fee)
    let s = intent.symbol
    if intent.add, book.positions[s] != nil {
      book.add(symbol: s, qty: fill.qty, execution: execution, time: time, intent: intent)
    } else {
      book.open(
        symbol: s, side: intent.side, qty: fill.qty, execution: execution, time: time,
        intent: intent)
    }
  }

  private func apply(_ order: EntryOrder, _ outcome: EntryOutcome, time: Int64) {
    let s = order.intent.symbol
    switch outcome {
    case .protected(let fill, let stop, let take):
      var intent = order.intent
      intent.stop = stop
      intent.take = take
      fillEntry(intent, fill: fill, time: time)
    case .panicClosed(let fill, let exit, let reason):
      fillEntry(order.intent, fill: fill, time: time)
      book.close(
        symbol: s, execution: Execution(price: exit.price, fee: exit.fee), time: time,
        reason: .risk, note: "panic close: \(reason)")
    case .unfilled(let reason):
      book.listener?.venueRefused(Refusal("exchange_refused", reason), symbol: s, time: time)
    }
  }

  /// Reconciles now (`force`) or when 30 s have passed; applies what it found to the book.
  /// `time` nil: between candles (closes are kept for the next `execute`).
  public func reconcile(time: Int64?, force: Bool = false) {
    guard history == nil else { return }
    // A symbol with an order sent but not yet in the book would look like a stranger's position.
    var busy = Set(sentEntries.map { book.symbols[$0.order.intent.symbol] })
    busy.formUnion(sentExits.map { book.symbols[$0.symbol] })
    busy.formUnion(sentPartials.map { book.symbols[$0.symbol] })
    busy.formUnion(pairSymbolsInFlight)
    do {
      let local = localPositions()
      let report =
        force
        ? try session.reconcile(local: local, skipping: busy)
        : try session.reconcileIfDue(skipping: busy) { local }
      guard let report else { return }
      if let time {
        apply(report, time: time)
      } else {
        for (symbol, reason) in report.halts where halted[symbol] == nil { halted[symbol] = reason }
        deferred.append(report)
      }
    } catch {
      incidents.incident(kind: "reconcile_failed", symbol: nil, detail: "\(error)")
    }
  }

  /// Between candles (the runner's idle loop): reconciles when due (30 s). Stops are restored and
  /// symbols halted at once; closes wait for the next candle, so the book changes only there.
  public func heartbeat() {
    guard history == nil else { return }
    reconcile(time: nil)
  }

  func localPositions() -> [LocalPosition] {
    book.positions.indices.compactMap { i in
      book.positions[i].map {
        LocalPosition(
          symbol: book.symbols[i], side: $0.side, qty: $0.qty, stop: $0.stop, take: $0.take,
          entryLinkID: EntryOrder.clientOrderID(
            run: run, time: $0.openedAt, symbol: book.symbols[i], kind: "e"))
      }
    }
  }

  private func apply(_ found: ReconcileReport, time: Int64) {
    var report = found
    reconcilePairs(&report, time: time)
    for (symbol, reason) in report.halts where halted[symbol] == nil { halted[symbol] = reason }
    for (name, last) in report.closedOnExchange {
      guard let s = book.symbols.firstIndex(of: name) else { continue }
      closeOnExchange(symbol: s, last: last, time: time)
    }
    for name in report.panicClosed {
      guard let s = book.symbols.firstIndex(of: name) else { continue }
      book.close(
        symbol: s, execution: Execution(price: book.lastPrices[s], fee: 0), time: time,
        reason: .risk, note: "panic close: the stop could not be restored")
    }
  }

  /// A position the exchange closed (stop or take), at the exchange's last fill when it lists one.
  func closeOnExchange(symbol s: Int, last: BybitExecution?, time: Int64) {
    guard let p = book.positions[s] else { return }
    let price = last?.price ?? book.lastPrices[s]
    let reason: ExitReason = {
      guard let stop = p.stop else { return .take }
      guard let take = p.take else { return p.trail == nil ? .stop : .trail }
      return abs(price - take) < abs(price - stop) ? .take : (p.trail == nil ? .stop : .trail)
    }()
    book.close(
      symbol: s, execution: Execution(price: price, fee: last?.fee ?? 0), time: time,
      reason: reason, note: "closed on the exchange")
  }

  /// A decision meant for an open that is long gone (a warm-up candle, a backlog) is not sent at
  /// today's price. Not while replaying: there, the recorded outcome stands.
  func staleRefusal(decidedAt: Int64) -> Refusal? {
    guard history == nil, let tf = timeframe else { return nil }
    guard executor.api.rest.serverNow() >= decidedAt + 2 * tf else { return nil }
    return Refusal(
      "stale_decision", "decided on the \(UTCTime.iso(decidedAt)) candle; its next open has passed")
  }

  public func submit(entry: EntryOrder) {
    let symbol = book.symbols[entry.intent.symbol]
    if let why = halted[symbol] {
      book.listener?.venueRefused(
        Refusal("symbol_halted", why), symbol: entry.intent.symbol, time: decisionTime)
      return
    }
    if let stale = staleRefusal(decidedAt: entry.decidedAt) {
      book.listener?.venueRefused(stale, symbol: entry.intent.symbol, time: decisionTime)
      return
    }
    recordedEntries[entry.intent.symbol] = entry
  }

  public func submit(exit symbol: Int, reason: String?) {
    recordedExits[symbol] = .some(reason)
    recordedPartials[symbol] = nil  // a full exit wins
  }

  /// A partial close of the kernel's already floored `fraction`: sent at `send()` as a
  /// reduce-only market order for that part of the book's quantity.
  public func submit(partialExit symbol: Int, fraction: Double, reason: String?) {
    if recordedExits[symbol] != nil { return }
    recordedPartials[symbol] = (fraction, reason)
  }

  /// The partial close's quantity and id for a decision made now.
  private func partialOrder(_ s: Int, fraction: Double) -> (qty: Double, id: String) {
    (
      (book.positions[s]?.qty ?? 0) * fraction,
      EntryOrder.clientOrderID(run: run, time: decisionTime, symbol: book.symbols[s], kind: "xp")
    )
  }

  /// Both legs go out as two market orders at `send()` (`BybitVenue+Pairs.swift`).
  public func submit(pair: PairOrder) { recordPair(pair) }

  public func send() throws {
    if let history {
      replaySend(history)
      return
    }
    for s in recordedExits.indices {
      guard let reason = recordedExits[s] else { continue }
      recordedExits[s] = nil
      let name = book.symbols[s]
      sendExit(
        s,
        orderLinkId: EntryOrder.clientOrderID(
          run: run, time: decisionTime, symbol: name, kind: "x"),
        reason: reason)
    }
    for s in recordedPartials.indices {
      guard let (fraction, reason) = recordedPartials[s] else { continue }
      recordedPartials[s] = nil
      let (qty, id) = partialOrder(s, fraction: fraction)
      sendPartial(s, qty: qty, orderLinkId: id, reason: reason)
    }
    for s in recordedEntries.indices {
      guard let entry = recordedEntries[s] else { continue }
      recordedEntries[s] = nil
      let name = book.symbols[s]
      let id = entry.clientOrderID(run: run, symbol: name)
      do {
        let instrument = try session.instrument(name)
        let outcome = try transmit(entry, id: id, instrument: instrument)
        sentEntries.append((entry, outcome))
      } catch {
        // Unresolved (the outcome stayed unknown, or a panic close failed): stop trading the
        // symbol; reconciliation will find whatever the exchange holds.
        halted[name] = "\(id): \(error)"
        incidents.incident(
          kind: "entry_failed", symbol: name, detail: "\(id): \(error); trading halted")
      }
    }
    sendPairs()
  }

  /// Places an entry (or an add, which takes the combined stop after its fill) under its id.
  private func transmit(_ entry: EntryOrder, id: String, instrument: BybitInstrument) throws
    -> EntryOutcome
  {
    let i = entry.intent
    let name = book.symbols[i.symbol]
    return i.add
      ? try executor.add(
        symbol: name, side: i.side, qty: entry.qty, stop: i.stop, take: i.take, orderLinkId: id,
        instrument: instrument)
      : try executor.enter(
        symbol: name, side: i.side, qty: entry.qty, stop: i.stop, take: i.take, orderLinkId: id,
        instrument: instrument)
  }

  /// Sends a reduce-only exit under its id; a failure leaves the position under its exchange stop.
  private func sendExit(_ s: Int, orderLinkId id: String, reason: String?) {
    let name = book.symbols[s]
    do {
      let fill = try executor.exit(
        symbol: name, orderLinkId: id, instrument: try session.instrument(name))
      sentExits.append((s, fill, reason))
    } catch {
      incidents.incident(
        kind: "exit_failed", symbol: name,
        detail: "\(id): \(error); the position keeps its exchange stop")
    }
  }

  /// Sends a reduce-only partial close under its id; a failure leaves the whole position under
  /// its exchange stop, with an incident.
  private func sendPartial(_ s: Int, qty: Double, orderLinkId id: String, reason: String?) {
    let name = book.symbols[s]
    do {
      let fill = try executor.reduce(
        symbol: name, qty: qty, orderLinkId: id, instrument: try session.instrument(name))
      sentPartials.append((s, fill, reason))
    } catch {
      incidents.incident(
        kind: "exit_failed", symbol: name,
        detail: "\(id): \(error); the position keeps its exchange stop")
    }
  }

  // MARK: - Resuming

  /// While re-handling: the exit fee that gives the PnL the run booked (`ExactExitFee`).
  func recordedFee(_ s: Int, price: Double, fee: Double, time: Int64) -> Double {
    guard let history, let p = book.positions[s],
      let pnl = history.closes(time).first(where: { $0.symbol == s })?.pnl
    else { return fee }
    return ExactExitFee.find(
      position: p, funding: book.funding[s], price: price, stored: fee, pnl: pnl)
  }

  /// Starts re-handling recorded candles: outcomes come from `history`, nothing is sent.
  public func beginReplay(_ history: LiveHistory) {
    self.history = history
    unresolved.removeAll()
    unresolvedExits.removeAll()
    unresolvedPartials.removeAll()
  }

  /// Ends the re-handling: entries in flight at the crash are resolved by their id (see
  /// `resume`); the next `execute` applies them and reconciles.
  public func finishReplay(lateWindow: Int64) {
    history = nil
    let pending = unresolved
    unresolved.removeAll()
    // An exit is always safe to complete late: reduce-only, found by its id if it went out.
    for (s, id, reason) in unresolvedExits { sendExit(s, orderLinkId: id, reason: reason) }
    unresolvedExits.removeAll()
    // A partial close too: found by its id if it went out, else sent now for the recorded part.
    for (s, id, qty, reason) in unresolvedPartials {
      sendPartial(s, qty: qty, orderLinkId: id, reason: reason)
    }
    unresolvedPartials.removeAll()
    resume(entries: pending, lateWindow: lateWindow)
    resolvePairs(lateWindow: lateWindow)
  }

  /// True between `beginReplay` and `finishReplay`.
  public var isReplaying: Bool { history != nil }

  private func replaySend(_ history: LiveHistory) {
    for s in recordedExits.indices {
      guard let reason = recordedExits[s] else { continue }
      recordedExits[s] = nil
      let id = EntryOrder.clientOrderID(
        run: run, time: decisionTime, symbol: book.symbols[s], kind: "x")
      if let fill = history.fill(id) {
        sentExits.append((s, fill, reason))
      } else {
        unresolvedExits.append((s, id, reason))
      }
    }
    for s in recordedPartials.indices {
      guard let (fraction, reason) = recordedPartials[s] else { continue }
      recordedPartials[s] = nil
      let (qty, id) = partialOrder(s, fraction: fraction)
      if let fill = history.fill(id) {
        sentPartials.append((s, fill, reason))
      } else {
        unresolvedPartials.append((s, id, qty, reason))
      }
    }
    replayPairs(history)
    for s in recordedEntries.indices {
      guard let entry = recordedEntries[s] else { continue }
      recordedEntries[s] = nil
      let id = entry.clientOrderID(run: run, symbol: book.symbols[s])
      guard let fill = history.fill(id) else {
        if let why = history.refusal(id) {
          sentEntries.append((entry, .unfilled(why)))
        } else {
          unresolved.append(entry)
        }
        continue
      }
      let instrument = try? session.instrument(book.symbols[s])
      sentEntries.append(
        (
          entry,
          .protected(
            fill, stop: entry.intent.stop.map { instrument?.roundPrice($0) ?? $0 },
            take: entry.intent.take.map { instrument?.roundPrice($0) ?? $0 })
        ))
    }
  }

  /// After a restart: entries the ledger has no outcome for (in flight at the crash) are looked
  /// up by their id. Found: the fill is awaited and the stop ensured; not found: the order never
  /// left, and it is sent now only while `serverNow < decidedAt + lateWindow` (its candle is
  /// still the current one). Outcomes reach the book at the next `execute`, like any send.
  public func resume(entries: [EntryOrder], lateWindow: Int64) {
    for entry in entries {
      let name = book.symbols[entry.intent.symbol]
      let id = entry.clientOrderID(run: run, symbol: name)
      do {
        let instrument = try session.instrument(name)
        var outcome = try executor.resumeEntry(
          symbol: name, side: entry.intent.side, qty: entry.qty, stop: entry.intent.stop,
          take: entry.intent.take, orderLinkId: id, instrument: instrument)
        let now = executor.api.rest.serverNow()
        if case .unfilled = outcome, lateWindow > 0, now < entry.decidedAt &+ lateWindow {
          outcome = try transmit(entry, id: id, instrument: instrument)
        }
        sentEntries.append((entry, outcome))
      } catch {
        halted[name] = "\(id): \(error)"
        incidents.incident(
          kind: "resume_failed", symbol: name, detail: "\(id): \(error); trading halted")
      }
    }
  }

  public func cancelEntry(symbol: Int) -> Bool {
    guard recordedEntries[symbol] != nil else { return false }
    recordedEntries[symbol] = nil
    return true
  }

  public func cancelPair(long: Int, short: Int) -> Bool {
    let before = pairs.recorded.count
    pairs.recorded.removeAll { $0.intent.long == long && $0.intent.short == short }
    return pairs.recorded.count < before
  }

  public func hasPendingEntry(symbol: Int) -> Bool {
    recordedEntries[symbol] != nil || sentEntries.contains { $0.order.intent.symbol == symbol }
      || pairs.uses(symbol)
  }

  public func hasPendingExit(symbol: Int) -> Bool {
    recordedExits[symbol] != nil || recordedPartials[symbol] != nil
      || sentExits.contains { $0.symbol == symbol }
      || sentPartials.contains { $0.symbol == symbol }
  }

  public func pairBusy(long: Int, short: Int) -> Bool { pairs.uses(long) || pairs.uses(short) }

  public var pendingEntries: Int {
    recordedEntries.reduce(0) { $0 + ($1 == nil ? 0 : 1) } + sentEntries.count + pairs.pendingLegs
  }

  /// A trailing step: pushed to the exchange at once (a refusal keeps the old stop, with an
  /// incident).
  public func stopMoved(symbol: Int, to stop: Double) {
    guard history == nil else { return }  // replaying: reconciliation pushes the final stop
    let name = book.symbols[symbol]
    guard let instrument = try? session.instrument(name) else { return }
    executor.moveStop(symbol: name, to: stop, instrument: instrument)
  }

  /// An emergency flatten: closed at market now, at the exchange's fill price.
  public func closeNow(symbol: Int, price: Double, time: Int64, reason: ExitReason, note: String?) {
    let name = book.symbols[symbol]
    // The ledger records a flatten as this candle's exit order: the same id goes to the exchange.
    let id = EntryOrder.clientOrderID(run: run, time: time, symbol: name, kind: "x")
    if let history {
      let fill = history.fill(id)
      let exit = fill?.price ?? price
      book.close(
        symbol: symbol,
        execution: Execution(
          price: exit, fee: recordedFee(symbol, price: exit, fee: fill?.fee ?? 0, time: time)),
        time: time, reason: reason, note: note)
      return
    }
    do {
      let fill = try executor.exit(
        symbol: name, orderLinkId: id, instrument: try session.instrument(name))
      book.close(
        symbol: symbol, execution: Execution(price: fill?.price ?? price, fee: fill?.fee ?? 0),
        time: time, reason: reason, note: note)
    } catch {
      incidents.incident(
        kind: "flatten_failed", symbol: name,
        detail: "\(id): \(error); the position keeps its exchange stop")
    }
  }
}
