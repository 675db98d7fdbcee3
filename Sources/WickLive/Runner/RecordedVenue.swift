import Foundation
import WickCore
import WickData
import WickSim

/// The venue of `wick replay` for a **live** run: the exchange's answers come from the ledger.
/// A simulated fill would differ from the exchange's, so instead every venue event the run
/// recorded — a fill (entry or exit, with the exchange's price and fee), a venue refusal, a
/// funding settlement or a wallet adjustment — is
/// applied to the book exactly where the record has it: whenever the next recorded decision is
/// the venue's, at a candle, an order's submission or a flatten. What is left to compare is
/// everything Wick decided itself (intents, risk refusals, exits) on the exchange's fills: any
/// difference is the first divergence.
///
/// Pending orders count as the live venue counts them (sent until the next candle), so the
/// kernel's "entry pending" and position-limit answers are the live ones.
public final class RecordedVenue: Venue {
  private let recorded: [RunLedger.Decision]
  /// Exit fees by symbol and close time (decisions record the exit's price and PnL, not its fee).
  private let exitFees: [String: Double]
  /// Stop and take of each position as the ledger opened it, by symbol and open time.
  private let levels: [String: (stop: Double?, take: Double?)]
  /// The index of the next decision the journal will compare (its running count).
  private let next: () -> Int
  private var book: Book!
  private var recordedEntries: Set<Int> = []
  private var sentEntries: Set<Int> = []
  private var pendingExits: Set<Int> = []
  private var recordedPairs: [(long: Int, short: Int)] = []
  private var sentPairs: [(long: Int, short: Int)] = []
  /// Resting limit entries by symbol, with the candles they may still rest, until the record
  /// shows how they ended (a fill, a venue refusal, an expiry, a cancel).
  private var resting: [Int: (order: EntryOrder, left: Int?)] = [:]
  /// What the run's exchange adapter executed (`LiveExchange.capabilities`).
  public let capabilities: VenueCapabilities

  /// `recorded`: the run's decisions, as the ledger lists them.
  public init(
    ledger: RunLedger, run: Int64, recorded: [RunLedger.Decision],
    capabilities: VenueCapabilities = [], next: @escaping () -> Int
  ) throws {
    self.recorded = recorded
    self.capabilities = capabilities
    var fees: [String: Double] = [:]
    for c in try ledger.recordedCloses(run: run) { fees["\(c.symbol)@\(c.time)"] = c.fee }
    exitFees = fees
    var levels: [String: (stop: Double?, take: Double?)] = [:]
    for p in try ledger.recordedOpens(run: run) {
      levels["\(p.symbol)@\(p.time)"] = (p.stop, p.take)
    }
    self.levels = levels
    self.next = next
  }

  public func attach(book: Book) { self.book = book }
  /// The exchange's funding settlements the run booked at this candle (before anything else).
  public func beginSlice(time: Int64) { emitRecorded(time: time) }

  public func execute(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    emitRecorded(time: time)
    if !resting.isEmpty {
      // The live venue counted each candle of the symbol against `expire` after booking fills.
      for c in slice {
        guard let r = resting[c.symbol], let left = r.left, left > 1 else { continue }
        resting[c.symbol]!.left = left - 1
      }
    }
    sentEntries.removeAll()
    sentPairs.removeAll()
    pendingExits.removeAll()
  }

  public var hasUnbookedSends: Bool {
    !sentEntries.isEmpty || !sentPairs.isEmpty || !pendingExits.isEmpty
  }

  /// The run's clean end booked its last send at `time`: the record has those bookings there.
  public func settleSent(time: Int64) {
    emitRecorded(time: time)
    sentEntries.removeAll()
    sentPairs.removeAll()
    pendingExits.removeAll()
  }

  public func submit(entry: EntryOrder) {
    emitRecorded(time: entry.decidedAt)
    recordedEntries.insert(entry.intent.symbol)
    if entry.intent.limit != nil {
      resting[entry.intent.symbol] = (entry, entry.intent.expire)
    }
  }
  public func submit(exit symbol: Int, reason: String?) { pendingExits.insert(symbol) }
  public func submit(partialExit symbol: Int, fraction: Double, reason: String?) {
    pendingExits.insert(symbol)
  }
  public func submit(pair: PairOrder) {
    emitRecorded(time: pair.decidedAt)
    recordedPairs.append((pair.intent.long, pair.intent.short))
  }
  public func send() {
    sentEntries.formUnion(recordedEntries)
    recordedEntries.removeAll()
    sentPairs += recordedPairs
    recordedPairs.removeAll()
  }

  public func cancelEntry(symbol: Int) -> Bool {
    if recordedEntries.remove(symbol) != nil {
      resting[symbol] = nil
      return true
    }
    // A resting entry: the live cancel (ctx:cancel, or a flatten's) lost only to a fill, which
    // the record books before the symbol's next cancel, exit, expiry, venue refusal or intent.
    guard resting[symbol] != nil else { return false }
    let name = book.symbols[symbol]
    for d in recorded[min(next(), recorded.count)...] where d.symbol == name {
      if d.kind == "fill" {
        if d.detailJSON.contains("\"leg\":\"entry\"") { return false }
        continue
      }
      if d.kind == "refusal" && !d.detailJSON.contains("\"at\":\"venue\"") { continue }
      if ["cancel", "exit", "expired", "refusal", "intent"].contains(d.kind) { break }
    }
    resting[symbol] = nil
    return true
  }

  public func restingOrder(symbol: Int) -> RestingOrder? {
    guard let (order, left) = resting[symbol] else { return nil }
    return RestingOrder(symbol: symbol, order: order, candlesLeft: left)
  }
  public func cancelPair(long: Int, short: Int) -> Bool {
    let before = recordedPairs.count
    recordedPairs.removeAll { $0.long == long && $0.short == short }
    return recordedPairs.count < before
  }
  public func hasPendingEntry(symbol: Int) -> Bool {
    recordedEntries.contains(symbol) || sentEntries.contains(symbol) || pairUses(symbol)
      || resting[symbol] != nil
  }
  public func hasPendingExit(symbol: Int) -> Bool { pendingExits.contains(symbol) }
  public func pairBusy(long: Int, short: Int) -> Bool { pairUses(long) || pairUses(short) }
  public var pendingEntries: Int {
    recordedEntries.count + sentEntries.count + 2 * (recordedPairs.count + sentPairs.count)
      + resting.values.filter {
        !$0.order.intent.add && !sentEntries.contains($0.order.intent.symbol)
          && !recordedEntries.contains($0.order.intent.symbol)
      }.count
  }
  public func stopMoved(symbol: Int, to stop: Double) {}
  public func closeNow(symbol: Int, price: Double, time: Int64, reason: ExitReason, note: String?) {
    emitRecorded(time: time)
  }

  private func pairUses(_ s: Int) -> Bool {
    (recordedPairs + sentPairs).contains { $0.long == s || $0.short == s }
  }

  // MARK: The record

  /// Applies recorded venue events at `time` for as long as the record's next decision is one.
  private func emitRecorded(time: Int64) {
    while true {
      let k = next()
      guard k < recorded.count, recorded[k].candleTime == time, apply(recorded[k]),
        next() > k
      else { return }
    }
  }

  /// Applies one recorded decision if it is the venue's (a fill, a venue refusal).
  private func apply(_ d: RunLedger.Decision) -> Bool {
    if let applied = applyAccount(d) { return applied }
    if d.kind == "expired", let name = d.symbol, let s = book.symbols.firstIndex(of: name),
      resting.removeValue(forKey: s) != nil
    {
      book.countLimitOrder(expired: 1)
      book.listener?.limitOrderEnded(symbol: s, status: "expired", time: d.candleTime)
      return true
    }
    // Only fills and refusals are the venue's: any other decision is not parsed.
    guard d.kind == "fill" || d.kind == "refusal",
      let name = d.symbol, let s = book.symbols.firstIndex(of: name),
      let o = try? JSONSerialization.jsonObject(with: Data(d.detailJSON.utf8)) as? [String: Any]
    else { return false }
    let number = { (key: String) in Self.number(key, in: d.detailJSON) ?? 0 }
    switch d.kind {
    case "fill" where o["leg"] as? String == "entry":
      let side: Side = o["side"] as? String == Side.short.rawValue ? .short : .long
      let (trail, tag) = intentExtras(symbol: name, before: d.seq)
      let level = levels["\(name)@\(d.candleTime)"]
      let limit = resting.removeValue(forKey: s)?.order.intent
      book.open(
        symbol: s, side: side, qty: number("qty"),
        execution: Execution(price: number("price"), fee: number("fee")), time: d.candleTime,
        intent: OrderIntent(
          symbol: s, side: side, stop: level?.stop ?? nil, take: level?.take ?? nil, trail: trail,
          tag: tag, limit: limit?.limit, postOnly: limit?.postOnly ?? false))
      sentEntries.remove(s)
    case "fill" where o["leg"] as? String == "add":
      let side: Side = o["side"] as? String == Side.short.rawValue ? .short : .long
      book.add(
        symbol: s, qty: number("qty"),
        execution: Execution(price: number("price"), fee: number("fee")), time: d.candleTime,
        intent: OrderIntent(
          symbol: s, side: side, stop: Self.number("stop", in: d.detailJSON),
          take: Self.number("take", in: d.detailJSON), add: true))
      sentEntries.remove(s)
    case "fill" where o["partial"] as? Bool == true:
      guard let p = book.positions[s], let pnl = Self.number("pnl", in: d.detailJSON) else {
        return false
      }
      let qty = number("qty")
      let price = number("price")
      book.closePart(
        symbol: s, qty: qty,
        execution: Execution(
          price: price,
          fee: ExactExitFee.findPartial(
            position: p, qty: qty, funding: book.funding[s], price: price, pnl: pnl)),
        time: d.candleTime, reason: ExitReason(rawValue: o["reason"] as? String ?? "") ?? .signal,
        note: nil)
    case "fill":
      let price = number("price")
      let fee = exitFee(
        symbol: s, price: price, stored: exitFees["\(name)@\(d.candleTime)"] ?? 0,
        pnl: Self.number("pnl", in: d.detailJSON))
      book.close(
        symbol: s, execution: Execution(price: price, fee: fee),
        time: d.candleTime, reason: ExitReason(rawValue: o["reason"] as? String ?? "") ?? .signal,
        note: nil)
    case "refusal" where o["at"] as? String == "venue":
      resting[s] = nil
      book.listener?.venueRefused(
        Refusal(o["code"] as? String ?? "", o["detail"] as? String ?? ""), symbol: s,
        time: d.candleTime)
    default:
      return false
    }
    return true
  }

  /// A recorded account decision: a funding settlement or a wallet adjustment, at the amount the
  /// run booked. nil: not one.
  private func applyAccount(_ d: RunLedger.Decision) -> Bool? {
    switch d.kind {
    case "funding":
      guard let charge = try? FundingCharge(d), let s = book.symbols.firstIndex(of: charge.symbol)
      else { return false }
      book.applyFunding(symbol: s, amount: charge.amount)
      book.listener?.fundingApplied(
        symbol: s, settlement: charge.settlement, amount: charge.amount, time: d.candleTime)
      return true
    case "wallet":
      guard let amount = Self.number("amount", in: d.detailJSON),
        let o = try? JSONSerialization.jsonObject(with: Data(d.detailJSON.utf8)) as? [String: Any],
        let detail = o["detail"] as? String
      else { return false }
      book.adjustCash(by: amount, detail: detail, time: d.candleTime)
      return true
    default:
      return nil
    }
  }

  /// The exit's fee, exact (`ExactExitFee`).
  private func exitFee(symbol s: Int, price: Double, stored: Double, pnl: Double?) -> Double {
    guard let pnl, let p = book.positions[s] else { return stored }
    return ExactExitFee.find(
      position: p, funding: book.funding[s], price: price, stored: stored, pnl: pnl)
  }

  /// A number of a decision's JSON read from its text with `Double(_:)`, which gives back
  /// exactly the double that was written (Foundation's JSON parser may be off in the last bit).
  static func number(_ key: String, in json: String) -> Double? {
    guard let start = json.range(of: "\"\(key)\":")?.upperBound else { return nil }
    let rest = json[start...]
    let end = rest.firstIndex { $0 == "," || $0 == "}" } ?? rest.endIndex
    return Double(rest[..<end])
  }

  /// The trail and tag of the latest intent that opened `symbol` (a pair's tag for its legs).
  private func intentExtras(symbol: String, before seq: Int) -> (Double?, String?) {
    for d in recorded[..<min(seq, recorded.count)].reversed() where d.kind == "intent" {
      guard
        let o = try? JSONSerialization.jsonObject(with: Data(d.detailJSON.utf8))
          as? [String: Any],
        d.symbol == symbol || o["pair_short"] as? String == symbol
      else { continue }
      return (Self.number("trail", in: d.detailJSON), o["tag"] as? String)
    }
    return (nil, nil)
  }
}

/// The exit fee a replay applies. The ledger keeps an exit's fee as (the trade's fees − the entry
/// fee), which can differ from the exchange's fee in the last bit, and then the PnL recomputed
/// from it differs from the booked one in its last digits (a false divergence, and cash off by an
/// ulp). The fee within a few ulps of the stored one that gives the booked PnL by the book's own
/// arithmetic (`Book.close`) is the exchange's.
public enum ExactExitFee {
  /// The fee of a partial close of `qty` that gives the booked `pnl` by `Book.closePart`'s
  /// arithmetic (the ledger's decision keeps the part's PnL, not its fee).
  public static func findPartial(
    position p: Position, qty: Double, funding: Double, price: Double, pnl: Double
  ) -> Double {
    let fraction = qty / p.qty
    let gross = p.side.sign * (price - p.entry) * qty
    let entryFees = p.entryFees * fraction
    let paid = funding * fraction
    let estimate = gross - entryFees + paid - pnl
    var up = estimate
    var down = estimate
    for _ in 0..<16 {
      for f in [up, down] where gross - f - entryFees + paid == pnl { return f }
      up = up.nextUp
      down = down.nextDown
    }
    return estimate
  }

  public static func find(
    position p: Position, funding: Double, price: Double, stored: Double, pnl: Double
  ) -> Double {
    let gross = p.side.sign * (price - p.entry) * p.qty
    var up = stored
    var down = stored
    for _ in 0..<16 {
      for f in [up, down] where gross - f - p.entryFees + funding == pnl { return f }
      up = up.nextUp
      down = down.nextDown
    }
    return stored
  }
}
