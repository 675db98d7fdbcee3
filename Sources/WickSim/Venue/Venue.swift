import WickCore

/// The execution edge of the kernel: where orders go and where fills come from. The kernel is the
/// same for backtest, paper and live; only the venue changes (NautilusTrader's lesson):
///
/// - `SimulatedVenue`: the backtest's fill model (next open ± half spread ± slippage, fees,
///   funding, isolated margin and liquidation), used by `wick backtest` and by paper trading.
/// - a live venue (`GatewayVenue` in WickLive, over an exchange module's `LiveGateway`): the same calls become signed REST requests, and
///   fills arriving from the exchange are applied to the same `Book`.
///
/// Contract, in the order the kernel calls it for each candle time `t`:
///
/// 1. `beginSlice(time:)` — periodic charges up to `t` (funding), before the risk layer looks.
/// 2. `execute(slice:time:)` — everything submitted on earlier candles is executed against
///    the candles of `t` (market orders at the open, then protective stops, takes and liquidation
///    within each candle). A live venue applies the fills and stop triggers the exchange reported
///    since the last call instead. Fills go into `book` (`Book.open`/`Book.close`), refusals to
///    `book.listener`.
/// 3. The strategy runs on the closed candles; accepted intents arrive as `submit(...)`. A venue
///    only *records* a submitted order here: nothing leaves the process yet.
/// 4. The kernel's journal commits the decisions and order rows (write-ahead), then `send()`:
///    a live venue transmits the recorded orders now (each with its client order id, so a retry
///    can never place a second order); the simulated venue has nothing to do.
///
/// A venue never decides *whether* to trade — the strategy and the risk gate did — only how an
/// order turns into a fill. All calls come from the kernel's thread.
///
/// For a live adapter: the runner (`WickLive.Runner`) gets its venue from the adapter registered
/// in `LiveExchanges` under the run's `--exchange` (the adapter's `LiveVenue` conformance). Client order ids come from
/// `EntryOrder.clientOrderID(run:symbol:)` (exits: `clientOrderID(run:time:symbol:kind: "x")`),
/// the same ids the journal has already committed as `submitting` rows before `send()`; a
/// restarted runner finds unresolved ones with `RunLedger.submittingOrders(run:)`. Fills the
/// exchange reports are applied with `Book.open`/`Book.close` from `execute(...)` (or a stop
/// confirmed later with `Book.moveStop`), so the journal records them like simulated ones.
public protocol Venue: AnyObject {
  /// Binds the venue to the kernel's book before the first candle.
  func attach(book: Book)
  /// Funding and other periodic charges for every charge time in (last call, `time`].
  func beginSlice(time: Int64)
  /// Executes earlier orders and protective levels against the candles of `time`: `slice` holds
  /// the candles of distinct symbols (valid for the call only).
  func execute(slice: UnsafeBufferPointer<SymbolCandle>, time: Int64)
  /// An accepted, sized entry: recorded now, transmitted by `send()`, filled at the next open.
  func submit(entry: EntryOrder)
  /// Close `symbol`'s position at market (next open in simulation).
  func submit(exit symbol: Int, reason: String?)
  /// Both legs of a pair, as one unit (both fill or neither).
  func submit(pair: PairOrder)
  /// Transmits everything submitted since the last call (after the journal committed it).
  func send() throws
  /// Cancels an entry not yet filled. Returns false when there is none (or it is already out).
  func cancelEntry(symbol: Int) -> Bool
  /// Cancels a pending pair entry with exactly these legs. Returns false when there is none.
  func cancelPair(long: Int, short: Int) -> Bool
  /// An entry for `symbol` is recorded or in flight.
  func hasPendingEntry(symbol: Int) -> Bool
  /// An exit for `symbol` is recorded or in flight.
  func hasPendingExit(symbol: Int) -> Bool
  /// A pending pair entry uses one of these legs.
  func pairBusy(long: Int, short: Int) -> Bool
  /// Entries (and pair legs) accepted but not filled: they count toward position limits.
  var pendingEntries: Int { get }
  /// The kernel moved a trailing stop (effective from the next candle); a live venue pushes it to
  /// the exchange.
  func stopMoved(symbol: Int, to stop: Double)
  /// Closes a position now at market, with `price` the reference (the last close in simulation):
  /// the end of a backtest, an emergency flatten.
  func closeNow(symbol: Int, price: Double, time: Int64, reason: ExitReason, note: String?)
  /// The order kinds beyond market entries and full exits this venue executes. The kernel
  /// refuses the others with `unsupported_order` before they reach the venue.
  var capabilities: VenueCapabilities { get }
  /// Close `fraction` (0 < fraction < 1) of `symbol`'s position at market (reduce-only).
  /// Called only when `capabilities` holds `.partialExits`.
  func submit(partialExit symbol: Int, fraction: Double, reason: String?)
  /// The limit entry resting for `symbol`, if any (`ctx:orders`).
  func restingOrder(symbol: Int) -> RestingOrder?
  /// Orders sent at the last candle's close whose outcome the next `execute` would book.
  var hasUnbookedSends: Bool { get }
  /// A run's clean end (`--stop-after`, a stop command, SIGTERM): books now, at `time` (the next
  /// candle's open, where `execute` would have), what the last `send()` produced — fills,
  /// refusals, stops placed — and nothing else (no resting order, stop or take is checked).
  /// A resume or a replay that re-handles the last candle calls it again at the same point, so
  /// the next `execute` finds nothing of those orders left to book.
  func settleSent(time: Int64)
}

/// What a venue can execute besides market entries and full exits.
public struct VenueCapabilities: OptionSet, Sendable {
  public let rawValue: Int
  public init(rawValue: Int) { self.rawValue = rawValue }
  /// Resting limit and post-only entries (`ctx:enter{limit = ...}`).
  public static let limitOrders = VenueCapabilities(rawValue: 1)
  /// Partial closes (`ctx:exit{fraction = ...}`).
  public static let partialExits = VenueCapabilities(rawValue: 2)
  /// Entries that add to an open position (`ctx:enter{add = true}`).
  public static let adds = VenueCapabilities(rawValue: 4)
  public static let all: VenueCapabilities = [.limitOrders, .partialExits, .adds]
}

extension Venue {
  /// A venue that declares no extra capabilities is never asked for them (the kernel refuses
  /// such intents first), and never has a resting order.
  public var capabilities: VenueCapabilities { [] }
  public func submit(partialExit symbol: Int, fraction: Double, reason: String?) {}
  public func restingOrder(symbol: Int) -> RestingOrder? { nil }
  public var hasUnbookedSends: Bool { false }
  public func settleSent(time: Int64) {}
}

/// An entry accepted by the risk gate: the intent and the size the host chose.
public struct EntryOrder: Sendable, Equatable {
  public var intent: OrderIntent
  public var qty: Double
  /// Open time of the candle whose handling decided it.
  public var decidedAt: Int64
  public init(intent: OrderIntent, qty: Double, decidedAt: Int64) {
    self.intent = intent
    self.qty = qty
    self.decidedAt = decidedAt
  }

  /// The client order id (Bybit's `orderLinkId`) of this entry in run `run`: derived from the
  /// run, the candle and the intent, so a retry or a restart can never produce a second order.
  public func clientOrderID(run: Int64, symbol: String) -> String {
    Self.clientOrderID(run: run, time: decidedAt, symbol: symbol, kind: "e")
  }

  /// `w<run>-<candle open time>-<symbol>-<kind>`: at most 36 characters for Bybit with
  /// 12-digit run ids and a 12-character symbol; kind is `e` (entry), `x` (exit), `pl`/`ps` (legs).
  public static func clientOrderID(run: Int64, time: Int64, symbol: String, kind: String) -> String
  {
    "w\(run)-\(time / 1000)-\(symbol.prefix(12))-\(kind)"
  }
}

/// A pair entry accepted as one unit, with both legs' quantities.
public struct PairOrder: Sendable, Equatable {
  public var intent: PairIntent
  public var qtyLong: Double
  public var qtyShort: Double
  public var decidedAt: Int64
  public init(intent: PairIntent, qtyLong: Double, qtyShort: Double, decidedAt: Int64) {
    self.intent = intent
    self.qtyLong = qtyLong
    self.qtyShort = qtyShort
    self.decidedAt = decidedAt
  }
}

/// A fill and what it cost, by kind (all in quote currency). `price` includes spread and slippage.
public struct Execution: Sendable, Equatable {
  public var price: Double
  public var fee: Double
  public var spread: Double
  public var slippage: Double
  public init(price: Double, fee: Double, spread: Double = 0, slippage: Double = 0) {
    self.price = price
    self.fee = fee
    self.spread = spread
    self.slippage = slippage
  }
}

extension RestingOrder {
  /// A sized limit entry as it rests, `candlesLeft` before it expires; nil for a market entry.
  public init?(symbol: Int, order: EntryOrder, candlesLeft: Int?) {
    guard let price = order.intent.limit else { return nil }
    self.init(
      symbol: symbol, side: order.intent.side, qty: order.qty, price: price,
      postOnly: order.intent.postOnly, candlesLeft: candlesLeft, placedAt: order.decidedAt,
      add: order.intent.add)
  }
}
