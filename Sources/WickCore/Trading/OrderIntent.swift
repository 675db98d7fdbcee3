/// What a strategy asks for: "go long/short here, with this stop". The host decides the quantity
/// (risk sizing), may refuse with a reason, and executes it at the next candle's open at the earliest.
public struct OrderIntent: Sendable, Equatable {
  public var symbol: Int
  public var side: Side
  /// Protective stop price. Mandatory unless the risk config allows otherwise.
  public var stop: Double?
  /// Take-profit price.
  public var take: Double?
  /// Trailing-stop distance in price units: the stop follows the best close by this distance.
  public var trail: Double?
  /// Fraction of equity to risk to the stop; nil uses the configured default. Capped by config.
  public var risk: Double?
  public var tag: String?
  /// A resting entry at this price instead of a market one (`limit = price`).
  public var limit: Double?
  /// The limit order may only add liquidity: refused when it would cross the market when placed,
  /// and never filled at a better open (it rests on the book at its price).
  public var postOnly: Bool
  /// Candles (of its symbol) the limit order rests before it expires; nil: good till cancelled.
  public var expire: Int?
  /// Adds to an open position in the same direction (pyramiding), sized against the new stop.
  public var add: Bool

  public init(
    symbol: Int, side: Side, stop: Double?, take: Double? = nil, trail: Double? = nil,
    risk: Double? = nil,
    tag: String? = nil, limit: Double? = nil, postOnly: Bool = false, expire: Int? = nil,
    add: Bool = false
  ) {
    self.symbol = symbol
    self.side = side
    self.stop = stop
    self.take = take
    self.trail = trail
    self.risk = risk
    self.tag = tag
    self.limit = limit
    self.postOnly = postOnly
    self.expire = expire
    self.add = add
  }

  /// How this intent enters: at market, or resting at its limit price.
  public var entryType: EntryType { limit == nil ? .market : .limit }
}

/// How a position (or the part of it a fill added) entered: the JSON trade field `entry_type`.
public enum EntryType: String, Sendable, Codable, Hashable {
  case market
  case limit
}

/// A limit entry resting at the venue, as `ctx:orders` lists it.
public struct RestingOrder: Sendable, Equatable {
  public var symbol: Int
  public var side: Side
  public var qty: Double
  public var price: Double
  public var postOnly: Bool
  /// Candles left before it expires (nil: good till cancelled).
  public var candlesLeft: Int?
  /// Open time of the candle whose handling placed it.
  public var placedAt: Int64
  public var add: Bool
  public init(
    symbol: Int, side: Side, qty: Double, price: Double, postOnly: Bool, candlesLeft: Int?,
    placedAt: Int64, add: Bool = false
  ) {
    self.symbol = symbol
    self.side = side
    self.qty = qty
    self.price = price
    self.postOnly = postOnly
    self.candlesLeft = candlesLeft
    self.placedAt = placedAt
    self.add = add
  }
}

/// What became of a run's limit orders, and the maker fees their fills paid (reports).
public struct LimitOrderStats: Sendable, Equatable {
  public var placed = 0
  public var filled = 0
  public var expired = 0
  public var cancelled = 0
  /// Fees paid at the maker rate (limit fills); every other fee is a taker fee.
  public var makerFees = 0.0
  public init(
    placed: Int = 0, filled: Int = 0, expired: Int = 0, cancelled: Int = 0, makerFees: Double = 0
  ) {
    self.placed = placed
    self.filled = filled
    self.expired = expired
    self.cancelled = cancelled
    self.makerFees = makerFees
  }
}

/// The host's answer to an intent.
public enum IntentOutcome: Sendable, Equatable {
  /// Accepted: an order of `qty` will be executed at the next opportunity.
  case accepted(qty: Double)
  /// Refused, with the reason a script can read and the report counts.
  case refused(Refusal)
}

/// Why an intent was refused. `code` is stable (counted in reports); `detail` is for humans.
public struct Refusal: Sendable, Equatable, Hashable, Error, CustomStringConvertible {
  public var code: String
  public var detail: String
  public init(_ code: String, _ detail: String) {
    self.code = code
    self.detail = detail
  }
  public var description: String { "\(code): \(detail)" }
}
