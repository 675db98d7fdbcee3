import Foundation
import WickCore
import WickRisk
import WickSim

/// One leg of a live pair entry: the symbol, its side and size, and the order id written ahead
/// to the ledger (`w<run>-<candle>-<symbol>-pl` for the long leg, `-ps` for the short one).
public struct PairLeg: Sendable, Equatable {
  public var symbol: String
  public var side: Side
  public var qty: Double
  public var clientOrderID: String
  public var instrument: InstrumentSpec
  public init(
    symbol: String, side: Side, qty: Double, clientOrderID: String, instrument: InstrumentSpec
  ) {
    self.symbol = symbol
    self.side = side
    self.qty = qty
    self.clientOrderID = clientOrderID
    self.instrument = instrument
  }
}

/// A filled leg with its verified exchange stop.
public struct PairLegFill: Sendable, Equatable {
  public var fill: LiveFill
  public var stop: Double
}

/// How a live pair entry ended. The legs go out one after the other (long first), so the exchange
/// can leave one filled and the other not; every outcome says what is left on the exchange.
public enum PairOutcome: Sendable, Equatable {
  /// Both legs filled in the hedge ratio, each under its verified stop.
  case opened(long: PairLegFill, short: PairLegFill)
  /// Nothing filled (the first leg was refused or never reached the exchange): nothing to undo.
  case unfilled(String)
  /// The long leg (always sent first) filled, the short one could not be placed or filled: the
  /// long leg was closed at market, reduce-only (`exit` nil: it was already flat).
  case unwound(filled: LiveFill, exit: LiveFill?, reason: String)
  /// Both filled, a leg's stop could not be put in place: both were closed at market.
  case panicClosed(long: LiveFill, short: LiveFill, exits: [LiveFill?], reason: String)
}

/// Where each leg's exchange stop sits, from the pair's own risk sizing. The kernel sizes a pair
/// so that the spread moving from `entry_z` to `stop_z` loses the risk budget R = qty_long ×
/// |stop_z − entry_z| × spread_std. Each leg's stop is where *that leg alone* loses R: the long
/// leg `|Δz| × spread_std` below its fill, the short leg `|Δz| × spread_std / hedge` above its
/// fill. With Wick gone, the pair can lose at most 2R plus gap slippage; with Wick running, the
/// kernel's z-score exit and z-stop close both legs long before that in a normal spread move.
public enum PairStops {
  public static func distance(order: PairOrder, long: Bool) -> Double? {
    let i = order.intent
    guard let entryZ = i.entryZ, let stopZ = i.stopZ, let std = i.spreadStd, std > 0,
      i.hedge > 0
    else { return nil }
    let d = abs(stopZ - entryZ) * std
    return long ? d : d / i.hedge
  }

  /// The stop of a leg filled at `price`, on the instrument's tick; never below 1% of the price
  /// (a spread so wide that R exceeds the whole long leg still gets a stop the exchange accepts).
  public static func stop(
    order: PairOrder, long: Bool, fillPrice: Double, instrument: InstrumentSpec
  ) -> Double? {
    guard let d = distance(order: order, long: long) else { return nil }
    let raw = long ? max(fillPrice - d, fillPrice * 0.01) : fillPrice + d
    return instrument.roundPrice(raw)
  }
}

extension LiveExecutor {
  /// Places a pair: the long leg first, then the short leg sized to what the long leg filled
  /// (hedge ratio kept on a partial fill), then a protective stop on each leg (`PairStops`).
  ///
  /// - The second leg refused, unplaceable or unfilled → the first is closed at market
  ///   (reduce-only) and a `pair_leg_failed` incident names the reason.
  /// - The second leg partially filled → the first is trimmed (reduce-only) back to the hedge
  ///   ratio; if the trimmed size is below the lot minimum both legs are unwound.
  /// - A stop that does not appear on its leg → both legs are closed at market (panic close).
  ///
  /// `resume`: after a restart, each leg is first looked up by its client id; a leg the exchange
  /// never saw is sent only when `sendMissing` (its candle is still current) — else a filled first
  /// leg is unwound. Nothing is ever sent twice: every order carries its written-ahead id.
  public func enterPair(
    _ order: PairOrder, long: PairLeg, short: PairLeg, resume: Bool = false,
    sendMissing: Bool = true
  ) throws -> PairOutcome {
    // Short units per long unit, as the kernel sized the pair (before lot rounding).
    let ratio = short.qty / long.qty
    var long = long
    long.qty = long.instrument.roundQty(long.qty)
    guard let first = try fill(leg: long, resume: resume, sendMissing: sendMissing) else {
      return .unfilled(whyNotFilled(long, resume: resume, sendMissing: sendMissing))
    }
    // The short leg follows what the long leg got (all of it, or a partial fill).
    var second = short
    second.qty = short.instrument.roundQty(first.qty * ratio)
    let secondFill: LiveFill?
    var failure: String
    if second.qty < short.instrument.minQty || second.qty <= 0 {
      secondFill = nil
      failure =
        "the long leg filled \(long.instrument.format(qty: first.qty)) of \(long.instrument.format(qty: long.qty)); the short leg's share is below the lot minimum"
    } else {
      do {
        secondFill = try fill(leg: second, resume: resume, sendMissing: sendMissing)
        failure = whyNotFilled(second, resume: resume, sendMissing: sendMissing)
      } catch {
        secondFill = nil
        failure = "\(second.clientOrderID): \(error)"
      }
    }
    guard let shortFill = secondFill else {
      return try unwind(leg: long, fill: first, reason: failure)
    }
    var longFill = first
    // A partial second leg: trim the first back to the hedge ratio.
    let keep = long.instrument.roundQty(shortFill.qty / ratio)
    if !short.instrument.sameQty(shortFill.qty, second.qty), keep < first.qty {
      guard keep >= long.instrument.minQty, keep > 0 else {
        let reason =
          "the short leg filled \(short.instrument.format(qty: shortFill.qty)) of \(short.instrument.format(qty: second.qty)), too little to keep a hedged pair"
        return try panic(long: (long, longFill), short: (second, shortFill), reason: reason)
      }
      do {
        longFill = try trim(leg: long, fill: longFill, to: keep)
      } catch {
        return try panic(
          long: (long, longFill), short: (second, shortFill),
          reason: "trimming the long leg to the hedge ratio failed: \(error)")
      }
    }
    // Exchange-side protection for each leg.
    var stops: [Double] = []
    for (leg, f, isLong) in [(long, longFill, true), (second, shortFill, false)] {
      guard
        let stop = PairStops.stop(
          order: order, long: isLong, fillPrice: f.price, instrument: leg.instrument)
      else {
        return try panic(
          long: (long, longFill), short: (second, shortFill),
          reason: "the pair carries no entry_z, stop_z and spread_std to place its stops from")
      }
      if let problem = ensureStop(
        symbol: leg.symbol, stop: stop, take: nil, clientID: leg.clientOrderID,
        instrument: leg.instrument)
      {
        incidents.incident(
          kind: LiveIncident.stopNotPlaced, symbol: leg.symbol,
          detail: "\(leg.clientOrderID): \(problem)")
        return try panic(long: (long, longFill), short: (second, shortFill), reason: problem)
      }
      stops.append(stop)
    }
    return .opened(
      long: PairLegFill(fill: longFill, stop: stops[0]),
      short: PairLegFill(fill: shortFill, stop: stops[1]))
  }

  /// Places one leg (or, resuming, finds it by id) and waits for its final state; nil when
  /// nothing filled or it was not placed.
  private func fill(leg: PairLeg, resume: Bool, sendMissing: Bool) throws -> LiveFill? {
    if resume,
      let found = try lookUp(
        leg.clientOrderID, symbol: leg.symbol, attempts: timing.resolveAttempts)
    {
      return try awaitFill(found)
    }
    if resume && !sendMissing { return nil }
    let order = Order(
      symbol: leg.symbol, buy: leg.side == .long, qty: leg.instrument.format(qty: leg.qty),
      id: leg.clientOrderID, reduceOnly: false)
    guard let placed = try place(order) else { return nil }
    return try awaitFill(placed)
  }

  /// What the exchange said about a leg that did not fill.
  private func whyNotFilled(_ leg: PairLeg, resume: Bool, sendMissing: Bool) -> String {
    if let o = inbox.order(leg.clientOrderID), o.state != .notSent {
      return "\(leg.clientOrderID) ended \(o.state.rawValue)"
        + (o.reason.map { " (\($0))" } ?? "") + " with nothing filled"
    }
    return resume && !sendMissing
      ? "\(leg.clientOrderID) never reached the exchange and its candle has passed; not sent late"
      : refusal(leg.clientOrderID)
  }

  /// Closes a filled first leg after its partner failed; records `pair_leg_failed` either way.
  private func unwind(leg: PairLeg, fill: LiveFill, reason: String) throws -> PairOutcome {
    let id = OrderLinkID.sibling(of: leg.clientOrderID, role: .unwind)
    do {
      let exit = try self.exit(symbol: leg.symbol, clientOrderID: id, instrument: leg.instrument)
      incidents.incident(
        kind: LiveIncident.pairLegFailed, symbol: leg.symbol,
        detail:
          "\(reason); the filled leg \(leg.symbol) was closed at market (\(id))"
          + (exit.map { ": \(leg.instrument.format(qty: $0.qty)) at \($0.price)" }
            ?? ": already flat"))
      return .unwound(filled: fill, exit: exit, reason: reason)
    } catch {
      incidents.incident(
        kind: LiveIncident.pairLegFailed, symbol: leg.symbol,
        detail: "\(reason); closing the filled leg \(leg.symbol) failed too: \(error)")
      throw error
    }
  }

  /// Reduces a leg to `keep` with a reduce-only market order (`-t`); the trim's cost (fee and
  /// the price it got against the entry) is carried by the leg's entry fee, so the book's cash
  /// stays what the exchange's is.
  private func trim(leg: PairLeg, fill: LiveFill, to keep: Double) throws -> LiveFill {
    let id = OrderLinkID.sibling(of: leg.clientOrderID, role: .trim)
    guard
      let cut = try reduce(
        symbol: leg.symbol, qty: fill.qty - keep, clientOrderID: id, instrument: leg.instrument)
    else {
      throw LiveOrderError.unavailable("\(id): trimming \(leg.symbol) found it flat")
    }
    let realised = leg.side.sign * (cut.price - fill.price) * cut.qty
    var kept = fill
    kept.qty = fill.qty - cut.qty
    kept.fee = fill.fee + cut.fee - realised
    return kept
  }

  /// Both legs closed at market (each with its panic id); the stop incident is the caller's.
  private func panic(
    long: (PairLeg, LiveFill), short: (PairLeg, LiveFill), reason: String
  ) throws -> PairOutcome {
    var exits: [LiveFill?] = []
    for (leg, _) in [long, short] {
      exits.append(
        try panicClose(
          symbol: leg.symbol,
          clientOrderID: OrderLinkID.sibling(of: leg.clientOrderID, role: .panic),
          instrument: leg.instrument, reason: reason))
    }
    return .panicClosed(long: long.1, short: short.1, exits: exits, reason: reason)
  }
}
