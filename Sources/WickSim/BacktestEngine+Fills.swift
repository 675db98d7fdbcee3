import WickCore

extension BacktestEngine {
  /// Fills orders decided on earlier candles at this candle's open: exits first, then entries.
  @inline(__always) func executeAtOpen(symbol s: Int, candle c: Candle) {
    if let reason = pendingExits[s] {
      pendingExits[s] = nil
      if positions[s] != nil { close(symbol: s, at: c.open, time: c.time, reason: .signal, note: reason) }
    }
    guard let pending = pendingEntries[s] else { return }
    pendingEntries[s] = nil
    guard positions[s] == nil else {
      count(Refusal("position_open", "an entry for \(symbols[s]) arrived while a position is open"))
      return
    }
    open(symbol: s, side: pending.intent.side, qty: pending.qty, at: c.open, time: c.time, intent: pending.intent)
  }

  func open(symbol s: Int, side: Side, qty: Double, at price: Double, time: Int64, intent: OrderIntent) {
    let fill = config.fills.marketFill(price: price, qty: qty, buy: side == .long)
    cash -= fill.fee
    let initialRisk = intent.stop.map { qty * abs(fill.price - $0) } ?? 0
    let p = Position(
      symbol: s, side: side, qty: qty, entry: fill.price, stop: intent.stop, take: intent.take, trail: intent.trail,
      openedAt: time, initialRisk: initialRisk, entryFees: fill.fee, entrySpread: fill.spread,
      entrySlippage: fill.slippage)
    positions[s] = p
    positionTags[s] = intent.tag
    openPositionCount += 1
    risk.recordOpen(p, time: time)
  }

  /// Closes a position with a market fill at reference `price` and records the trade.
  func close(symbol s: Int, at price: Double, time: Int64, reason: ExitReason, note: String?) {
    guard let p = positions[s] else { return }
    let fill = config.fills.marketFill(price: price, qty: p.qty, buy: p.side == .short)
    let gross = p.side.sign * (fill.price - p.entry) * p.qty
    cash += gross - fill.fee
    let pnl = gross - fill.fee - p.entryFees
    let trade = Trade(
      symbol: symbols[s], side: p.side, entryTime: p.openedAt, entryPrice: p.entry, exitTime: time,
      exitPrice: fill.price, qty: p.qty, fees: p.entryFees + fill.fee, spreadCost: p.entrySpread + fill.spread,
      slippageCost: p.entrySlippage + fill.slippage, pnl: pnl, r: p.initialRisk > 0 ? pnl / p.initialRisk : nil,
      exitReason: reason, exitNote: note, tag: positionTags[s])
    trades.append(trade)
    positions[s] = nil
    openPositionCount -= 1
    if let i = openPairs.firstIndex(where: { $0.long == s || $0.short == s }) { openPairs.remove(at: i) }
    risk.recordClose(trade, symbol: s, time: time, portfolio: self)
  }

  /// Stops and takes against this candle's range. A gap through a level fills at the open; a
  /// candle touching both is assumed to hit the stop first (the pessimistic, honest choice).
  @inline(__always) func checkLevels(symbol s: Int, candle c: Candle) {
    guard let p = positions[s], p.stop != nil || p.take != nil else { return }
    let sign = p.side.sign
    let stopReason: ExitReason = p.trail != nil ? .trail : .stop
    if let stop = p.stop, (c.open - stop) * sign <= 0 {
      close(symbol: s, at: c.open, time: c.time, reason: stopReason, note: "gap through stop")
    } else if let take = p.take, (c.open - take) * sign >= 0 {
      close(symbol: s, at: c.open, time: c.time, reason: .take, note: "gap through take")
    } else if let stop = p.stop, (sign > 0 ? c.low <= stop : c.high >= stop) {
      close(symbol: s, at: stop, time: c.time, reason: stopReason, note: nil)
    } else if let take = p.take, (sign > 0 ? c.high >= take : c.low <= take) {
      close(symbol: s, at: take, time: c.time, reason: .take, note: nil)
    }
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
      let legIntent = { (symbol: Int, side: Side) in
        OrderIntent(symbol: symbol, side: side, stop: nil, tag: i.tag)
      }
      open(symbol: i.long, side: .long, qty: pair.qtyLong, at: pl, time: now, intent: legIntent(i.long, .long))
      open(symbol: i.short, side: .short, qty: pair.qtyShort, at: ps, time: now, intent: legIntent(i.short, .short))
      openPairs.append((i.long, i.short))
    }
    pendingPairs = waiting
  }
}
