import WickCore

/// What the kernel is told about the book as venues fill orders.
public protocol BookListener: AnyObject {
  func positionOpened(_ position: Position, symbol: Int, time: Int64)
  func positionClosed(_ trade: Trade, symbol: Int, time: Int64)
  /// A fill added to an open position (`add = true`): `position` is the combined one.
  func positionIncreased(
    _ position: Position, by fill: Execution, qty: Double, symbol: Int, time: Int64)
  /// Part of a position was closed (`ctx:exit{fraction = ...}`): `trade` is that part's row
  /// (`partial` set); the rest stays open.
  func positionReduced(_ trade: Trade, symbol: Int, time: Int64)
  /// A resting limit entry left the venue without a fill (`status`: "expired").
  func limitOrderEnded(symbol: Int, status: String, time: Int64)
  /// The venue refused or could not execute an order (random reject, no margin, …).
  func venueRefused(_ refusal: Refusal, symbol: Int?, time: Int64)
  /// The venue charged (amount < 0) or paid funding on `symbol`'s position at candle `time`,
  /// for the exchange's `settlement` (its time and rate).
  func fundingApplied(symbol: Int, settlement: FundingRate, amount: Double, time: Int64)
  /// A live venue moved cash to match the exchange's wallet (`detail`: the figures).
  func cashAdjusted(amount: Double, detail: String, time: Int64)
  /// A live venue closes `symbol`'s position next with an order of its own (a pair leg's unwind,
  /// a panic close), not the strategy's exit: the close is booked under `clientOrderID`.
  func venueClosing(symbol: Int, clientOrderID: String)
}

extension BookListener {
  public func positionIncreased(
    _ position: Position, by fill: Execution, qty: Double, symbol: Int, time: Int64
  ) {}
  public func positionReduced(_ trade: Trade, symbol: Int, time: Int64) {}
  public func limitOrderEnded(symbol: Int, status: String, time: Int64) {}
  public func fundingApplied(symbol: Int, settlement: FundingRate, amount: Double, time: Int64) {}
  public func cashAdjusted(amount: Double, detail: String, time: Int64) {}
  public func venueClosing(symbol: Int, clientOrderID: String) {}
}

/// The positions, cash and last prices of one kernel: written by the venue's fills, read by the
/// strategy (`ctx`) and the risk layer. Per-symbol arrays indexed by symbol: no dictionaries, and
/// a `Position` holds no references, so the per-candle path copies plain values.
public final class Book {
  public let symbols: [String]
  /// Per symbol: the open position, nil when flat.
  public var positions: PositionSlots {
    PositionSlots(values: values, open: open, count: symbols.count)
  }
  public internal(set) var tags: [String?]
  /// Funding paid (−) or received (+) by each open position so far.
  public internal(set) var funding: [Double]
  /// Per symbol: the last close seen. A view of the book's own storage: read it at once, never keep
  /// it beyond the book.
  public var lastPrices: UnsafeBufferPointer<Double> { UnsafeBufferPointer(prices) }
  // Positions and last prices live in storage allocated once and written in place: the candle
  // loop reads and writes them on every candle, where an array's write cost a uniqueness check
  // and a read of one field of an optional position a copy of the whole position. A position is
  // stored as itself beside an open flag, so the loop's reads and writes are one field each.
  private let values: UnsafeMutablePointer<Position>
  private let open: UnsafeMutablePointer<Bool>
  private let prices: UnsafeMutableBufferPointer<Double>
  public internal(set) var cash: Double
  public internal(set) var openCount = 0
  /// Changes whenever a position opens, closes or has its stop moved.
  public internal(set) var positionsVersion = 0
  public internal(set) var trades: [Trade] = []
  /// Positions opened so far: the next one's `id` is this plus one.
  public internal(set) var positionsOpened = 0
  /// Limit orders placed, filled, expired and cancelled, and the maker fees paid.
  public internal(set) var limitStats = LimitOrderStats()
  /// The kernel that owns this book. Unowned, not weak: a weak reference would give the kernel a
  /// side table, and every retain and release of it (several per candle) would take the slow path.
  public unowned var listener: BookListener?
  /// Per symbol: the instrument's quantity rules (nil: unknown). The venue applies them to an
  /// order it shrinks to the available balance, as sizing applied them to the order.
  public internal(set) var lotRules: [LotRules?]

  public init(symbols: [String], cash: Double) {
    self.symbols = symbols
    let n = symbols.count
    lotRules = Array(repeating: nil, count: n)
    values = .allocate(capacity: max(n, 1))
    values.initialize(
      repeating: Position(
        symbol: 0, side: .long, qty: 0, entry: 0, stop: nil, take: nil, trail: nil, openedAt: 0,
        initialRisk: 0, entryFees: 0, entrySpread: 0, entrySlippage: 0),
      count: max(n, 1))
    open = .allocate(capacity: max(n, 1))
    open.initialize(repeating: false, count: max(n, 1))
    tags = Array(repeating: nil, count: n)
    funding = Array(repeating: 0, count: n)
    prices = .allocate(capacity: n)
    prices.initialize(repeating: 0)
    self.cash = cash
  }

  deinit {
    values.deallocate()
    open.deallocate()
    prices.deallocate()
  }

  /// Stores `symbol`'s position (nil: flat).
  @inline(__always) private func setPosition(_ s: Int, _ p: Position?) {
    if let p { values[s] = p }
    open[s] = p != nil
  }

  /// `symbol`'s open position in place (nil when flat), for the candle loop's checks: reading a
  /// field through it copies that field only. Valid until the position next changes.
  @inline(__always) public func openPosition(_ s: Int) -> UnsafePointer<Position>? {
    open[s] ? UnsafePointer(values + s) : nil
  }

  /// Applies an entry fill: the position opens at `execution.price`, the fee leaves cash.
  @discardableResult
  public func open(
    symbol s: Int, side: Side, qty: Double, execution fill: Execution, time: Int64,
    intent: OrderIntent
  ) -> Position {
    cash -= fill.fee
    countLimitFill(intent, fee: fill.fee)
    let initialRisk = intent.stop.map { qty * abs(fill.price - $0) } ?? 0
    var p = Position(
      symbol: s, side: side, qty: qty, entry: fill.price, stop: intent.stop, take: intent.take,
      trail: intent.trail, openedAt: time, initialRisk: initialRisk, entryFees: fill.fee,
      entrySpread: fill.spread, entrySlippage: fill.slippage)
    positionsOpened += 1
    p.entryType = intent.entryType
    p.id = positionsOpened
    p.peakQty = qty
    setPosition(s, p)
    tags[s] = intent.tag
    funding[s] = 0
    openCount += 1
    positionsVersion &+= 1
    listener?.positionOpened(p, symbol: s, time: time)
    return p
  }

  @inline(__always) private func countLimitFill(_ intent: OrderIntent, fee: Double) {
    guard intent.limit != nil else { return }
    limitStats.filled += 1
    limitStats.makerFees += fee
  }

  /// A limit order was placed, expired or cancelled (the venue and the kernel count them).
  public func countLimitOrder(placed: Int = 0, expired: Int = 0, cancelled: Int = 0) {
    limitStats.placed += placed
    limitStats.expired += expired
    limitStats.cancelled += cancelled
  }

  /// Applies a fill that adds to `symbol`'s open position in the same direction: the entry
  /// becomes the quantity-weighted average, the stop (and the take and trail, when given) those
  /// of `intent` — the new combined stop the add was sized against — and the "1R" grows by the
  /// added quantity's distance to that stop. Returns the combined position.
  @discardableResult
  public func add(
    symbol s: Int, qty: Double, execution fill: Execution, time: Int64, intent: OrderIntent
  ) -> Position? {
    guard var p = positions[s], p.side == intent.side, qty > 0 else { return nil }
    cash -= fill.fee
    countLimitFill(intent, fee: fill.fee)
    p.observe(low: fill.price, high: fill.price)
    let total = p.qty + qty
    p.entry = (p.entry * p.qty + fill.price * qty) / total
    p.qty = total
    p.peakQty = max(p.peakQty, total)
    if let stop = intent.stop {
      p.stop = stop
      p.initialRisk += qty * abs(fill.price - stop)
    }
    if let take = intent.take { p.take = take }
    if let trail = intent.trail { p.trail = trail }
    p.entryFees += fill.fee
    p.entrySpread += fill.spread
    p.entrySlippage += fill.slippage
    setPosition(s, p)
    positionsVersion &+= 1
    listener?.positionIncreased(p, by: fill, qty: qty, symbol: s, time: time)
    return p
  }

  /// Applies an exit fill for `fraction` (0 < fraction < 1) of `symbol`'s position: that part's
  /// trade row (`partial`, tied to the position by its id) takes its share of the entry costs,
  /// funding and "1R"; the rest stays open with the remainder. No-op without a position.
  public func closePart(
    symbol s: Int, fraction: Double, execution fill: Execution, time: Int64, reason: ExitReason,
    note: String?
  ) {
    guard let p = positions[s] else { return }
    closePart(
      symbol: s, qty: p.qty * fraction, fraction: fraction, execution: fill, time: time,
      reason: reason, note: note)
  }

  /// A partial close of exactly `qty` (an exchange's fill): the row's quantity is the fill's to
  /// the last bit, so a live run and its replay book the same numbers.
  public func closePart(
    symbol s: Int, qty: Double, execution fill: Execution, time: Int64, reason: ExitReason,
    note: String?
  ) {
    guard let p = positions[s], p.qty > 0 else { return }
    closePart(
      symbol: s, qty: qty, fraction: qty / p.qty, execution: fill, time: time, reason: reason,
      note: note)
  }

  private func closePart(
    symbol s: Int, qty: Double, fraction: Double, execution fill: Execution, time: Int64,
    reason: ExitReason, note: String?
  ) {
    guard var p = positions[s], fraction > 0, fraction < 1 else { return }
    p.observe(low: fill.price, high: fill.price)
    let gross = p.side.sign * (fill.price - p.entry) * qty
    cash += gross - fill.fee
    let entryFees = p.entryFees * fraction
    let paid = funding[s] * fraction
    let risk = p.initialRisk * fraction
    let pnl = gross - fill.fee - entryFees + paid
    var trade = Trade(
      symbol: symbols[s], side: p.side, entryTime: p.openedAt, entryPrice: p.entry, exitTime: time,
      exitPrice: fill.price, qty: qty, fees: entryFees + fill.fee,
      spreadCost: p.entrySpread * fraction + fill.spread,
      slippageCost: p.entrySlippage * fraction + fill.slippage, funding: paid, pnl: pnl,
      r: risk > 0 ? pnl / risk : nil, exitReason: reason, exitNote: note, tag: tags[s],
      mae: p.adverseExtreme, mfe: p.favourableExtreme)
    trade.entryType = p.entryType
    trade.position = p.id
    trade.partial = true
    trades.append(trade)
    p.qty -= qty
    p.entryFees -= entryFees
    p.entrySpread *= 1 - fraction
    p.entrySlippage *= 1 - fraction
    p.initialRisk -= risk
    funding[s] -= paid
    setPosition(s, p)
    positionsVersion &+= 1
    listener?.positionReduced(trade, symbol: s, time: time)
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
    var trade = Trade(
      symbol: symbols[s], side: p.side, entryTime: p.openedAt, entryPrice: p.entry, exitTime: time,
      exitPrice: fill.price, qty: p.qty, fees: p.entryFees + fill.fee,
      spreadCost: p.entrySpread + fill.spread,
      slippageCost: p.entrySlippage + fill.slippage, funding: paid, pnl: pnl,
      r: p.initialRisk > 0 ? pnl / p.initialRisk : nil,
      exitReason: reason, exitNote: note, tag: tags[s], mae: p.adverseExtreme,
      mfe: p.favourableExtreme)
    trade.entryType = p.entryType
    trade.position = p.id
    trades.append(trade)
    setPosition(s, nil)
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
    if open[symbol] { values[symbol].stop = stop }
    positionsVersion &+= 1
  }

  /// Folds a closed candle into `symbol`'s open position's excursion (MAE/MFE): one comparison
  /// when the book is flat, two compares in place when open.
  @inline(__always) public func observe(symbol s: Int, candle c: Candle) {
    guard openCount > 0 else { return }
    if open[s] { values[s].observe(low: c.low, high: c.high) }
  }

  /// The trail distance of `symbol`'s open position: nil when flat or not trailed.
  @inline(__always) public func trail(symbol s: Int) -> Double? {
    guard openCount > 0 else { return nil }
    return open[s] ? values[s].trail : nil
  }

  @inline(__always) public func setLastPrice(symbol: Int, _ price: Double) {
    prices[symbol] = price
  }

  /// Cash plus unrealised PnL at the last closes.
  @inline(__always) public func markedEquity() -> Double {
    guard openCount > 0 else { return cash }
    var e = cash
    for i in 0..<symbols.count where open[i] { e += values[i].unrealized(at: prices[i]) }
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
    // One entry per symbol of the book (a shorter list leaves the rest flat, at price 0).
    for i in 0..<symbols.count {
      setPosition(i, i < positions.count ? positions[i] : nil)
      prices[i] = i < lastPrices.count ? lastPrices[i] : 0
    }
    self.tags = tags
    self.funding = funding
    self.cash = cash
    self.trades = trades
    positionsOpened = max(
      positionsOpened, trades.map(\.position).max() ?? 0,
      positions.compactMap { $0?.id }.max() ?? 0)
    openCount = positions.reduce(0) { $0 + ($1 == nil ? 0 : 1) }
    positionsVersion &+= 1
  }
}

/// The book's positions by symbol, nil when flat: a read-only view of its storage (valid while the
/// book lives; it does not copy the positions).
public struct PositionSlots: RandomAccessCollection {
  fileprivate let values: UnsafePointer<Position>
  fileprivate let open: UnsafePointer<Bool>
  public let count: Int

  fileprivate init(
    values: UnsafeMutablePointer<Position>, open: UnsafeMutablePointer<Bool>, count: Int
  ) {
    self.values = UnsafePointer(values)
    self.open = UnsafePointer(open)
    self.count = count
  }

  public var startIndex: Int { 0 }
  public var endIndex: Int { count }
  public subscript(i: Int) -> Position? {
    precondition(i >= 0 && i < count, "symbol index \(i) out of range")
    return open[i] ? values[i] : nil
  }
}
