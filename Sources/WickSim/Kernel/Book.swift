import WickCore

/// What the kernel is told about the book as venues fill orders.
public protocol BookListener: AnyObject {
  func positionOpened(_ position: Position, symbol: Int, time: Int64)
  func positionClosed(_ trade: Trade, symbol: Int, time: Int64)
  /// The venue refused or could not execute an order (random reject, no margin, …).
  func venueRefused(_ refusal: Refusal, symbol: Int?, time: Int64)
  /// The venue charged (amount < 0) or paid funding on `symbol`'s position at candle `time`,
  /// for the exchange's `settlement` (its time and rate).
  func fundingApplied(symbol: Int, settlement: FundingRate, amount: Double, time: Int64)
  /// A live venue moved cash to match the exchange's wallet (`detail`: the figures).
  func cashAdjusted(amount: Double, detail: String, time: Int64)
}

extension BookListener {
  public func fundingApplied(symbol: Int, settlement: FundingRate, amount: Double, time: Int64) {}
  public func cashAdjusted(amount: Double, detail: String, time: Int64) {}
}

/// The positions, cash and last prices of one kernel: written by the venue's fills, read by the
/// strategy (`ctx`) and the risk layer. Per-symbol arrays indexed by symbol: no dictionaries, and
/// a `Position` holds no references, so the per-candle path copies plain values.
public final class Book {
  public let symbols: [String]
  public internal(set) var positions: [Position?]
  public internal(set) var tags: [String?]
  /// Funding paid (−) or received (+) by each open position so far.
  public internal(set) var funding: [Double]
  public internal(set) var lastPrices: [Double]
  public internal(set) var cash: Double
  public internal(set) var openCount = 0
  /// Changes whenever a position opens, closes or has its stop moved.
  public internal(set) var positionsVersion = 0
  public internal(set) var trades: [Trade] = []
  /// The kernel that owns this book. Unowned, not weak: a weak reference would give the kernel a
  /// side table, and every retain and release of it (several per candle) would take the slow path.
  public unowned var listener: BookListener?

  public init(symbols: [String], cash: Double) {
    self.symbols = symbols
    let n = symbols.count
    positions = Array(repeating: nil, count: n)
    tags = Array(repeating: nil, count: n)
    funding = Array(repeating: 0, count: n)
    lastPrices = Array(repeating: 0, count: n)
    self.cash = cash
  }

  /// Applies an entry fill: the position opens at `execution.price`, the fee leaves cash.
  @discardableResult
  public func open(
    symbol s: Int, side: Side, qty: Double, execution fill: Execution, time: Int64,
    intent: OrderIntent
  ) -> Position {
    cash -= fill.fee
    let initialRisk = intent.stop.map { qty * abs(fill.price - $0) } ?? 0
    let p = Position(
      symbol: s, side: side, qty: qty, entry: fill.price, stop: intent.stop, take: intent.take,
      trail: intent.trail, openedAt: time, initialRisk: initialRisk, entryFees: fill.fee,
      entrySpread: fill.spread, entrySlippage: fill.slippage)
    positions[s] = p
    tags[s] = intent.tag
    funding[s] = 0
    openCount += 1
    positionsVersion &+= 1
    listener?.positionOpened(p, symbol: s, time: time)
    return p
  }

  /// Applies an exit fill and records the round trip. No-op without an open position.
  public func close(
    symbol s: Int, execution fill: Execution, time: Int64, reason: ExitReason, note: String?
  ) {
    guard var p = positions[s] else { return }
    p.observe(low: fill.price, high: fill.price)
    let gross = p.side.sign * (fill.price - p.entry) * p.qty
    cash += gross - fill.fee
    let paid = funding[s]
    let pnl = gross - fill.fee - p.entryFees + paid
    let trade = Trade(
      symbol: symbols[s], side: p.side, entryTime: p.openedAt, entryPrice: p.entry, exitTime: time,
      exitPrice: fill.price, qty: p.qty, fees: p.entryFees + fill.fee,
      spreadCost: p.entrySpread + fill.spread,
      slippageCost: p.entrySlippage + fill.slippage, funding: paid, pnl: pnl,
      r: p.initialRisk > 0 ? pnl / p.initialRisk : nil,
      exitReason: reason, exitNote: note, tag: tags[s], mae: p.adverseExtreme,
      mfe: p.favourableExtreme)
    trades.append(trade)
    positions[s] = nil
    funding[s] = 0
    openCount -= 1
    positionsVersion &+= 1
    listener?.positionClosed(trade, symbol: s, time: time)
  }

  /// Funding paid or received by `symbol`'s open position.
  public func applyFunding(symbol: Int, amount: Double) {
    cash += amount
    funding[symbol] += amount
  }

  /// Moves cash without a trade: a live venue matching the exchange's wallet balance (money
  /// moved outside the run's orders). The listener records it with its figures.
  public func adjustCash(by amount: Double, detail: String, time: Int64) {
    cash += amount
    listener?.cashAdjusted(amount: amount, detail: detail, time: time)
  }

  /// Moves a position's stop (trailing stops; a live venue's confirmed trading-stop).
  public func moveStop(symbol: Int, to stop: Double) {
    positions[symbol]?.stop = stop
    positionsVersion &+= 1
  }

  /// Folds a closed candle into `symbol`'s open position's excursion (MAE/MFE): a comparison when
  /// flat, two in-place compares when open.
  @inline(__always) public func observe(symbol s: Int, candle c: Candle) {
    if positions[s] != nil { positions[s]!.observe(low: c.low, high: c.high) }
  }

  @inline(__always) public func setLastPrice(symbol: Int, _ price: Double) {
    lastPrices[symbol] = price
  }

  /// Cash plus unrealised PnL at the last closes.
  @inline(__always) public func markedEquity() -> Double {
    guard openCount > 0 else { return cash }
    var e = cash
    for i in positions.indices { if let p = positions[i] { e += p.unrealized(at: lastPrices[i]) } }
    return e
  }

  /// Initial margin locked by open positions at `leverage`.
  public func marginInUse(leverage: Double) -> Double {
    var m = 0.0
    for i in positions.indices { if let p = positions[i] { m += p.qty * p.entry / leverage } }
    return m
  }

  /// Restores a book from persisted state (a restarted runner).
  public func restore(
    positions: [Position?], tags: [String?], funding: [Double], lastPrices: [Double], cash: Double,
    trades: [Trade]
  ) {
    self.positions = positions
    self.tags = tags
    self.funding = funding
    self.lastPrices = lastPrices
    self.cash = cash
    self.trades = trades
    openCount = positions.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
    positionsVersion &+= 1
  }
}
