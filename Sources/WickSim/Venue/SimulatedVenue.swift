import WickCore

/// The simulated exchange of backtests and paper trading: orders decided on a candle fill at the
/// next candle's open with half the spread, slippage and the taker fee; stops, takes and
/// liquidation are checked within each candle; funding is charged at 00/08/16 UTC; seeded random
/// rejects. The fill model is `FillModel`, margin `MarginModel`, funding `FundingModel`.
///
///     let venue = SimulatedVenue(fills: FillModel(), margin: MarginModel(), leverage: 3)
///     let kernel = TradingKernel(..., venue: venue)
public final class SimulatedVenue: Venue {
  public let fills: FillModel
  public let margin: MarginModel?
  public let funding: FundingModel?
  /// Paper trading: the exchange's listed settlements, used when `funding` is nil.
  public var fundingFeed: FundingFeed?
  public let leverage: Double
  var book: Book!

  var rejects: RandomRejects
  /// Per open position: its liquidation price (0 when margin is off).
  var liquidationPrices: [Double] = []
  var fundingCursors: [Int] = []
  var fundingCheckedUntil: Int64?
  var pendingOrders: [EntryOrder?] = []
  /// Per symbol: nil, or an exit waiting for the next open with its reason (which may be nil).
  var pendingExits: [String??] = []
  /// Per symbol: the fraction of the position the pending exit closes (1: all of it).
  var pendingExitFractions: [Double] = []
  /// Per symbol: the limit entry resting at the venue, and how many of its symbol's candles it
  /// may still rest (nil: good till cancelled).
  var resting: [(order: EntryOrder, candlesLeft: Int?)?] = []
  /// Limit entries resting across all symbols: with none, the per-candle path checks only this.
  var restingCount = 0
  /// Symbols with a market entry or an exit waiting for the next open (each of `pendingOrders`
  /// and `pendingExits` counts once): with none, the per-candle path checks only this.
  var queuedAtOpen = 0
  var pendingPairs: [PairOrder] = []
  var symbols: [String] { book.symbols }

  public init(
    fills: FillModel = FillModel(), margin: MarginModel? = MarginModel(),
    funding: FundingModel? = nil, leverage: Double, rejectProbability: Double = 0,
    rejectSeed: UInt64 = 0
  ) {
    self.fills = fills
    self.margin = margin
    self.funding = funding
    self.leverage = leverage
    rejects = RandomRejects(probability: rejectProbability, seed: rejectSeed)
  }

  public func attach(book: Book) {
    self.book = book
    let n = book.symbols.count
    liquidationPrices = Array(repeating: 0, count: n)
    fundingCursors = Array(repeating: 0, count: n)
    pendingOrders = Array(repeating: nil, count: n)
    pendingExits = Array(repeating: nil, count: n)
    queuedAtOpen = 0
    pendingExitFractions = Array(repeating: 1, count: n)
    resting = Array(repeating: nil, count: n)
  }

  public var capabilities: VenueCapabilities { .all }

  public func beginSlice(time: Int64) {
    if funding != nil {
      chargeFunding(until: time)
    } else if let fundingFeed {
      chargeListedFunding(fundingFeed, at: time)
    }
  }

  public func execute(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64) {
    // Most candles have nothing queued and, flat, nothing to check: the counters say so without
    // reading (and copying) the per-symbol optionals.
    if queuedAtOpen > 0 {
      for c in slice { executeAtOpen(symbol: c.symbol, candle: c.candle) }
    }
    if !pendingPairs.isEmpty { executePairsAtOpen(slice: slice, time: time) }
    if restingCount > 0 {
      for c in slice { executeResting(symbol: c.symbol, candle: c.candle) }
    } else if book.openCount > 0 {
      for c in slice { checkLevels(symbol: c.symbol, candle: c.candle) }
    }
  }

  public func submit(entry: EntryOrder) {
    let s = entry.intent.symbol
    if entry.intent.limit != nil {
      if resting[s] == nil { restingCount += 1 }
      resting[s] = (entry, entry.intent.expire)
    } else {
      if pendingOrders[s] == nil { queuedAtOpen += 1 }
      pendingOrders[s] = entry
    }
  }
  public func submit(exit symbol: Int, reason: String?) {
    if pendingExits[symbol] == nil { queuedAtOpen += 1 }
    pendingExits[symbol] = .some(reason)
    pendingExitFractions[symbol] = 1
  }
  /// A partial exit replaces an earlier partial one of the same candle; a full exit wins.
  public func submit(partialExit symbol: Int, fraction: Double, reason: String?) {
    if pendingExits[symbol] != nil, pendingExitFractions[symbol] >= 1 { return }
    if pendingExits[symbol] == nil { queuedAtOpen += 1 }
    pendingExits[symbol] = .some(reason)
    pendingExitFractions[symbol] = fraction
  }
  public func submit(pair: PairOrder) { pendingPairs.append(pair) }
  /// Simulated orders wait in memory for the next open: nothing to transmit.
  public func send() {}

  public func cancelEntry(symbol: Int) -> Bool {
    if resting[symbol] != nil {
      resting[symbol] = nil
      restingCount -= 1
      return true
    }
    guard pendingOrders[symbol] != nil else { return false }
    pendingOrders[symbol] = nil
    queuedAtOpen -= 1
    return true
  }

  public func restingOrder(symbol: Int) -> RestingOrder? {
    guard let (order, left) = resting[symbol] else { return nil }
    return RestingOrder(symbol: symbol, order: order, candlesLeft: left)
  }

  public func cancelPair(long: Int, short: Int) -> Bool {
    guard
      let i = pendingPairs.firstIndex(where: { $0.intent.long == long && $0.intent.short == short })
    else { return false }
    pendingPairs.remove(at: i)
    return true
  }

  public func hasPendingEntry(symbol: Int) -> Bool {
    pendingOrders[symbol] != nil || resting[symbol] != nil
  }
  public func hasPendingExit(symbol: Int) -> Bool { pendingExits[symbol] != nil }

  public func pairBusy(long: Int, short: Int) -> Bool {
    pendingPairs.contains(where: {
      [$0.intent.long, $0.intent.short].contains(long)
        || [$0.intent.long, $0.intent.short].contains(short)
    })
  }

  public var pendingEntries: Int {
    pendingOrders.reduce(0) { $0 + ($1 == nil ? 0 : 1) } + 2 * pendingPairs.count
      + (restingCount == 0
        ? 0 : resting.reduce(0) { $0 + ($1 == nil || $1!.order.intent.add ? 0 : 1) })
  }

  /// The simulation reads stops from the book at every candle: nothing to push.
  public func stopMoved(symbol: Int, to stop: Double) {}

  public func closeNow(symbol: Int, price: Double, time: Int64, reason: ExitReason, note: String?) {
    close(symbol: symbol, at: price, time: time, reason: reason, note: note)
  }

  /// Orders in flight, for a runner's persisted state (resting limit entries included).
  public var pendingSnapshot: (entries: [EntryOrder], exits: [(symbol: Int, reason: String?)]) {
    (
      pendingOrders.compactMap { $0 } + resting.compactMap { $0?.order },
      pendingExits.indices.compactMap { i in pendingExits[i].map { (i, $0) } }
    )
  }
}
