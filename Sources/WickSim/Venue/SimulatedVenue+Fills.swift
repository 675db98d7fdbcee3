import WickCore

extension SimulatedVenue {
  /// Fills orders decided on earlier candles at this candle's open: exits first, then entries.
  @inline(__always) func executeAtOpen(symbol s: Int, candle c: Candle) {
    if let reason = pendingExits[s] {
      pendingExits[s] = nil
      queuedAtOpen -= 1
      let fraction = pendingExitFractions[s]
      if fraction < 1, let p = book.positions[s] {
        let fill = fills.marketFill(price: c.open, qty: p.qty * fraction, buy: p.side == .short)
        book.closePart(
          symbol: s, fraction: fraction, execution: fill, time: c.time, reason: .signal,
          note: reason)
      } else if book.positions[s] != nil {
        close(symbol: s, at: c.open, time: c.time, reason: .signal, note: reason)
      }
    }
    guard let pending = pendingOrders[s] else { return }
    pendingOrders[s] = nil
    queuedAtOpen -= 1
    if pending.intent.add {
      addToPosition(pending, at: c.open, time: c.time, maker: false)
      return
    }
    guard book.positions[s] == nil else {
      refuse(
        Refusal("position_open", "an entry for \(symbols[s]) arrived while a position is open"),
        symbol: s, time: c.time)
      return
    }
    open(
      symbol: s, side: pending.intent.side, qty: pending.qty, at: c.open, time: c.time,
      intent: pending.intent)
  }

  func refuse(_ r: Refusal, symbol: Int?, time: Int64) {
    book.listener?.venueRefused(r, symbol: symbol, time: time)
  }

  /// Opens a position with a market fill. The venue may reject it (seeded random rejects), and
  /// like Bybit's available-balance cap, the size shrinks so that initial margin plus the fee fit
  /// in the available balance (equity − margin in use). Returns whether it opened.
  @discardableResult
  func open(
    symbol s: Int, side: Side, qty requested: Double, at price: Double, time: Int64,
    intent: OrderIntent, maker: Bool = false
  ) -> Bool {
    if rejects.reject() {
      refuse(
        Refusal("random_reject", "the venue rejected the order (simulated, seeded)"), symbol: s,
        time: time)
      return false
    }
    let qty: Double
    switch affordable(
      requested, fraction: affordableFraction(legs: [(side, requested, price)]), symbol: s,
      price: price)
    {
    case .success(let q): qty = q
    case .failure(let r):
      refuse(r, symbol: s, time: time)
      return false
    }
    let fill =
      maker
      ? fills.limitFill(price: price, qty: qty)
      : fills.marketFill(price: price, qty: qty, buy: side == .long)
    let p = book.open(symbol: s, side: side, qty: qty, execution: fill, time: time, intent: intent)
    liquidationPrices[s] =
      margin?.liquidationPrice(
        symbol: symbols[s], side: side, entry: p.entry, qty: qty, leverage: leverage) ?? 0
    return true
  }

  /// Fills an entry that adds to the open position of its symbol (`add = true`), at market or,
  /// for a resting limit, at `price` with the maker fee. Refused when the position is gone or
  /// turned (a stop hit while the add waited).
  func addToPosition(_ order: EntryOrder, at price: Double, time: Int64, maker: Bool) {
    let s = order.intent.symbol
    guard let p = book.positions[s], p.side == order.intent.side else {
      refuse(
        Refusal(
          "add_without_position",
          "an add for \(symbols[s]) arrived with no \(order.intent.side.rawValue) position open"),
        symbol: s, time: time)
      return
    }
    if rejects.reject() {
      refuse(
        Refusal("random_reject", "the venue rejected the order (simulated, seeded)"), symbol: s,
        time: time)
      return
    }
    let qty: Double
    switch affordable(
      order.qty, fraction: affordableFraction(legs: [(p.side, order.qty, price)]), symbol: s,
      price: price)
    {
    case .success(let q): qty = q
    case .failure(let r): return refuse(r, symbol: s, time: time)
    }
    let fill =
      maker
      ? fills.limitFill(price: price, qty: qty)
      : fills.marketFill(price: price, qty: qty, buy: p.side == .long)
    guard
      let combined = book.add(
        symbol: s, qty: qty, execution: fill, time: time, intent: order.intent)
    else { return }
    liquidationPrices[s] =
      margin?.liquidationPrice(
        symbol: symbols[s], side: combined.side, entry: combined.entry, qty: combined.qty,
        leverage: leverage) ?? 0
  }

  /// A candle of a symbol with a resting limit entry. A buy fills only when the candle trades
  /// *through* its price (low strictly below it: a touch is not a fill, since the queue ahead of
  /// the order at that price may not have cleared); at the open when the candle opens beyond it
  /// (a better price), except a post-only order, which rests on the book and fills at its price.
  /// Sells mirror this. Fills pay the maker fee and cross no spread.
  ///
  /// The position's own stop and take are checked first for an add; for a new position filled
  /// inside the candle, only its stop is checked on that candle (whether the high came before or
  /// after the fill is unknown, so a take is not assumed).
  func executeResting(symbol s: Int, candle c: Candle) {
    guard let (order, left) = resting[s] else { return checkLevels(symbol: s, candle: c) }
    let intent = order.intent
    if intent.add { checkLevels(symbol: s, candle: c) }
    let limit = intent.limit!
    let buy = intent.side == .long
    guard buy ? c.low < limit : c.high > limit else {
      if !intent.add { checkLevels(symbol: s, candle: c) }
      if let left {
        if left <= 1 {
          resting[s] = nil
          restingCount -= 1
          book.countLimitOrder(expired: 1)
          book.listener?.limitOrderEnded(symbol: s, status: "expired", time: c.time)
        } else {
          resting[s]!.candlesLeft = left - 1
        }
      }
      return
    }
    resting[s] = nil
    restingCount -= 1
    let gapped = buy ? c.open < limit : c.open > limit
    let price = gapped && !intent.postOnly ? c.open : limit
    if intent.add {
      return addToPosition(order, at: price, time: c.time, maker: true)
    }
    guard book.positions[s] == nil else {
      refuse(
        Refusal("position_open", "a limit entry for \(symbols[s]) filled while a position is open"),
        symbol: s, time: c.time)
      return
    }
    guard
      open(
        symbol: s, side: intent.side, qty: order.qty, at: price, time: c.time, intent: intent,
        maker: true), let p = book.positions[s], let stop = p.stop
    else { return }
    if gapped {
      checkLevels(symbol: s, candle: c)
    } else if buy ? c.low <= stop : c.high >= stop {
      close(
        symbol: s, at: stop, time: c.time, reason: p.trail != nil ? .trail : .stop,
        note: "stop reached in the limit fill's candle")
    }
  }

  /// Closes a position with a market fill at reference `price` (or, for a liquidation, exactly at
  /// the bankruptcy price with the taker fee) and records the trade.
  func close(symbol s: Int, at price: Double, time: Int64, reason: ExitReason, note: String?) {
    guard let p = book.positions[s] else { return }
    var fill = fills.marketFill(price: price, qty: p.qty, buy: p.side == .short)
    if reason == .liquidation {
      fill = Execution(price: price, fee: price * p.qty * fills.takerFeeBps / 10_000)
    }
    liquidationPrices[s] = 0
    book.close(symbol: s, execution: fill, time: time, reason: reason, note: note)
  }

  /// Stops and takes against this candle's range. A gap through a level fills at the open; a
  /// candle touching both is assumed to hit the stop first (the pessimistic, honest choice).
  ///
  /// Liquidation is checked on the candle's adverse extreme first, unless the stop lies between the
  /// entry and the liquidation price (then the stop is reached first and protects the position).
  @inline(__always) func checkLevels(symbol s: Int, candle c: Candle) {
    let liq = liquidationPrices[s]
    // The fields the checks need, read in place: a copy of the whole position cost more than
    // the checks.
    guard let position = book.openPosition(s) else { return }
    let p = (
      side: position.pointee.side, entry: position.pointee.entry, stop: position.pointee.stop,
      take: position.pointee.take, trail: position.pointee.trail
    )
    guard p.stop != nil || p.take != nil || liq > 0 else { return }
    let sign = p.side.sign
    let stopReason: ExitReason = p.trail != nil ? .trail : .stop
    if liq > 0 {
      let bankruptcy = margin!.bankruptcyPrice(side: p.side, entry: p.entry, leverage: leverage)
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
    let available = book.markedEquity() - book.marginInUse(leverage: leverage)
    guard available > 0 else { return 0 }
    let f = fills
    let perFill = (f.spreadBps / 2 + f.slippageBps + f.takerFeeBps) / 10_000
    let need = legs.map { $0.qty * $0.price * (1 / leverage + perFill) * (1 + perFill) }
      .reduce(0, +)
    return need <= available ? 1 : available / need
  }

  /// `qty` of symbol `s` times `fraction` (the share of it the available balance carries), as
  /// the exchange takes it: an order shrunk below its sized quantity goes through the
  /// instrument's rules again (`LotRules.fit`, as sizing did: rounded down to the lot step,
  /// refused below the minimums), so a backtest never fills a quantity live could not send. An
  /// order that fits whole keeps the quantity sizing gave it.
  func affordable(_ qty: Double, fraction: Double, symbol s: Int, price: Double)
    -> Result<Double, Refusal>
  {
    guard fraction > 0 else {
      return .failure(
        Refusal(
          "insufficient_margin", "no available balance for the initial margin of \(symbols[s])"))
    }
    guard fraction < 1, let rules = book.lotRules[s] else { return .success(qty * fraction) }
    return rules.fit(qty * fraction, price: price).mapError {
      Refusal(
        "insufficient_margin",
        "the available balance carries \(formatNumber(qty * fraction)) of \(formatNumber(qty)) \(symbols[s]): \($0.detail)"
      )
    }
  }

  /// Pair entries fill only at a time when both legs have a candle (both legs or neither).
  func executePairsAtOpen(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    var opens = [Double?](repeating: nil, count: symbols.count)
    for c in slice { opens[c.symbol] = c.candle.open }
    var waiting: [PairOrder] = []
    for pair in pendingPairs {
      let i = pair.intent
      guard let pl = opens[i.long], let ps = opens[i.short] else {
        waiting.append(pair)
        continue
      }
      guard book.positions[i.long] == nil, book.positions[i.short] == nil else {
        refuse(
          Refusal("position_open", "a pair leg is already in a position"), symbol: nil, time: time)
        continue
      }
      if rejects.reject() {
        refuse(
          Refusal("random_reject", "the venue rejected the pair order (simulated, seeded)"),
          symbol: nil, time: time)
        continue
      }
      // Both legs shrink by the same fraction so the hedge ratio holds.
      let scale = affordableFraction(legs: [(.long, pair.qtyLong, pl), (.short, pair.qtyShort, ps)])
      guard scale > 0 else {
        refuse(
          Refusal("insufficient_margin", "no available balance for the pair's initial margin"),
          symbol: nil, time: time)
        continue
      }
      // Each shrunk leg is fitted to its instrument's rules; both fill or neither does.
      let qtyLong: Double
      let qtyShort: Double
      switch (
        affordable(pair.qtyLong, fraction: scale, symbol: i.long, price: pl),
        affordable(pair.qtyShort, fraction: scale, symbol: i.short, price: ps)
      ) {
      case (.success(let l), .success(let s)): (qtyLong, qtyShort) = (l, s)
      case (.failure(let r), _), (_, .failure(let r)):
        refuse(Refusal(r.code, "pair: \(r.detail)"), symbol: nil, time: time)
        continue
      }
      let legIntent = { (symbol: Int, side: Side) in
        OrderIntent(symbol: symbol, side: side, stop: nil, tag: i.tag)
      }
      withoutRejects {
        open(
          symbol: i.long, side: .long, qty: qtyLong, at: pl, time: time,
          intent: legIntent(i.long, .long))
        open(
          symbol: i.short, side: .short, qty: qtyShort, at: ps, time: time,
          intent: legIntent(i.short, .short))
      }
    }
    pendingPairs = waiting
  }

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
    guard let model = funding else { return }
    defer { fundingCheckedUntil = time }
    guard let from = fundingCheckedUntil, book.openCount > 0 else { return }
    var t = (from / FundingModel.interval + 1) * FundingModel.interval
    while t <= time {
      for i in book.positions.indices {
        guard let p = book.positions[i], p.openedAt < t,
          let rate = model.rate(symbol: i, at: t, cursor: &fundingCursors[i])
        else { continue }
        let payment = FundingModel.payment(
          side: p.side, qty: p.qty, price: book.lastPrices[i], rate: rate)
        book.applyFunding(symbol: i, amount: payment)
      }
      t += FundingModel.interval
    }
  }
}

extension SimulatedVenue {
  public var hasUnbookedSends: Bool { queuedAtOpen > 0 || !pendingPairs.isEmpty }

  /// A paper run's clean end: market entries, exits and pairs waiting for the next open fill at
  /// the last close (the price the order went out at; the next open is not known yet), with the
  /// fill model's costs, at `time`. Resting limit entries keep resting. Deterministic from the
  /// book, so a resume and `wick replay` that re-handle the last candle book the same fills.
  public func settleSent(time: Int64) {
    guard hasUnbookedSends else { return }
    var due = [Bool](repeating: false, count: symbols.count)
    for s in symbols.indices where pendingOrders[s] != nil || pendingExits[s] != nil {
      due[s] = true
    }
    for p in pendingPairs {
      due[p.intent.long] = true
      due[p.intent.short] = true
    }
    let opens: [SymbolCandle] = symbols.indices.compactMap { s in
      let price = book.lastPrices[s]
      guard due[s], price > 0 else { return nil }
      return SymbolCandle(
        symbol: s,
        candle: Candle(time: time, open: price, high: price, low: price, close: price, volume: 0))
    }
    for c in opens { executeAtOpen(symbol: c.symbol, candle: c.candle) }
    if !pendingPairs.isEmpty {
      opens.withUnsafeBufferPointer { executePairsAtOpen(slice: $0, time: time) }
    }
  }
}
