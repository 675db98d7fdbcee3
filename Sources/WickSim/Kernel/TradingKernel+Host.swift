import WickCore

/// The kernel as the strategy's `ctx` and as the risk layer's view of the book.
extension TradingKernel: StrategyHost, PortfolioView {
  public func position(symbol: Int) -> Position? { book.positions[symbol] }
  public func equity() -> Double { book.markedEquity() }
  public func lastPrice(symbol: Int) -> Double { book.lastPrices[symbol] }
  public var positionsVersion: Int { book.positionsVersion }
  public var pendingEntries: Int { venue.pendingEntries }
  public func marginInUse() -> Double { book.marginInUse(leverage: risk.leverage) }

  /// Intents before a symbol has `warmup` closed candles are suppressed (not counted as refusals).
  private func warming(_ symbol: Int) -> Bool {
    candlesSeen[symbol] < strategy.warmup || (multiTimeframe && higher!.warming(symbol))
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
    if book.positions[s] != nil && !venue.hasPendingExit(symbol: s) {
      return refuse(
        Refusal("position_open", "\(symbols[s]) already has an open position; exit it first"))
    }
    if venue.hasPendingEntry(symbol: s) {
      return refuse(
        Refusal("entry_pending", "\(symbols[s]) already has an entry waiting for the next open"))
    }
    if entriesPaused {
      return refuse(Refusal("paused", "the run is paused: no new entries until resume"))
    }
    let outcome = risk.review(
      RiskRequest(intent: intent, referencePrice: book.lastPrices[s], time: now), portfolio: self)
    switch outcome {
    case .accepted(let qty):
      venue.submit(entry: EntryOrder(intent: intent, qty: qty, decidedAt: now))
    case .refused(let r): count(r)
    }
    return outcome
  }

  private func refuse(_ r: Refusal) -> IntentOutcome {
    count(r)
    return .refused(r)
  }

  public func exit(symbol: Int, reason: String?) -> Bool {
    if offSchedule { return false }
    if book.positions[symbol] == nil && venue.cancelEntry(symbol: symbol) {
      journal?.exitRequested(symbol: symbol, reason: reason ?? "cancel entry", time: now)
      return true  // an entry that has not filled yet
    }
    guard book.positions[symbol] != nil else { return false }
    venue.submit(exit: symbol, reason: reason)
    journal?.exitRequested(symbol: symbol, reason: reason, time: now)
    return true
  }

  public func history(symbol: Int, count: Int) -> [Candle] { histories[symbol].last(count) }

  public func history(symbol: Int, count: Int, timeframe k: Int) -> [Candle] {
    if k == 0 { return histories[symbol].last(count) }
    return higher?.history(symbol: symbol, count: count, timeframe: k) ?? []
  }

  public var baseTimeframe: Timeframe? { timeframe }

  public func enterPair(_ pair: PairIntent) -> IntentOutcome {
    if warming(pair.long) || warming(pair.short) {
      return .refused(Refusal("warmup", "intents are suppressed during the warmup"))
    }
    if offSchedule { return Self.offScheduleRefusal }
    let outcome = decidePair(pair)
    journal?.pairDecided(pair, outcome: outcome, time: now)
    return outcome
  }

  private func decidePair(_ pair: PairIntent) -> IntentOutcome {
    if book.positions[pair.long] != nil || book.positions[pair.short] != nil
      || venue.pairBusy(long: pair.long, short: pair.short)
    {
      return refuse(
        Refusal(
          "pair_open",
          "one position per pair: a leg of \(symbols[pair.long])/\(symbols[pair.short]) is busy"))
    }
    if entriesPaused {
      return refuse(Refusal("paused", "the run is paused: no new entries until resume"))
    }
    let pl = book.lastPrices[pair.long]
    let ps = book.lastPrices[pair.short]
    guard pl > 0, ps > 0 else { return refuse(Refusal("no_price", "no price yet for a pair leg")) }
    // Size the long leg so that moving from the entry z to the stop z loses `risk` of equity:
    // the spread (long − hedge × short) moves by |stop_z − entry_z| × spread_std per unit.
    let eq = equity()
    let riskFraction = pair.risk ?? 0.02
    guard let stopZ = pair.stopZ, let entryZ = pair.entryZ, let std = pair.spreadStd, std > 0,
      abs(stopZ - entryZ) > 0
    else {
      return refuse(
        Refusal(
          "missing_stop", "a pair entry needs entry_z, stop_z and spread_std to size its risk"))
    }
    var qty = eq * riskFraction / (abs(stopZ - entryZ) * std)
    let notionalPerUnit = pl + pair.hedge * ps
    qty = min(qty, eq * risk.leverage / notionalPerUnit)
    guard qty > 0, qty.isFinite else { return refuse(Refusal("zero_size", "pair size is \(qty)")) }
    if let r = risk.admit(
      legs: [(pair.long, .long, qty), (pair.short, .short, qty * pair.hedge)], time: now,
      portfolio: self)
    {
      return refuse(r)
    }
    venue.submit(
      pair: PairOrder(intent: pair, qtyLong: qty, qtyShort: qty * pair.hedge, decidedAt: now))
    return .accepted(qty: qty)
  }

  public func exitPair(long: Int, short: Int, reason: String?) -> Bool {
    if offSchedule { return false }
    if venue.cancelPair(long: long, short: short) { return true }
    guard book.positions[long] != nil || book.positions[short] != nil else { return false }
    if book.positions[long] != nil { exit(symbol: long, reason: reason) }
    if book.positions[short] != nil { exit(symbol: short, reason: reason) }
    return true
  }
}
