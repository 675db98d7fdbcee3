import WickCore

/// The engine as the strategy's `ctx` and as the risk layer's view of the book.
extension BacktestEngine: StrategyHost, PortfolioView {
  public func position(symbol: Int) -> Position? { positions[symbol] }
  public func equity() -> Double { markedEquity() }
  public func lastPrice(symbol: Int) -> Double { lastPrices[symbol] }

  public var pendingEntries: Int {
    pendingOrders.reduce(0) { $0 + ($1 == nil ? 0 : 1) } + 2 * pendingPairs.count
  }

  public func marginInUse() -> Double {
    var m = 0.0
    for i in positions.indices { if let p = positions[i] { m += p.qty * p.entry / risk.leverage } }
    return m
  }

  /// Intents before a symbol has `warmup` closed candles are suppressed (not counted as refusals).
  private func warming(_ symbol: Int) -> Bool { candlesSeen[symbol] < strategy.warmup }

  public func enter(_ intent: OrderIntent) -> IntentOutcome {
    let s = intent.symbol
    if warming(s) { return .refused(Refusal("warmup", "intents are suppressed during the warmup")) }
    if positions[s] != nil && pendingExits[s] == nil {
      return refuse(
        Refusal("position_open", "\(symbols[s]) already has an open position; exit it first"))
    }
    if pendingOrders[s] != nil {
      return refuse(
        Refusal("entry_pending", "\(symbols[s]) already has an entry waiting for the next open"))
    }
    let outcome = risk.review(
      RiskRequest(intent: intent, referencePrice: lastPrices[s], time: now), portfolio: self)
    switch outcome {
    case .accepted(let qty):
      pendingOrders[s] = PendingEntry(intent: intent, qty: qty)
    case .refused(let r): count(r)
    }
    return outcome
  }

  private func refuse(_ r: Refusal) -> IntentOutcome {
    count(r)
    return .refused(r)
  }

  public func exit(symbol: Int, reason: String?) -> Bool {
    if pendingOrders[symbol] != nil && positions[symbol] == nil {
      pendingOrders[symbol] = nil  // cancel an entry that has not filled yet
      return true
    }
    guard positions[symbol] != nil else { return false }
    pendingExits[symbol] = .some(reason)
    return true
  }

  public func history(symbol: Int, count: Int) -> [Candle] { histories[symbol].last(count) }

  public func enterPair(_ pair: PairIntent) -> IntentOutcome {
    if warming(pair.long) || warming(pair.short) {
      return .refused(Refusal("warmup", "intents are suppressed during the warmup"))
    }
    if positions[pair.long] != nil || positions[pair.short] != nil
      || pendingPairs.contains(where: {
        [$0.intent.long, $0.intent.short].contains(pair.long)
          || [$0.intent.long, $0.intent.short].contains(pair.short)
      })
    {
      return refuse(
        Refusal(
          "pair_open",
          "one position per pair: a leg of \(symbols[pair.long])/\(symbols[pair.short]) is busy"))
    }
    let pl = lastPrices[pair.long]
    let ps = lastPrices[pair.short]
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
    pendingPairs.append(PendingPair(intent: pair, qtyLong: qty, qtyShort: qty * pair.hedge))
    return .accepted(qty: qty)
  }

  public func exitPair(long: Int, short: Int, reason: String?) -> Bool {
    if let i = pendingPairs.firstIndex(where: { $0.intent.long == long && $0.intent.short == short }
    ) {
      pendingPairs.remove(at: i)
      return true
    }
    guard positions[long] != nil || positions[short] != nil else { return false }
    if positions[long] != nil { pendingExits[long] = .some(reason) }
    if positions[short] != nil { pendingExits[short] = .some(reason) }
    return true
  }
}
