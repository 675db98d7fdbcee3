import WickCore
import WickData
import WickSim

/// The kernel's decisions as ledger rows. Each candle time becomes one `RunLedger.Commit`
/// (decisions, order rows with their client order ids, fills, positions, equity, state), written
/// in one transaction by `commit(time:)` — which the kernel calls *before* the venue sends.
///
/// Up to `verifyUntil` the journal only compares: a resumed run re-handles the candles it had
/// already handled (that is how it rebuilds the exact kernel state), and `wick replay` re-handles
/// all of them; each regenerated decision must equal the recorded one, and nothing is written
/// twice. The first mismatch is kept in `divergence`.
public final class LedgerJournal: KernelJournal {
  public let run: Int64
  let ledger: RunLedger?
  let symbols: [String]
  /// Recorded decisions to compare with, for times ≤ `verifyUntil`.
  let recorded: [RunLedger.Decision]
  public var verifyUntil: Int64
  public private(set) var divergence: Divergence?
  public private(set) var decisionCount = 0
  /// Supplies the kernel state persisted with each commit (ctx.state, book, accounts).
  public var stateJSON: ((Int64) -> String)?
  public var equity: (() -> Double)?
  /// The risk layer's event log (kills, breaches, emergency stops), if it keeps one: new events
  /// go to `incidents` and `governor_events` with each commit, as the backtest ledger does.
  public var riskJournal: RiskJournal?
  private var riskEventsSeen = 0
  /// Incidents raised while the current candle was handled (strategy errors, reload failures).
  var pendingIncidents: [RunLedger.Event] = []
  var pendingGovernor: [RunLedger.Event] = []
  /// Where notifications go (LedgerJournal+Notify.swift); nil: none configured.
  public var notifications: NotificationRoutes?
  /// How notifications name the run: `run 12 ma_cross (paper)`.
  public var notifyLabel = ""
  /// Called after a commit that queued notifications (wakes the delivery thread).
  public var onNotify: (() -> Void)?
  var queuedNotifications: [RunLedger.OutboxEntry] = []

  private var batch = RunLedger.Commit()
  private var firstTime: Int64?
  /// Per symbol: client order id of the entry and exit in flight. Kept while re-handling
  /// recorded candles too (only the rows are skipped), so that the first close after a resume
  /// is never booked under an order of the replayed past.
  private var entryIDs: [String?]
  private var exitIDs: [String?]
  /// Per symbol: entry fee and exit side of the open position (for the exit's order and fill rows).
  private var entryFees: [Double]
  private var exitSides: [String]
  private var openQty: [Double]
  /// Per symbol: the side ("buy"/"sell") of the entry in flight, for its cancelled or expired row.
  private var entrySides: [String]

  public struct Divergence: Sendable, Equatable {
    public var seq: Int
    public var time: Int64
    public var expected: String
    public var got: String
  }

  public init(
    run: Int64, ledger: RunLedger?, symbols: [String], recorded: [RunLedger.Decision] = [],
    verifyUntil: Int64 = .min
  ) {
    self.run = run
    self.ledger = ledger
    self.symbols = symbols
    self.recorded = recorded
    self.verifyUntil = verifyUntil
    entryIDs = Array(repeating: nil, count: symbols.count)
    exitIDs = Array(repeating: nil, count: symbols.count)
    entryFees = Array(repeating: 0, count: symbols.count)
    exitSides = Array(repeating: "sell", count: symbols.count)
    openQty = Array(repeating: 0, count: symbols.count)
    entrySides = Array(repeating: "buy", count: symbols.count)
  }

  private func verifying(_ time: Int64) -> Bool { time <= verifyUntil }

  /// Adds a decision (or compares it with the recorded one while verifying).
  func decide(_ time: Int64, _ kind: String, symbol: Int?, _ detail: String) {
    if !verifying(time), let last = recorded.last, decisionCount <= last.seq {
      // Past a resume whose re-handling diverged (made fewer decisions than were recorded): new
      // decisions are numbered after the recorded ones, which stay as they are, rather than
      // colliding with their numbers and stopping the run on the ledger's unique key.
      decisionCount = last.seq + 1
    }
    let d = RunLedger.Decision(
      seq: decisionCount, candleTime: time, kind: kind, symbol: symbol.map { symbols[$0] },
      detailJSON: detail)
    decisionCount += 1
    if verifying(time) {
      guard divergence == nil else { return }
      if d.seq >= recorded.count {
        divergence = Divergence(
          seq: d.seq, time: time, expected: "(no decision)", got: Self.show(d))
      } else if recorded[d.seq] != d {
        divergence = Divergence(
          seq: d.seq, time: time, expected: Self.show(recorded[d.seq]), got: Self.show(d))
      }
    } else {
      batch.decisions.append(d)
    }
  }

  static func show(_ d: RunLedger.Decision) -> String {
    "\(d.kind) \(d.symbol ?? "-") @\(UTCTime.iso(d.candleTime)) \(d.detailJSON)"
  }

  /// Recorded decisions past the last one regenerated (a replay that stopped short).
  public func checkComplete(through time: Int64) {
    guard divergence == nil else { return }
    let remaining = recorded.filter { $0.seq >= decisionCount && $0.candleTime <= time }
    if let d = remaining.first {
      divergence = Divergence(
        seq: d.seq, time: d.candleTime, expected: Self.show(d), got: "(no decision)")
    }
  }

  /// A decision that does not come from the kernel (a hot-reload swap, a set_param).
  public func note(time: Int64, kind: String, detail: String) {
    decide(time, kind, symbol: nil, detail)
  }

  public func incident(time: Int64, kind: String, detail: String, account: String? = nil) {
    guard !verifying(time) else { return }
    pendingIncidents.append(
      RunLedger.Event(time: time, kind: kind, account: account, detail: detail))
  }

  // MARK: KernelJournal

  public func entryDecided(_ intent: OrderIntent, outcome: IntentOutcome, time: Int64) {
    let s = intent.symbol
    switch outcome {
    case .accepted(let qty):
      let id = EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "e")
      entryIDs[s] = id
      entrySides[s] = intent.side == .long ? "buy" : "sell"
      decide(
        time, "intent", symbol: s,
        DecisionJSON.object([
          ("side", .string(intent.side.rawValue)), ("qty", .number(qty)),
          ("stop", intent.stop.map { .number($0) }), ("take", intent.take.map { .number($0) }),
          ("trail", intent.trail.map { .number($0) }), ("tag", intent.tag.map { .string($0) }),
          // Only what a market entry lacks: a market intent's bytes are those of older runs.
          ("limit", intent.limit.map { .number($0) }),
          ("post_only", intent.postOnly ? .bool(true) : nil),
          ("expire", intent.expire.map { .int(Int64($0)) }),
          ("add", intent.add ? .bool(true) : nil),
          ("order", .string(id)),
        ]))
      if !verifying(time) {
        batch.orders.append(
          RunLedger.OrderRow(
            clientOrderID: id, symbol: symbols[s], side: intent.side == .long ? "buy" : "sell",
            type: intent.limit == nil ? "market" : intent.postOnly ? "post_only" : "limit",
            qty: qty, price: intent.limit, status: "submitting", time: time))
      }
    case .refused(let r):
      decide(
        time, "refusal", symbol: s,
        DecisionJSON.object([
          ("side", .string(intent.side.rawValue)), ("code", .string(r.code)),
          ("detail", .string(r.detail)),
        ]))
    }
  }

  public func pairDecided(
    _ pair: PairIntent, outcome: IntentOutcome, qtyShort: Double, time: Int64
  ) {
    switch outcome {
    case .accepted(let qty):
      let legs = [(pair.long, "pl", "buy", qty), (pair.short, "ps", "sell", qtyShort)]
      for (s, kind, side, q) in legs {
        let id = EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: kind)
        entryIDs[s] = id
        if !verifying(time) {
          batch.orders.append(
            RunLedger.OrderRow(
              clientOrderID: id, symbol: symbols[s], side: side, type: "market", qty: q,
              price: nil, status: "submitting", time: time))
        }
      }
      decide(
        time, "intent", symbol: pair.long,
        DecisionJSON.object([
          ("pair_short", .string(symbols[pair.short])), ("hedge", .number(pair.hedge)),
          ("qty", .number(qty)), ("tag", pair.tag.map { .string($0) }),
        ]))
    case .refused(let r):
      decide(
        time, "refusal", symbol: pair.long,
        DecisionJSON.object([
          ("pair_short", .string(symbols[pair.short])), ("code", .string(r.code)),
          ("detail", .string(r.detail)),
        ]))
    }
  }

  public func exitRequested(symbol s: Int, reason: String?, time: Int64) {
    let id = EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "x")
    exitIDs[s] = id
    decide(
      time, "exit", symbol: s,
      DecisionJSON.object([("reason", reason.map { .string($0) }), ("order", .string(id))]))
    if !verifying(time) {
      batch.orders.append(
        RunLedger.OrderRow(
          clientOrderID: id, symbol: symbols[s], side: exitSides[s], type: "market",
          qty: openQty[s],
          price: nil, status: "submitting", time: time, parentClientOrderID: entryIDs[s]))
    }
  }

  public func partialExitRequested(
    symbol s: Int, fraction: Double, reason: String?, time: Int64
  ) {
    let id = EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "xp")
    exitIDs[s] = id
    decide(
      time, "exit", symbol: s,
      DecisionJSON.object([
        ("reason", reason.map { .string($0) }), ("fraction", .number(fraction)),
        ("order", .string(id)),
      ]))
    if !verifying(time) {
      batch.orders.append(
        RunLedger.OrderRow(
          clientOrderID: id, symbol: symbols[s], side: exitSides[s], type: "market",
          qty: openQty[s] * fraction, price: nil, status: "submitting", time: time,
          parentClientOrderID: entryIDs[s]))
    }
  }

  public func entryCancelled(symbol s: Int, time: Int64) {
    decide(
      time, "cancel", symbol: s, DecisionJSON.object([("order", entryIDs[s].map { .string($0) })]))
    guard !verifying(time), let id = entryIDs[s] else { return }
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: entrySides[s], type: "limit", qty: 0,
        price: nil, status: "cancelled", time: time))
    entryIDs[s] = nil
  }

  public func limitOrderEnded(symbol s: Int, status: String, time: Int64) {
    decide(
      time, status, symbol: s, DecisionJSON.object([("order", entryIDs[s].map { .string($0) })]))
    guard !verifying(time), let id = entryIDs[s] else { return }
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: entrySides[s], type: "limit", qty: 0,
        price: nil, status: status, time: time))
    entryIDs[s] = nil
  }

  public func positionIncreased(
    _ p: Position, by fill: Execution, qty: Double, symbol s: Int, time: Int64
  ) {
    decide(
      time, "fill", symbol: s,
      DecisionJSON.object([
        ("leg", .string("add")), ("side", .string(p.side.rawValue)), ("qty", .number(qty)),
        ("price", .number(fill.price)), ("fee", .number(fill.fee)),
        ("position_qty", .number(p.qty)), ("stop", p.stop.map { .number($0) }),
        ("take", p.take.map { .number($0) }),
      ]))
    entryFees[s] = p.entryFees
    openQty[s] = p.qty
    guard !verifying(time) else { return }
    let id =
      entryIDs[s] ?? EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "e")
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: p.side == .long ? "buy" : "sell",
        type: "market", qty: qty, price: fill.price, status: "filled", time: time))
    batch.fills.append(
      RunLedger.FillRow(clientOrderID: id, time: time, price: fill.price, qty: qty, fee: fill.fee))
  }

  public func positionOpened(_ p: Position, symbol s: Int, time: Int64) {
    decide(
      time, "fill", symbol: s,
      DecisionJSON.object([
        ("leg", .string("entry")), ("side", .string(p.side.rawValue)), ("qty", .number(p.qty)),
        ("price", .number(p.entry)), ("fee", .number(p.entryFees)),
      ]))
    entryFees[s] = p.entryFees
    exitSides[s] = p.side == .long ? "sell" : "buy"
    openQty[s] = p.qty
    guard !verifying(time) else { return }
    notifyEntry(p, symbol: symbols[s], time: time)
    let id =
      entryIDs[s] ?? EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "e")
    let side = p.side == .long ? "buy" : "sell"
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: side, type: "market", qty: p.qty,
        price: p.entry, status: "filled", time: time))
    batch.fills.append(
      RunLedger.FillRow(clientOrderID: id, time: time, price: p.entry, qty: p.qty, fee: p.entryFees)
    )
    // The protective stop and take rest at the venue from the fill (seed 001).
    for (kind, level) in [("stop", p.stop), ("take", p.take)] {
      guard let level else { continue }
      batch.orders.append(
        RunLedger.OrderRow(
          clientOrderID: id + "-" + kind, symbol: symbols[s],
          side: p.side == .long ? "sell" : "buy",
          type: kind, qty: p.qty, price: level, status: "open", time: time,
          parentClientOrderID: id))
    }
    batch.positions.append(
      .opened(
        RunLedger.PositionOpen(
          symbol: symbols[s], side: p.side.rawValue, qty: p.qty, entry: p.entry, stop: p.stop,
          take: p.take, time: time)))
  }

  public func positionClosed(_ t: Trade, symbol s: Int, time: Int64) {
    decide(
      time, "fill", symbol: s,
      DecisionJSON.object([
        ("leg", .string("exit")), ("reason", .string(t.exitReason.rawValue)),
        ("qty", .number(t.qty)), ("price", .number(t.exitPrice)), ("pnl", .number(t.pnl)),
        ("partial", t.partial ? .bool(true) : nil),
      ]))
    if t.partial { return partialClosed(t, symbol: s, time: time) }
    defer {
      entryIDs[s] = nil
      exitIDs[s] = nil
    }
    guard !verifying(time) else { return }
    notifyExit(t, symbol: symbols[s], time: time)
    let entry =
      entryIDs[s]
      ?? EntryOrder.clientOrderID(run: run, time: t.entryTime, symbol: symbols[s], kind: "e")
    let side = t.side == .long ? "sell" : "buy"
    let type: String
    let id: String
    switch t.exitReason {
    case .stop, .trail: (type, id) = ("stop", entry + "-stop")
    case .take: (type, id) = ("take", entry + "-take")
    default:
      type = "market"
      id =
        exitIDs[s] ?? EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "x")
    }
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: side, type: type, qty: t.qty,
        price: t.exitPrice, status: "filled", time: time, parentClientOrderID: entry))
    for other in ["stop", "take"] where other != type {
      batch.orders.append(
        RunLedger.OrderRow(
          clientOrderID: entry + "-" + other, symbol: symbols[s], side: side, type: other,
          qty: t.qty, price: nil, status: "cancelled", time: time, parentClientOrderID: entry))
    }
    let exitFee = t.fees - entryFees[s]
    batch.fills.append(
      RunLedger.FillRow(clientOrderID: id, time: time, price: t.exitPrice, qty: t.qty, fee: exitFee)
    )
    batch.positions.append(
      .closed(
        RunLedger.PositionClose(
          symbol: symbols[s], time: time, exitPrice: t.exitPrice, pnl: t.pnl,
          reason: t.exitReason.rawValue)))
  }

  /// A partial close's order and fill rows; the position (and its entry id) stays.
  private func partialClosed(_ t: Trade, symbol s: Int, time: Int64) {
    let share = openQty[s] > 0 ? t.qty / openQty[s] : 0
    let exitFee = t.fees - entryFees[s] * share
    entryFees[s] -= entryFees[s] * share
    openQty[s] -= t.qty
    defer { exitIDs[s] = nil }
    guard !verifying(time) else { return }
    let id =
      exitIDs[s] ?? EntryOrder.clientOrderID(run: run, time: time, symbol: symbols[s], kind: "xp")
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: t.side == .long ? "sell" : "buy",
        type: "market", qty: t.qty, price: t.exitPrice, status: "filled", time: time,
        parentClientOrderID: entryIDs[s]))
    batch.fills.append(
      RunLedger.FillRow(clientOrderID: id, time: time, price: t.exitPrice, qty: t.qty, fee: exitFee)
    )
  }

  public func venueClosing(symbol s: Int, clientOrderID: String) {
    exitIDs[s] = clientOrderID
  }

  public func venueRefused(_ r: Refusal, symbol: Int?, time: Int64) {
    decide(
      time, "refusal", symbol: symbol,
      DecisionJSON.object([
        ("code", .string(r.code)), ("detail", .string(r.detail)), ("at", .string("venue")),
      ]))
    guard let s = symbol, let id = entryIDs[s] else { return }
    entryIDs[s] = nil
    guard !verifying(time) else { return }
    batch.orders.append(
      RunLedger.OrderRow(
        clientOrderID: id, symbol: symbols[s], side: "buy", type: "market", qty: 0, price: nil,
        status: "rejected", time: time))
  }

  public func commit(time: Int64) throws {
    if firstTime == nil { firstTime = time }
    try write(time: time, lastCandle: time, handled: true)
  }

  /// Commits a clean end's booking of the last send (`Runner.bookLastSend`), decided at `time`
  /// (the next candle's open), with the state after it: the run's last candle stays `lastCandle`,
  /// and no equity point is added (the next candle's commit adds it).
  public func commitSettled(time: Int64, lastCandle: Int64) throws {
    try write(time: time, lastCandle: lastCandle, handled: false)
  }

  /// One transaction of what was decided at `time`, with the state as of `lastCandle`.
  /// `handled`: `lastCandle` was handled just now (it adds an equity point and becomes the
  /// run's last candle); false for a booking after it.
  private func write(time: Int64, lastCandle: Int64, handled: Bool) throws {
    let risk = newRiskEvents()
    guard !verifying(time), let ledger else {
      batch = RunLedger.Commit()
      return
    }
    for e in risk where e.kind != .refusal {
      let event = RunLedger.Event(
        time: e.time, kind: e.kind.rawValue, account: e.account, detail: e.detail)
      if e.kind == .breach || e.kind == .reset {
        pendingGovernor.append(event)
      } else {
        pendingIncidents.append(event)
      }
    }
    notifyIncidents(pendingIncidents)
    batch.incidents += pendingIncidents
    batch.governorEvents += pendingGovernor
    pendingIncidents = []
    pendingGovernor = []
    let notified = takeNotifications(into: &batch)
    if handled, let equity { batch.equity = (lastCandle, equity()) }
    batch.stateJSON = stateJSON?(lastCandle) ?? "{}"
    batch.lastTime = handled ? lastCandle : nil
    batch.firstTime = firstTime
    try ledger.commit(run: run, batch)
    batch = RunLedger.Commit()
    if notified { onNotify?() }
  }

  private func newRiskEvents() -> ArraySlice<RiskEvent> {
    guard let all = riskJournal?.events, all.count > riskEventsSeen else { return [] }
    defer { riskEventsSeen = all.count }
    return all[riskEventsSeen...]
  }

  /// Writes what was noted between candles with the state as it is now at `time`: a control
  /// that changed what `state_json` shows (an account reset) is on the dashboard at once.
  public func commitNotes(stateAt time: Int64) throws {
    if ledger != nil { batch.stateJSON = stateJSON?(time) }
    try flushPending()
  }

  /// Writes incidents raised outside a candle (a command, a shutdown) right away.
  public func flushIncidents() throws { try flushPending() }

  /// Writes what was noted between candles (decisions, order rows, incidents) right away.
  func flushPending() throws {
    guard let ledger else {
      batch = RunLedger.Commit()
      return
    }
    notifyIncidents(pendingIncidents)
    batch.incidents += pendingIncidents
    batch.governorEvents += pendingGovernor
    pendingIncidents = []
    pendingGovernor = []
    let notified = takeNotifications(into: &batch)
    guard !batch.isEmpty else { return }
    try ledger.commit(run: run, batch)
    batch = RunLedger.Commit()
    if notified { onNotify?() }
  }
}
