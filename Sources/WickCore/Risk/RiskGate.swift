/// What the engine shows the risk layer about the book when an intent arrives. Implemented by
/// the backtest engine and by the live runner, so the same rules run in both.
public protocol PortfolioView: AnyObject {
  var symbols: [String] { get }
  /// Open position of a symbol, if any.
  func position(symbol: Int) -> Position?
  /// Last close of a symbol (0 before its first candle).
  func lastPrice(symbol: Int) -> Double
  /// Cash plus unrealised PnL.
  func equity() -> Double
  /// Initial margin currently locked by open positions.
  func marginInUse() -> Double
  /// Entries (and pair legs) accepted but not filled yet: they count toward position limits.
  var pendingEntries: Int { get }
  /// Signed notional (long +, short −) of the limit entries resting at the venue, at their
  /// limit prices: the exposure rules count them as if filled.
  var restingNotional: Double { get }
  /// Pairs (`ctx:enter_pair`) among the open positions and pending entries: a pair's two legs
  /// are one position toward `max_concurrent_positions`, so the cap counts one less per pair.
  var pairedUnits: Int { get }
}

extension PortfolioView {
  public var restingNotional: Double { 0 }
  public var pairedUnits: Int { 0 }
}

/// An intent with what it takes to size it: the engine's expected entry price is the last close,
/// or the limit price of a limit entry.
public struct RiskRequest: Sendable {
  public var intent: OrderIntent
  public var referencePrice: Double
  public var time: Int64
  /// The open position an `add = true` entry adds to: the add is sized so that the combined
  /// position risks no more than one entry's budget at the new stop.
  public var adding: Position?
  public init(intent: OrderIntent, referencePrice: Double, time: Int64, adding: Position? = nil) {
    self.intent = intent
    self.referencePrice = referencePrice
    self.time = time
    self.adding = adding
  }
}

/// The host-owned risk layer: sizes intents or refuses them with a reason, and learns from
/// closed trades (loss streaks, daily loss, drawdown). One implementation serves backtest, paper
/// and live.
public protocol RiskGate: AnyObject {
  /// Sizes or refuses an entry. `.accepted(qty)` reserves nothing yet: `recordOpen` follows a fill.
  func review(_ request: RiskRequest, portfolio: PortfolioView) -> IntentOutcome
  /// A position was opened (filled).
  func recordOpen(_ position: Position, time: Int64)
  /// A position was closed.
  func recordClose(_ trade: Trade, symbol: Int, time: Int64, portfolio: PortfolioView)
  /// Called on every new candle time before fills: daily resets and kill checks. Returns symbols
  /// whose positions must be flattened now (e.g. an emergency stop), with the reason.
  func advance(to time: Int64, portfolio: PortfolioView) -> [(symbol: Int, reason: String)]
  /// Admits (nil) or refuses legs the engine has already sized, as one unit: pair trades are
  /// sized by their spread, but the account, governor and cap rules still apply to every leg.
  func admit(legs: [(symbol: Int, side: Side, qty: Double)], time: Int64, portfolio: PortfolioView)
    -> Refusal?
  /// The fraction of equity an entry risks when it asks for `requested` (nil: the configured
  /// default), or the refusal when it is outside the configured range. Single entries and pair
  /// entries are held to the same range.
  func riskFraction(_ requested: Double?) -> Result<Double, Refusal>
  /// Leverage used for margin: initial margin = notional / leverage.
  var leverage: Double { get }
  /// Human-readable list of the limits in force, for the summary.
  var limitsInForce: [String] { get }
  /// The instrument's quantity rules for a symbol, when configured or read from the exchange
  /// (nil: unknown). Partial closes are floored by them (`PartialClose`).
  func lotRules(symbol: Int) -> LotRules?
}

extension RiskGate {
  public func lotRules(symbol: Int) -> LotRules? { nil }
}

/// Something the risk layer did or saw, for the log, the report and persistence.
public struct RiskEvent: Sendable, Equatable {
  public enum Kind: String, Sendable {
    case refusal, kill, breach, emergency, reset
    /// A daily loss limit closed positions (`flatten_on_daily_loss`).
    case dailyLoss = "daily_loss"
  }
  public var time: Int64
  public var kind: Kind
  public var account: String
  public var detail: String
  public init(time: Int64, kind: Kind, account: String, detail: String) {
    self.time = time
    self.kind = kind
    self.account = account
    self.detail = detail
  }
}

/// The state of one virtual account when it changed: what the report plots over time.
public struct RiskStatePoint: Sendable, Equatable {
  public var time: Int64
  public var account: String
  public var decayFactor: Double
  public var dailyLossUsed: Double
  public var killed: Bool
  public init(
    time: Int64, account: String, decayFactor: Double, dailyLossUsed: Double, killed: Bool
  ) {
    self.time = time
    self.account = account
    self.decayFactor = decayFactor
    self.dailyLossUsed = dailyLossUsed
    self.killed = killed
  }
}

/// Risk gates that keep an event log and a state history expose them here.
public protocol RiskJournal: AnyObject {
  var events: [RiskEvent] { get }
  var statePoints: [RiskStatePoint] { get }
}
