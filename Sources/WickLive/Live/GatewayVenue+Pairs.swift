import Foundation
import WickCore
import WickRisk
import WickSim

/// The live venue's pair entries, from the kernel's `submit(pair:)` to two legs in the book.
struct LivePairs {
  /// Submitted on the candle being handled; `send()` transmits them.
  var recorded: [PairOrder] = []
  /// Transmitted, reaching the book at the next `execute`. A nil outcome: a resumed run's
  /// re-handling, where the ledger's record stands in for the exchange (read at that candle).
  var sent: [(order: PairOrder, outcome: PairOutcome?)] = []
  /// Re-decided while re-handling, with nothing recorded: in flight at the crash.
  var unresolved: [PairOrder] = []
  /// Pairs whose legs both reached the book (pruned once both are closed).
  var open: [(long: Int, short: Int)] = []

  /// A pair entry that uses `symbol` is recorded or in flight.
  func uses(_ symbol: Int) -> Bool {
    recorded.contains { $0.intent.long == symbol || $0.intent.short == symbol }
      || sent.contains { $0.order.intent.long == symbol || $0.order.intent.short == symbol }
      || unresolved.contains { $0.intent.long == symbol || $0.intent.short == symbol }
  }

  var pendingLegs: Int { 2 * (recorded.count + sent.count + unresolved.count) }
}

extension GatewayVenue {
  // MARK: Recording and sending

  /// `submit(pair:)`: recorded for `send()`, unless a leg's symbol is halted or the decision is
  /// stale (both legs are refused then, and nothing is sent).
  func recordPair(_ pair: PairOrder) {
    let i = pair.intent
    for s in [i.long, i.short] {
      if let why = halted[book.symbols[s]] {
        return refusePair(pair, Refusal("symbol_halted", why), time: decisionTime)
      }
    }
    if let stale = staleRefusal(decidedAt: pair.decidedAt) {
      return refusePair(pair, stale, time: decisionTime)
    }
    pairs.recorded.append(pair)
  }

  /// Both legs refused (a leg order row the journal already holds becomes `rejected`).
  func refusePair(_ pair: PairOrder, _ refusal: Refusal, time: Int64) {
    for s in [pair.intent.long, pair.intent.short] {
      book.listener?.venueRefused(refusal, symbol: s, time: time)
    }
  }

  /// The legs of a pair with the ids the journal wrote ahead (`-pl`, `-ps`).
  func legs(of pair: PairOrder) throws -> (long: PairLeg, short: PairLeg) {
    let i = pair.intent
    func leg(_ s: Int, _ side: Side, _ qty: Double, _ role: OrderLinkID.Role) throws -> PairLeg {
      let name = book.symbols[s]
      return PairLeg(
        symbol: name, side: side, qty: qty,
        clientOrderID: EntryOrder.clientOrderID(
          run: run, time: pair.decidedAt, symbol: name, kind: role.rawValue),
        instrument: try instrument(name))
    }
    return (
      try leg(i.long, .long, pair.qtyLong, .pairLong),
      try leg(i.short, .short, pair.qtyShort, .pairShort)
    )
  }

  /// Transmits the recorded pairs (after the journal committed their order rows).
  func sendPairs() {
    for pair in pairs.recorded { transmit(pair, resume: false, sendMissing: true) }
    pairs.recorded.removeAll()
  }

  /// Places (or, resuming, resolves by id) both legs; an unresolvable outcome halts both symbols:
  /// reconciliation then finds whatever the exchange holds, and nothing is adopted.
  private func transmit(_ pair: PairOrder, resume: Bool, sendMissing: Bool) {
    let names = [pair.intent.long, pair.intent.short].map { book.symbols[$0] }
    do {
      let (long, short) = try legs(of: pair)
      let outcome = try executor.enterPair(
        pair, long: long, short: short, resume: resume, sendMissing: sendMissing)
      pairs.sent.append((pair, outcome))
    } catch {
      let why =
        "pair \(names.joined(separator: "/")) decided at \(UTCTime.iso(pair.decidedAt)): \(error)"
      for name in names { halted[name] = why }
      incidents.incident(
        kind: resume ? "resume_failed" : "entry_failed", symbol: names[0],
        detail: "\(why); trading halted on both legs")
    }
  }

  /// While re-handling recorded candles: nothing is sent; a pair the ledger has an answer for is
  /// applied from it at its candle, one without (in flight at the crash) waits for `finishReplay`.
  func replayPairs(_ history: LiveHistory) {
    for pair in pairs.recorded {
      guard let long = try? legs(of: pair).long else { continue }
      if history.fill(long.clientOrderID) == nil && history.refusal(long.clientOrderID) == nil {
        pairs.unresolved.append(pair)
      } else {
        pairs.sent.append((pair, nil))
      }
    }
    pairs.recorded.removeAll()
  }

  /// After re-handling: each pair in flight at the crash is resolved leg by leg by its id. A leg
  /// the exchange never saw is sent only while the pair's candle is current (else a filled first
  /// leg is unwound): the pair ends complete or unwound, never doubled.
  func resolvePairs(lateWindow: Int64) {
    guard !pairs.unresolved.isEmpty else { return }
    let now = gateway.serverNow()
    for pair in pairs.unresolved {
      transmit(
        pair, resume: true, sendMissing: lateWindow > 0 && now < pair.decidedAt &+ lateWindow)
    }
    pairs.unresolved.removeAll()
  }

  // MARK: Into the book

  /// `execute`: what `send()` achieved for each pair reaches the book at `time`.
  func applyPairs(time: Int64, history: LiveHistory?) {
    for (pair, outcome) in pairs.sent {
      if let outcome {
        apply(pair, outcome, time: time)
      } else if let history {
        applyRecorded(pair, history, time: time)
      }
    }
    pairs.sent.removeAll()
  }

  private func openLeg(
    _ s: Int, _ side: Side, _ fill: LiveFill, stop: Double?, tag: String?, time: Int64
  ) {
    book.open(
      symbol: s, side: side, qty: fill.qty, execution: Execution(price: fill.price, fee: fill.fee),
      time: time, intent: OrderIntent(symbol: s, side: side, stop: stop, tag: tag))
  }

  private func closeLeg(_ s: Int, _ exit: LiveFill?, time: Int64, note: String) {
    if let exit { book.listener?.venueClosing(symbol: s, clientOrderID: exit.orderLinkId) }
    book.close(
      symbol: s,
      execution: Execution(price: exit?.price ?? book.lastPrices[s], fee: exit?.fee ?? 0),
      time: time, reason: .risk, note: note)
  }

  private func apply(_ pair: PairOrder, _ outcome: PairOutcome, time: Int64) {
    let i = pair.intent
    switch outcome {
    case .opened(let long, let short):
      openLeg(i.long, .long, long.fill, stop: long.stop, tag: i.tag, time: time)
      openLeg(i.short, .short, short.fill, stop: short.stop, tag: i.tag, time: time)
      pairs.open.append((i.long, i.short))
    case .unfilled(let why):
      refusePair(pair, Refusal("exchange_refused", why), time: time)
    case .unwound(let filled, let exit, let reason):
      openLeg(i.long, .long, filled, stop: nil, tag: i.tag, time: time)
      book.listener?.venueRefused(Refusal("pair_leg_failed", reason), symbol: i.short, time: time)
      closeLeg(i.long, exit, time: time, note: "pair leg failed: \(reason)")
    case .panicClosed(let long, let short, let exits, let reason):
      openLeg(i.long, .long, long, stop: nil, tag: i.tag, time: time)
      openLeg(i.short, .short, short, stop: nil, tag: i.tag, time: time)
      closeLeg(i.long, exits.first ?? nil, time: time, note: "panic close: \(reason)")
      closeLeg(i.short, exits.last ?? nil, time: time, note: "panic close: \(reason)")
    }
  }

  /// The same book changes as `apply`, from the ledger: the legs' recorded fills, the short leg's
  /// recorded refusal, and the closes recorded at this candle (an unwind, a panic close).
  private func applyRecorded(_ pair: PairOrder, _ history: LiveHistory, time: Int64) {
    let i = pair.intent
    guard let pairLegs = try? legs(of: pair) else { return }
    let (long, short) = pairLegs
    guard let longFill = history.fill(long.clientOrderID) else {
      let why = history.refusal(long.clientOrderID) ?? "\(long.clientOrderID) was not filled"
      return refusePair(pair, Refusal("exchange_refused", why), time: time)
    }
    let shortFill = history.fill(short.clientOrderID)
    let stop = { (isLong: Bool, fill: LiveFill, leg: PairLeg) in
      shortFill == nil
        ? nil
        : PairStops.stop(
          order: pair, long: isLong, fillPrice: fill.price, instrument: leg.instrument)
    }
    openLeg(i.long, .long, longFill, stop: stop(true, longFill, long), tag: i.tag, time: time)
    if let shortFill {
      openLeg(
        i.short, .short, shortFill, stop: stop(false, shortFill, short), tag: i.tag, time: time)
      pairs.open.append((i.long, i.short))
    } else {
      let why = history.refusal(short.clientOrderID) ?? "\(short.clientOrderID) was not filled"
      book.listener?.venueRefused(Refusal("pair_leg_failed", why), symbol: i.short, time: time)
    }
    let closes = history.closes(time)
    for s in [i.long, i.short] where book.positions[s] != nil {
      guard let c = closes.first(where: { $0.symbol == s }) else { continue }
      book.close(
        symbol: s,
        execution: Execution(
          price: c.price, fee: recordedFee(s, price: c.price, fee: c.fee, time: time)),
        time: time, reason: c.reason, note: c.note)
    }
  }

  // MARK: Reconciliation

  /// Symbols with a pair leg sent but not yet in the book (reconciliation leaves them alone).
  var pairSymbolsInFlight: Set<String> {
    Set(
      pairs.sent.flatMap { [$0.order.intent.long, $0.order.intent.short] }.map { book.symbols[$0] })
  }

  /// Pairs are reconciled as pairs, before the per-symbol handling of `report`:
  /// - a halt on one leg (unknown position, size or side mismatch) halts the other leg too, with
  ///   a `pair_broken` incident: nothing is adopted, a human decides;
  /// - a leg found flat on the exchange (its stop fired, or reconciliation panic-closed it) takes
  ///   the other leg with it: closed at market under this candle's exit id, `pair_broken` recorded.
  ///   The legs reach the book long leg first, the order they opened in (a replay reads them so).
  /// Handled legs are removed from `report`.
  func reconcilePairs(_ report: inout LiveReconcileReport, time: Int64) {
    pairs.open.removeAll { book.positions[$0.long] == nil && book.positions[$0.short] == nil }
    for (l, s) in pairs.open {
      let names = [book.symbols[l], book.symbols[s]]
      if let halt = names.compactMap({ report.halts[$0] }).first {
        for name in names where halted[name] == nil {
          halted[name] = "pair \(names.joined(separator: "/")): \(halt)"
          report.halts[name] = halted[name]
        }
        incidents.incident(
          kind: LiveIncident.pairBroken, symbol: names[0],
          detail: "pair \(names.joined(separator: "/")): \(halt); both legs halted, nothing adopted"
        )
        continue
      }
      let gone = names.filter {
        report.closedOnExchange.keys.contains($0) || report.panicClosed.contains($0)
      }
      guard !gone.isEmpty else { continue }
      for (k, name) in names.enumerated() {
        let symbol = [l, s][k]
        if let last = report.closedOnExchange[name] {
          closeOnExchange(symbol: symbol, last: last, time: time)
        } else if report.panicClosed.contains(name) {
          closeLeg(symbol, nil, time: time, note: "panic close: the stop could not be restored")
        } else if book.positions[symbol] != nil {
          closePartner(symbol, of: gone, time: time)
        }
        report.closedOnExchange.removeValue(forKey: name)
        report.panicClosed.removeAll { $0 == name }
      }
    }
    pairs.open.removeAll { book.positions[$0.long] == nil && book.positions[$0.short] == nil }
  }

  /// The other leg of a pair whose leg is gone: closed at market now (reduce-only).
  private func closePartner(_ s: Int, of gone: [String], time: Int64) {
    let name = book.symbols[s]
    let id = EntryOrder.clientOrderID(run: run, time: time, symbol: name, kind: "x")
    let why = "pair leg \(gone.joined(separator: "/")) is flat on the exchange"
    do {
      let fill = try executor.exit(
        symbol: name, clientOrderID: id, instrument: try instrument(name))
      closeLeg(s, fill, time: time, note: "\(why): the pair is unwound")
      incidents.incident(
        kind: LiveIncident.pairBroken, symbol: name,
        detail: "\(why); \(name) closed at market (\(id))")
    } catch {
      halted[name] = "\(why); closing \(name) failed: \(error)"
      incidents.incident(
        kind: LiveIncident.pairBroken, symbol: name,
        detail: "\(why); closing \(name) failed, it keeps its exchange stop: \(error)")
    }
  }
}
