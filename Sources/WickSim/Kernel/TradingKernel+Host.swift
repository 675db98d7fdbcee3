import WickCore

/// The kernel as the strategy's `ctx` and as the risk layer's view of the book.
extension TradingKernel: StrategyHost, PortfolioView {
  public func position(symbol: Int) -> Position? { book.positions[symbol] }
  public func equity() -> Double { book.markedEquity() }
  public func lastPrice(symbol: Int) -> Double { book.lastPrices[symbol] }
  public var positionsVersion: Int { book.positionsVersion }
  public var pendingEntries: Int { venue.pendingEntries }
  public var restingNotional: Double {
    var net = 0.0
    for i in symbols.indices {
      if let o = venue.restingOrder(symbol: i) { net += o.side.sign * o.qty * o.price }
    }
    return net
  }
  public func marginInUse() -> Double { book.marginInUse(leverage: risk.leverage) }

  /// Pairs whose two legs are both open, or both waiting at the venue: each is one position,
  /// though the book holds, and `pendingEntries` counts, two legs.
  public var pairedUnits: Int {
    var n = 0
    for long in pairPartner.indices {
      let short = pairPartner[long]
      guard short > long, pairPartner[short] == long else { continue }  // each pair once
      let open = (book.positions[long] != nil, book.positions[short] != nil)
      if open == (true, true)
        || (open == (false, false) && venue.pairBusy(long: long, short: short))
      {
        n += 1
      }
    }
    return n
  }

  /// Intents before a symbol has `warmup` closed candles are suppressed (not counted as refusals).
  private func warming(_ symbol: Int) -> Bool {
    histories.seen[symbol] < strategy.warmup || (multiTimeframe && higher!.warming(symbol))
  }

  public func enter(_ intent: OrderIntent) -> IntentOutcome {
    let s = intent.symbol
    if warming(s) { return .refused(Refusal("warmup", "intents are suppressed during the warmup")) }
    if offSchedule { return Self.offScheduleRefusal }
    let outcome = decide(intent)
    journal?.entryDecided(intent, outcome: outcome, time: now)
    return outcome
  }

  private func decide(_ intent: OrderIntent) -> IntentOutcome {
    let s = intent.symbol
    if let r = orderTypeRefusal(intent) { return refuse(r) }
    let adding = intent.add ? book.positions[s] : nil
    if intent.add {
      guard let p = adding else {
        return refuse(
          Refusal("no_position", "add = true needs an open \(symbols[s]) position to add to"))
      }
      if p.side != intent.side {
        return refuse(
          Refusal(
            "add_opposite_side",
            "\(symbols[s]) is \(p.side.rawValue): an add must be on the same side"))
      }
      if venue.hasPendingExit(symbol: s) {
        return refuse(Refusal("exit_pending", "\(symbols[s]) has an exit waiting: no add"))
      }
    } else if book.positions[s] != nil && !venue.hasPendingExit(symbol: s) {
      return refuse(
        Refusal(
          "position_open",
          "\(symbols[s]) already has an open position; exit it first (or add = true to add to it)"))
    }
    if venue.hasPendingEntry(symbol: s) {
      let waiting =
        venue.restingOrder(symbol: s) != nil
        ? "a limit entry resting (ctx:cancel it first)" : "an entry waiting for the next open"
      return refuse(Refusal("entry_pending", "\(symbols[s]) already has \(waiting)"))
    }
    if entriesPaused {
      return refuse(Refusal("paused", "the run is paused: no new entries until resume"))
    }
    let outcome = risk.review(
      RiskRequest(
        intent: intent, referencePrice: intent.limit ?? book.lastPrices[s], time: now,
        adding: adding),
      portfolio: self)
    switch outcome {
    case .accepted(let qty):
      if !intent.add { pairPartner[s] = -1 }
      venue.submit(entry: EntryOrder(intent: intent, qty: qty, decidedAt: now))
      if intent.limit != nil { book.countLimitOrder(placed: 1) }
    case .refused(let r): count(r)
    }
    return outcome
  }

  /// Limit, post-only and add intents the venue cannot take, and post-only orders that would
  /// take liquidity: a buy at or above the last close (a sell at or below it) would cross the
  /// market when placed, so the exchange would cancel it.
  private func orderTypeRefusal(_ intent: OrderIntent) -> Refusal? {
    let needed: VenueCapabilities = [
      intent.limit != nil ? .limitOrders : [], intent.add ? .adds : [],
    ]
    if !venue.capabilities.isSuperset(of: needed) {
      return Refusal(
        "unsupported_order",
        "this venue does not execute \(intent.limit != nil ? "limit" : "add") entries yet")
    }
    guard let limit = intent.limit else { return nil }
    if !(limit > 0) {
      return Refusal("limit_not_positive", "limit \(formatNumber(limit)) must be a positive price")
    }
    let last = book.lastPrices[intent.symbol]
    if intent.postOnly, last > 0, (limit - last) * intent.side.sign >= 0 {
      return Refusal(
        "post_only_would_cross",
        "a post-only \(intent.side == .long ? "buy" : "sell") at \(formatNumber(limit)) would cross the market at \(formatNumber(last))"
      )
    }
    return nil
  }

  private func refuse(_ r: Refusal) -> IntentOutcome {
    count(r)
    return .refused(r)
  }

  public func exit(symbol: Int, reason: String?) -> Bool {
    exit(symbol: symbol, fraction: 1, reason: reason)
  }

  public func exit(symbol: Int, fraction: Double, reason: String?) -> Bool {
    if offSchedule { return false }
    if fraction >= 1, book.positions[symbol] == nil, cancelUnfilled(symbol) {
      journal?.exitRequested(symbol: symbol, reason: reason ?? "cancel entry", time: now)
      return true  // an entry that has not filled yet
    }
    guard let p = book.positions[symbol] else { return false }
    var reason = reason
    if fraction < 1 {
      guard venue.capabilities.contains(.partialExits) else {
        count(Refusal("unsupported_order", "this venue does not execute partial exits yet"))
        return false
      }
      switch PartialClose.decide(
        qty: p.qty, peakQty: p.peakQty, fraction: fraction, price: book.lastPrices[symbol],
        rules: risk.lotRules(symbol: symbol))
      {
      case .partial(let f):
        venue.submit(partialExit: symbol, fraction: f, reason: reason)
        journal?.partialExitRequested(symbol: symbol, fraction: f, reason: reason, time: now)
        return true
      case .refused(let r):
        count(r)
        return false
      case .full:
        reason = "\(reason ?? "partial exit"): remainder below the minimum, closed in full"
      }
    }
    venue.submit(exit: symbol, reason: reason)
    journal?.exitRequested(symbol: symbol, reason: reason, time: now)
    return true
  }

  public func cancel(symbol: Int) -> Bool {
    if offSchedule { return false }
    guard cancelUnfilled(symbol) else { return false }
    journal?.entryCancelled(symbol: symbol, time: now)
    return true
  }

  /// Cancels the symbol's unfilled entry at the venue, counting a limit order's cancellation.
  private func cancelUnfilled(_ symbol: Int) -> Bool {
    let wasLimit = venue.restingOrder(symbol: symbol) != nil
    guard venue.cancelEntry(symbol: symbol) else { return false }
    if wasLimit { book.countLimitOrder(cancelled: 1) }
    return true
  }

  public func orders(symbol: Int) -> [RestingOrder] {
    venue.restingOrder(symbol: symbol).map { [$0] } ?? []
  }

  /// Keeps `depth` base candles per symbol for `ctx:history` and a reload's replay from now on,
  /// filled from `earlier(symbol, before, count)`: a new version whose warmup follows a raised
  /// param warms on its full length. The candles given count as seen for the warmup.
  public func deepenHistory(
    to depth: Int, earlier: (_ symbol: Int, _ before: Int64, _ count: Int) -> [Candle]
  ) {
    histories.deepen(to: depth, earlier: earlier)
  }

  public func history(symbol: Int, count: Int) -> [Candle] {
    histories.last(symbol: symbol, count)
  }

  public func history(symbol: Int, count: Int, timeframe k: Int) -> [Candle] {
    if k == 0 { return histories.last(symbol: symbol, count) }
    return higher?.history(symbol: symbol, count: count, timeframe: k) ?? []
  }

  public var baseTimeframe: Timeframe? { timeframe }

  public func enterPair(_ pair: PairIntent) -> IntentOutcome {
    if warming(pair.long) || warming(pair.short) {
      return .refused(Refusal("warmup", "intents are suppressed during the warmup"))
    }
    if offSchedule { return Self.offScheduleRefusal }
    let outcome: IntentOutcome
    var qtyShort = 0.0
    do {
      let order = try decidePair(pair)
      pairPartner[pair.long] = pair.short
      pairPartner[pair.short] = pair.long
      venue.submit(pair: order)
      outcome = .accepted(qty: order.qtyLong)
      qtyShort = order.qtyShort
    } catch {
      outcome = refuse(error)
    }
    journal?.pairDecided(pair, outcome: outcome, qtyShort: qtyShort, time: now)
    return outcome
  }

  /// The pair's order with both legs sized, or why it is refused.
  private func decidePair(_ pair: PairIntent) throws(Refusal) -> PairOrder {
    if book.positions[pair.long] != nil || book.positions[pair.short] != nil
      || venue.pairBusy(long: pair.long, short: pair.short)
    {
      throw Refusal(
        "pair_open",
        "one position per pair: a leg of \(symbols[pair.long])/\(symbols[pair.short]) is busy")
    }
    if entriesPaused {
      throw Refusal("paused", "the run is paused: no new entries until resume")
    }
    let pl = book.lastPrices[pair.long]
    let ps = book.lastPrices[pair.short]
    guard pl > 0, ps > 0 else {
      throw Refusal("no_price", "no price yet for a pair leg")
    }
    // Size the long leg so that moving from the entry z to the stop z loses `risk` of equity:
    // the spread (long − hedge × short) moves by |stop_z − entry_z| × spread_std per unit.
    let eq = equity()
    guard let stopZ = pair.stopZ, let entryZ = pair.entryZ, let std = pair.spreadStd, std > 0,
      abs(stopZ - entryZ) > 0
    else {
      throw Refusal(
        "missing_stop", "a pair entry needs entry_z, stop_z and spread_std to size its risk")
    }
    // The script's risk is held to the range single entries are (default risk_per_trade).
    let riskFraction = try risk.riskFraction(pair.risk).get()
    var qty = eq * riskFraction / (abs(stopZ - entryZ) * std)
    let notionalPerUnit = pl + pair.hedge * ps
    qty = min(qty, eq * risk.leverage / notionalPerUnit)
    guard qty > 0, qty.isFinite else {
      throw Refusal("zero_size", "pair size is \(qty)")
    }
    // Each leg as the exchange takes it, like a single entry: rounded down to its lot step,
    // refused below its minimums. The short leg is hedge × the rounded long leg, as live sends
    // it; a refused leg refuses the pair (both legs or neither).
    let qtyLong = try fitLeg(qty, symbol: pair.long, price: pl).get()
    let qtyShort = try fitLeg(qtyLong * pair.hedge, symbol: pair.short, price: ps).get()
    if let r = risk.admit(
      legs: [(pair.long, .long, qtyLong), (pair.short, .short, qtyShort)], time: now,
      portfolio: self)
    {
      throw r
    }
    return PairOrder(intent: pair, qtyLong: qtyLong, qtyShort: qtyShort, decidedAt: now)
  }

  /// A pair leg of `qty` under its instrument's rules (`LotRules.fit`; none known: as it is),
  /// a refusal naming the leg.
  private func fitLeg(_ qty: Double, symbol s: Int, price: Double) -> Result<Double, Refusal> {
    guard let rules = risk.lotRules(symbol: s) else { return .success(qty) }
    return rules.fit(qty, price: price).mapError {
      Refusal($0.code, "\(symbols[s]) leg: \($0.detail)")
    }
  }

  public func exitPair(long: Int, short: Int, reason: String?) -> Bool {
    if offSchedule { return false }
    if venue.cancelPair(long: long, short: short) { return true }
    guard book.positions[long] != nil || book.positions[short] != nil else { return false }
    if book.positions[long] != nil { _ = exit(symbol: long, reason: reason) }
    if book.positions[short] != nil { _ = exit(symbol: short, reason: reason) }
    return true
  }
}
