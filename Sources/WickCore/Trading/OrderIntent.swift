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

  public init(
    symbol: Int, side: Side, stop: Double?, take: Double? = nil, trail: Double? = nil,
    risk: Double? = nil,
    tag: String? = nil
  ) {
    self.symbol = symbol
    self.side = side
    self.stop = stop
    self.take = take
    self.trail = trail
    self.risk = risk
    self.tag = tag
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
