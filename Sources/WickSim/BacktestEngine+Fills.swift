import WickCore

extension BacktestEngine {
  /// Fills orders decided on earlier candles at this candle's open: exits first, then entries.
  @inline(__always) func executeAtOpen(symbol s: Int, candle c: Candle) {
    if let reason = pendingExits[s] {
      pendingExits[s] = nil
      if positions[s] != nil {
        close(symbol: s, at: c.open, time: c.time, reason: .signal, note: reason)
      }
    }
    guard let pending = pendingOrders[s] else { return }
    pendingOrders[s] = nil
    guard positions[s] == nil else {
      count(Refusal("position_open", "an entry for \(symbols[s]) arrived while a position is open"))
      return
    }
    open(
      symbol: s, side: pending.intent.side, qty: pending.qty, at: c.open, time: c.time,
      intent: pending.intent)
  }

  /// Opens a position with a market fill. The venue may reject it (seeded random rejects), and
  /// like Bybit's available-balance cap, the size shrinks so that initial margin plus the fee fit
  /// in the available balance (equity − margin in use). Returns whether it opened.
  @discardableResult
  func open(
    symbol s: Int, side: Side, qty requested: Double, at price: Double, time: Int64,
    intent: OrderIntent
  ) -> Bool {
    if rejects.reject() {
      count(Refusal("random_reject", "the venue rejected the order (simulated, seeded)"))
      return false
    }
    let leverage = risk.leverage
    let qty = requested * affordableFraction(legs: [(side, requested, price)])
    guard qty > 0 else {
      count(
        Refusal(
          "insufficient_margin", "no available balance for the initial margin of \(symbols[s])"))
      return false
    }
    let fill = config.fills.marketFill(price: price, qty: qty, buy: side == .long)
    cash -= fill.fee
    let initialRisk = intent.stop.map { qty * abs(fill.price - $0) } ?? 0
    let p = Position(
      symbol: s, side: side, qty: qty, entry: fill.price, stop: intent.stop, take: intent.take,
      trail: intent.trail,
      openedAt: time, initialRisk: initialRisk, entryFees: fill.fee, entrySpread: fill.spread,
      entrySlippage: fill.slippage)
    positions[s] = p
    positionTags[s] = intent.tag
    positionFunding[s] = 0
    liquidationPrices[s] =
      config.margin?.liquidationPrice(
        symbol: symbols[s], side: side, entry: fill.price, qty: qty, leverage: leverage) ?? 0
    openPositionCount += 1
    positionsVersion &+= 1
    risk.recordOpen(p, time: time)
    return true
  }

  /// Closes a position with a market fill at reference `price` (or, for a liquidation, exactly at
  /// the bankruptcy price with the taker fee) and records the trade.
  func close(symbol s: Int, at price: Double, time: Int64, reason: ExitReason, note: String?) {
    guard let p = positions[s] else { return }
    var fill = config.fills.marketFill(price: price, qty: p.qty, buy: p.side == .short)
    if reason == .liquidation {
      fill = MarketFill(
        price: price, fee: price * p.qty * config.fills.takerFeeBps / 10_000, spread: 0, slippage: 0
      )
    }
    let gross = p.side.sign * (fill.price - p.entry) * p.qty
    cash += gross - fill.fee
    let funding = positionFunding[s]
    let pnl = gross - fill.fee - p.entryFees + funding
    let trade = Trade(
      symbol: symbols[s], side: p.side, entryTime: p.openedAt, entryPrice: p.entry, exitTime: time,
      exitPrice: fill.price, qty: p.qty, fees: p.entryFees + fill.fee,
      spreadCost: p.entrySpread + fill.spread,
      slippageCost: p.entrySlippage + fill.slippage, funding: funding, pnl: pnl,
      r: p.initialRisk > 0 ? pnl / p.initialRisk : nil,
      exitReason: reason, exitNote: note, tag: positionTags[s])
    trades.append(trade)
    positions[s] = nil
    liquidationPrices[s] = 0
    positionFunding[s] = 0
    openPositionCount -= 1
    positionsVersion &+= 1
    risk.recordClose(trade, symbol: s, time: time, portfolio: self)
  }

  /// Stops and takes against this candle's range. A gap through a level fills at the open; a
  /// candle touching both is assumed to hit the stop first (the pessimistic, honest choice).
  ///
  /// Liquidation is checked on the candle's adverse extreme first, unless the stop lies between the
  /// entry and the liquidation price (then the stop is reached first and protects the position).
  @inline(__always) func checkLevels(symbol s: Int, candle c: Candle) {
    let liq = liquidationPrices[s]
    guard let p = positions[s], p.stop != nil || p.take != nil || liq > 0 else { return }
    let sign = p.side.sign
    let stopReason: ExitReason = p.trail != nil ? .trail : .stop
    if liq > 0 {
      let bankruptcy = config.margin!.bankruptcyPrice(
        side: p.side, entry: p.entry, leverage: risk.leverage)
      let adverse = sign > 0 ? c.low : c.high
      let stopShields = p.stop.map { ($0 - liq) * sign > 0 } ?? false
      if (c.open - liq) * sign <= 0 {
        return close(
          symbol: s, at: bankruptcy, time: c.time, reason: .liquidation,
          note: "gap through liquidation price \(liq)")
      }
      if (adverse - liq) * sign <= 0 && !(stopShields && (adverse - p.stop!) * sign <= 0) {
        return close(
          symbol: s, at: bankruptcy, time: c.time, reason: .liquidation,
          note: "mark reached liquidation price \(liq)")
      }
    }
    if let stop = p.stop, (c.open - stop) * sign <= 0 {
      close(symbol: s, at: c.open, time: c.time, reason: stopReason, note: "gap through stop")
    } else if let take = p.take, (c.open - take) * sign >= 0 {
      close(symbol: s, at: c.open, time: c.time, reason: .take, note: "gap through take")
    } else if let stop = p.stop, sign > 0 ? c.low <= stop : c.high >= stop {
      close(symbol: s, at: stop, time: c.time, reason: stopReason, note: nil)
    } else if let take = p.take, sign > 0 ? c.high >= take : c.low <= take {
      close(symbol: s, at: take, time: c.time, reason: .take, note: nil)
    }
  }

  /// The fraction (≤ 1) of the requested legs that the available balance can carry: initial
  /// margin (notional / leverage) plus the taker fee and crossing costs of every leg.
  func affordableFraction(legs: [(side: Side, qty: Double, price: Double)]) -> Double {
    let available = markedEquity() - marginInUse()
    guard available > 0 else { return 0 }
    let f = config.fills
    let perFill = (f.spreadBps / 2 + f.slippageBps + f.takerFeeBps) / 10_000
    let need = legs.map { $0.qty * $0.price * (1 / risk.leverage + perFill) * (1 + perFill) }
      .reduce(0, +)
    return need <= available ? 1 : available / need
  }

  /// Pair entries fill only at a time when both legs have a candle (both legs or neither).
  func executePairsAtOpen() {
    var opens = [Double?](repeating: nil, count: symbols.count)
    for k in 0..<sliceCount { opens[slice[k].symbol] = slice[k].candle.open }
    var waiting: [PendingPair] = []
    for pair in pendingPairs {
      let i = pair.intent
      guard let pl = opens[i.long], let ps = opens[i.short] else {
        waiting.append(pair)
        continue
      }
      guard positions[i.long] == nil, positions[i.short] == nil else {
        count(Refusal("position_open", "a pair leg is already in a position"))
        continue
      }
      if rejects.reject() {
        count(Refusal("random_reject", "the venue rejected the pair order (simulated, seeded)"))
        continue
      }
      // Both legs shrink by the same fraction so the hedge ratio holds.
      let scale = affordableFraction(legs: [(.long, pair.qtyLong, pl), (.short, pair.qtyShort, ps)])
      guard scale > 0 else {
        count(Refusal("insufficient_margin", "no available balance for the pair's initial margin"))
        continue
      }
      let legIntent = { (symbol: Int, side: Side) in
        OrderIntent(symbol: symbol, side: side, stop: nil, tag: i.tag)
      }
      withoutRejects {
        open(
          symbol: i.long, side: .long, qty: pair.qtyLong * scale, at: pl, time: now,
          intent: legIntent(i.long, .long))
        open(
          symbol: i.short, side: .short, qty: pair.qtyShort * scale, at: ps, time: now,
          intent: legIntent(i.short, .short))
      }
    }
    pendingPairs = waiting
  }
}

extension BacktestEngine {
  /// Runs `body` with random rejects off (a pair was already accepted or rejected as a unit).
  func withoutRejects(_ body: () -> Void) {
    let saved = rejects
    rejects = RandomRejects(probability: 0, seed: 0)
    body()
    rejects = saved
  }

  /// Charges or pays funding for every 00/08/16 UTC funding time in (last check, `time`], on the
  /// positions open at that moment, at the last close as the mark.
  func chargeFunding(until time: Int64) {
    guard let model = config.funding else { return }
    defer { fundingCheckedUntil = time }
    guard let from = fundingCheckedUntil, openPositionCount > 0 else { return }
    var t = (from / FundingModel.interval + 1) * FundingModel.interval
    while t <= time {
      for i in positions.indices {
        guard let p = positions[i], p.openedAt < t,
          let rate = model.rate(symbol: i, at: t, cursor: &fundingCursors[i])
        else { continue }
        let payment = FundingModel.payment(
          side: p.side, qty: p.qty, price: lastPrices[i], rate: rate)
        cash += payment
        positionFunding[i] += payment
      }
      t += FundingModel.interval
    }
  }
}
