import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

/// The kernel's live venue on any exchange that speaks `LiveGateway`: the `Venue` calls become
/// idempotent orders through `LiveExecutor`, reconciliation follows `LiveReconciler`'s rules,
/// and the account (wallet drift, funding) is checked at each candle (`LiveAccountState`).
/// An adapter module supplies the gateway and registers a `LiveExchange` that builds this.
///
/// Per candle time `t`, in the kernel's order:
/// - `execute(t)` applies what `send()` achieved after the previous candle (entries filled and
///   protected, panic closes, exits, refusals), then reconciles with the exchange.
/// - `submit(...)` only records; the journal commits the order rows (write-ahead); then `send()`
///   transmits each order under its client order id, so a retry or restart never places two.
///
/// Partial closes and adds (`GatewayVenue+Partials.swift`) and pair entries
/// (`GatewayVenue+Pairs.swift`) go the same way, on every exchange.
public final class GatewayVenue: Venue, LiveVenue {
  public let gateway: LiveGateway
  public let executor: LiveExecutor
  public let reconciler: LiveReconciler
  public let instruments: [String: InstrumentSpec]
  public private(set) var run: Int64
  public var reconcileInterval: TimeInterval = 30
  var book: Book!
  var decisionTime: Int64 = 0
  var recordedEntries: [EntryOrder?] = []
  var recordedExits: [String??] = []
  private var sentEntries: [(order: EntryOrder, outcome: EntryOutcome)] = []
  /// Resting limit entries (GatewayVenue+Resting.swift).
  var resting = RestingEntries()
  private var sentExits: [(symbol: Int, fill: LiveFill?, reason: String?)] = []
  /// Symbols reconciliation halted: no new entries until a human looks.
  public internal(set) var halted: [String: String] = [:]
  let incidents: LiveIncidentSink
  var history: LiveHistory?
  private var unresolved: [EntryOrder] = []
  /// Sent on the candle just handled with no known outcome (the executor gave up: a timeout, an
  /// error): a clean end asks the exchange again by client order id (`settleSent`).
  private var unknownExits: [(symbol: Int, id: String, reason: String?)] = []
  private var unknownEntries: [EntryOrder] = []
  private var unresolvedExits: [(symbol: Int, id: String, reason: String?)] = []
  private var deferred: [LiveReconcileReport] = []
  /// Partial closes: recorded, sent, in flight at a crash (`GatewayVenue+Partials.swift`).
  var partials = LivePartials()
  /// Pair entries: recorded, sent, in flight at a crash, open (`GatewayVenue+Pairs.swift`).
  var pairs = LivePairs()
  private var lastReconcile: Date?
  /// The inbox's stale marks already answered by a reconciliation.
  private var handledMarks = 0
  var account = LiveAccountState()
  /// Candle length (ms) for refusing stale entries; nil: no check.
  public let timeframe: Int64?
  /// Stops the adapter's streams.
  private let onClose: () -> Void

  public init(
    gateway: LiveGateway, instruments: [String: InstrumentSpec], run: Int64,
    incidents: LiveIncidentSink, timing: ExecutionTiming = ExecutionTiming(),
    timeframe: Int64? = nil, onClose: @escaping () -> Void = {}
  ) {
    self.gateway = gateway
    self.instruments = instruments
    self.run = run
    self.incidents = incidents
    self.timeframe = timeframe
    self.onClose = onClose
    executor = LiveExecutor(gateway: gateway, incidents: incidents, timing: timing)
    reconciler = LiveReconciler(executor: executor, run: run)
  }

  public func bind(run: Int64, incidents forward: @escaping (String, String?, String) -> Void) {
    self.run = run
    reconciler.run = run
    (incidents as? IncidentForwarder)?.connect(forward)
  }

  public var instrumentRules: [String: InstrumentSpec] { instruments }
  /// Partial closes and adds on every exchange; resting limits where the gateway takes them.
  public var capabilities: VenueCapabilities {
    Self.sharedCapabilities.union(restingCapabilities)
  }
  public var accountName: String { gateway.accountName }

  public func walletEquity() throws -> Double {
    let wallet = try gateway.wallet()
    account.wallet = wallet
    return wallet.equity
  }

  public func orderState(clientOrderID: String, symbol: String) throws -> LiveOrderState {
    try gateway.order(clientOrderID: clientOrderID, symbol: symbol)?.state ?? .notSent
  }

  public func close() { onClose() }

  func instrument(_ symbol: String) throws -> InstrumentSpec {
    guard let i = instruments[symbol] else {
      throw WickError.invalidArgument("\(symbol) is not one of this run's symbols")
    }
    return i
  }

  public func attach(book: Book) {
    self.book = book
    recordedEntries = Array(repeating: nil, count: book.symbols.count)
    recordedExits = Array(repeating: nil, count: book.symbols.count)
    partials.recorded = Array(repeating: nil, count: book.symbols.count)
    resting.reset(symbols: book.symbols.count)
  }

  public func beginSlice(time: Int64) {
    account.bookFunding(
      time: time, book: book, history: history, source: gateway, incidents: incidents)
  }

  public func execute(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    decisionTime = time
    // Past the candle that sent them: halts and reconciliation deal with them from here.
    unknownExits.removeAll()
    unknownEntries.removeAll()
    bookSent(time: time)
    executeResting(slice: slice, time: time)
    if let history {
      // What the exchange did at this candle back then (stops, takes), not what it shows now.
      for c in history.closes(time) where book.positions[c.symbol] != nil {
        book.close(
          symbol: c.symbol,
          execution: Execution(
            price: c.price, fee: recordedFee(c.symbol, price: c.price, fee: c.fee, time: time)),
          time: time, reason: c.reason, note: c.note)
      }
      LiveAccountState.applyRecordedWallet(time: time, book: book, history: history)
      return
    }
    for report in deferred { apply(report, time: time) }
    deferred.removeAll()
    reconcile(time: time, force: true)
    account.check(time: time, book: book, source: gateway, incidents: incidents)
  }

  public var hasUnbookedSends: Bool {
    !sentExits.isEmpty || !sentEntries.isEmpty || !partials.sent.isEmpty || !pairs.sent.isEmpty
      || !unknownExits.isEmpty || !unknownEntries.isEmpty
  }

  /// A clean end books what the last send produced at `time`, as the next `execute` would have,
  /// after asking again about what it sent without learning the outcome.
  public func settleSent(time: Int64) {
    if history == nil { askAgain() }
    bookSent(time: time)
  }

  /// The last candle's orders whose outcome stayed unknown, looked up by client order id as a
  /// restart does: an exit found filled is booked, one the exchange never got is sent now
  /// (reduce-only: the decision stands, and its id cannot place a second order); an entry found
  /// is protected and booked, one that never arrived is refused, never sent late.
  private func askAgain() {
    let exits = unknownExits
    let entries = unknownEntries
    unknownExits.removeAll()
    unknownEntries.removeAll()
    for (s, id, reason) in exits { sendExit(s, id: id, reason: reason) }
    resume(entries: entries, lateWindow: 0)
  }

  /// What `send()` achieved after the previous candle, into the book at `time`: exits, partial
  /// closes, entries (filled and protected, panic closed, refused), pairs.
  private func bookSent(time: Int64) {
    for (symbol, fill, reason) in sentExits {
      guard let fill else { continue }  // already flat: reconciliation below finds the close
      book.close(
        symbol: symbol,
        execution: Execution(
          price: fill.price, fee: recordedFee(symbol, price: fill.price, fee: fill.fee, time: time)),
        time: time, reason: reason?.hasPrefix("risk") == true ? .risk : .signal, note: reason)
    }
    sentExits.removeAll()
    applyPartials(time: time)
    for (order, outcome) in sentEntries { apply(order, outcome, time: time) }
    sentEntries.removeAll()
    applyPairs(time: time, history: history)
  }

  func apply(_ order: EntryOrder, _ outcome: EntryOutcome, time: Int64) {
    let s = order.intent.symbol
    switch outcome {
    case .protected(let fill, let stop, let take):
      var intent = order.intent
      intent.stop = stop
      intent.take = take
      fillEntry(intent, fill: fill, time: time)
    case .panicClosed(let fill, let exit, let reason):
      fillEntry(order.intent, fill: fill, time: time)
      book.listener?.venueClosing(symbol: s, clientOrderID: exit.orderLinkId)
      book.close(
        symbol: s, execution: Execution(price: exit.price, fee: exit.fee), time: time,
        reason: .risk, note: "panic close: \(reason)")
    case .unfilled(let reason):
      book.listener?.venueRefused(Refusal("exchange_refused", reason), symbol: s, time: time)
    }
  }

  // MARK: - Reconciliation

  /// Reconciles now (`force`) or when `reconcileInterval` has passed. `time` nil: between
  /// candles (closes wait for the next `execute`, so the book changes only at a candle).
  public func reconcile(time: Int64?, force: Bool = false) {
    guard history == nil else { return }
    if !force, let last = lastReconcile, Date().timeIntervalSince(last) < reconcileInterval {
      return
    }
    // A symbol with an order sent but not yet in the book would look like a stranger's position.
    var busy = Set(sentEntries.map { book.symbols[$0.order.intent.symbol] })
    busy.formUnion(sentExits.map { book.symbols[$0.symbol] })
    busy.formUnion(partials.sent.map { book.symbols[$0.symbol] })
    busy.formUnion(pairSymbolsInFlight)
    busy.formUnion(restingBusy)
    lastReconcile = Date()
    do {
      let report = try reconciler.reconcile(
        local: localPositions(), symbols: book.symbols.filter { !busy.contains($0) },
        instruments: instruments)
      reconcileResting(symbols: book.symbols)
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

  public func heartbeat() {
    guard history == nil else { return }
    let marks = gateway.inbox.staleMarks
    let alerted = marks != handledMarks
    handledMarks = marks
    checkResting(poll: alerted)
    reconcile(time: nil, force: alerted)
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

  private func apply(_ found: LiveReconcileReport, time: Int64) {
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
  func closeOnExchange(symbol s: Int, last: LiveFill?, time: Int64) {
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

  // MARK: - Orders

  /// A decision meant for an open that is long gone is not sent at today's price.
  func staleRefusal(decidedAt: Int64) -> Refusal? {
    guard history == nil, let tf = timeframe else { return nil }
    guard gateway.serverNow() >= decidedAt + 2 * tf else { return nil }
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
    partials.recorded[symbol] = nil  // a full exit wins
  }

  /// Both legs go out as two market orders at `send()` (`GatewayVenue+Pairs.swift`).
  public func submit(pair: PairOrder) { recordPair(pair) }

  public func send() throws {
    if let history {
      replaySend(history)
      return
    }
    for s in recordedExits.indices {
      guard let reason = recordedExits[s] else { continue }
      recordedExits[s] = nil
      sendExit(
        s,
        id: EntryOrder.clientOrderID(
          run: run, time: decisionTime, symbol: book.symbols[s], kind: "x"), reason: reason)
    }
    sendPartials()
    for s in recordedEntries.indices {
      guard let entry = recordedEntries[s] else { continue }
      recordedEntries[s] = nil
      let name = book.symbols[s]
      let id = entry.clientOrderID(run: run, symbol: name)
      if entry.intent.limit != nil {
        sendResting(entry, id: id)
        continue
      }
      do {
        let outcome = try executor.enter(
          symbol: name, side: entry.intent.side, qty: entry.qty, stop: entry.intent.stop,
          take: entry.intent.take, clientOrderID: id, instrument: try instrument(name),
          add: entry.intent.add)
        sentEntries.append((entry, outcome))
      } catch {
        // Unresolved (the outcome stayed unknown, or a panic close failed): stop trading the
        // symbol; reconciliation will find whatever the exchange holds.
        halted[name] = "\(id): \(error)"
        unknownEntries.append(entry)
        incidents.incident(
          kind: "entry_failed", symbol: name, detail: "\(id): \(error); trading halted")
      }
    }
    sendPairs()
  }

  /// Sends a reduce-only exit under its id; a failure leaves the position under its stop.
  private func sendExit(_ s: Int, id: String, reason: String?) {
    let name = book.symbols[s]
    do {
      let fill = try executor.exit(
        symbol: name, clientOrderID: id, instrument: try instrument(name))
      sentExits.append((s, fill, reason))
    } catch {
      unknownExits.append((s, id, reason))
      incidents.incident(
        kind: "exit_failed", symbol: name,
        detail: "\(id): \(error); the position keeps its exchange stop")
    }
  }

  // MARK: - Resuming

  func recordedFee(_ s: Int, price: Double, fee: Double, time: Int64) -> Double {
    guard let history, let p = book.positions[s],
      let pnl = history.closes(time).first(where: { $0.symbol == s })?.pnl
    else { return fee }
    return ExactExitFee.find(
      position: p, funding: book.funding[s], price: price, stored: fee, pnl: pnl)
  }

  public func beginReplay(_ history: LiveHistory) {
    self.history = history
    unresolved.removeAll()
    unresolvedExits.removeAll()
    partials.unresolved.removeAll()
  }

  public func finishReplay(lateWindow: Int64) {
    history = nil
    let pending = unresolved
    unresolved.removeAll()
    // An exit is always safe to complete late: reduce-only, found by its id if it went out.
    for (s, id, reason) in unresolvedExits { sendExit(s, id: id, reason: reason) }
    unresolvedExits.removeAll()
    finishPartials()
    resume(entries: pending, lateWindow: lateWindow)
    resolvePairs(lateWindow: lateWindow)
    resumeResting(lateWindow: lateWindow)
  }

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
    replayPartials(history)
    replayPairs(history)
    for s in recordedEntries.indices {
      guard let entry = recordedEntries[s] else { continue }
      recordedEntries[s] = nil
      let id = entry.clientOrderID(run: run, symbol: book.symbols[s])
      if entry.intent.limit != nil {
        replayResting(entry, id: id, history: history)
        continue
      }
      guard let fill = history.fill(id) else {
        if let why = history.refusal(id) {
          sentEntries.append((entry, .unfilled(why)))
        } else {
          unresolved.append(entry)
        }
        continue
      }
      let rules = instruments[book.symbols[s]]
      sentEntries.append(
        (
          entry,
          .protected(
            fill, stop: entry.intent.stop.map { rules?.roundPrice($0) ?? $0 },
            take: entry.intent.take.map { rules?.roundPrice($0) ?? $0 })
        ))
    }
  }

  /// After a restart: entries in flight at the crash are looked up by their id. Found: the fill
  /// is awaited and the stop ensured; not found: it never left, and is sent now only while its
  /// candle is still the current one (`serverNow < decidedAt + lateWindow`).
  public func resume(entries: [EntryOrder], lateWindow: Int64) {
    for entry in entries {
      let name = book.symbols[entry.intent.symbol]
      let id = entry.clientOrderID(run: run, symbol: name)
      do {
        let rules = try instrument(name)
        var outcome = try executor.resumeEntry(
          symbol: name, side: entry.intent.side, qty: entry.qty, stop: entry.intent.stop,
          take: entry.intent.take, clientOrderID: id, instrument: rules)
        if case .unfilled = outcome, lateWindow > 0,
          gateway.serverNow() < entry.decidedAt &+ lateWindow
        {
          outcome = try executor.enter(
            symbol: name, side: entry.intent.side, qty: entry.qty, stop: entry.intent.stop,
            take: entry.intent.take, clientOrderID: id, instrument: rules, add: entry.intent.add)
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
    guard recordedEntries[symbol] != nil else { return cancelResting(symbol: symbol) }
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
      || pairs.uses(symbol) || hasRestingEntry(symbol: symbol)
  }

  public func hasPendingExit(symbol: Int) -> Bool {
    recordedExits[symbol] != nil || partials.recorded[symbol] != nil
      || sentExits.contains { $0.symbol == symbol }
      || partials.sent.contains { $0.symbol == symbol }
  }

  public func pairBusy(long: Int, short: Int) -> Bool { pairs.uses(long) || pairs.uses(short) }

  public var pendingEntries: Int {
    recordedEntries.reduce(0) { $0 + ($1 == nil ? 0 : 1) } + sentEntries.count
      + pairs.pendingLegs + restingPending
  }

  /// A trailing step: pushed to the exchange at once under this candle's id.
  public func stopMoved(symbol: Int, to stop: Double) {
    guard history == nil else { return }  // replaying: reconciliation pushes the final stop
    let name = book.symbols[symbol]
    guard let rules = instruments[name] else { return }
    executor.moveStop(
      symbol: name, to: stop,
      clientID: EntryOrder.clientOrderID(run: run, time: decisionTime, symbol: name, kind: "m"),
      instrument: rules)
  }

  /// An emergency flatten: closed at market now, at the exchange's fill price.
  public func closeNow(symbol: Int, price: Double, time: Int64, reason: ExitReason, note: String?) {
    let name = book.symbols[symbol]
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
        symbol: name, clientOrderID: id, instrument: try instrument(name))
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
