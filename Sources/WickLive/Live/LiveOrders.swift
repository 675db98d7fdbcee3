import Foundation
import WickCore

// What every exchange adapter reports to the kernel and the runner, whatever its exchange.

/// A fill as the live venue reports it to the kernel.
public struct LiveFill: Sendable, Equatable {
  public var orderLinkId: String
  public var qty: Double
  public var price: Double
  public var fee: Double
  public init(orderLinkId: String, qty: Double, price: Double, fee: Double) {
    self.orderLinkId = orderLinkId
    self.qty = qty
    self.price = price
    self.fee = fee
  }
}

/// How an entry ended.
public enum EntryOutcome: Sendable, Equatable {
  /// Filled, and the stop (and take) verified on the exchange's position.
  case protected(LiveFill, stop: Double?, take: Double?)
  /// Nothing filled: refused, cancelled, or never reached the exchange.
  case unfilled(String)
  /// Filled, but the stop could not be put in place: the position was closed at market.
  case panicClosed(LiveFill, exit: LiveFill, reason: String)
}

/// Timeouts of the live venue. Defaults suit the exchange; tests shorten them.
public struct ExecutionTiming: Sendable {
  /// How long a market order may take to reach a final state.
  public var fillTimeout: TimeInterval = 15
  /// How long the stop has to appear on the position before the panic close.
  public var stopVerifyTimeout: TimeInterval = 4
  /// REST poll interval while the stream is down (and as a safety net while it is up).
  public var pollInterval: TimeInterval = 0.5
  /// Queries by orderLinkId before an unknown outcome counts as "not placed".
  public var resolveAttempts = 5
  public init() {}
}

/// A position as Wick's ledger holds it.
public struct LocalPosition: Sendable, Equatable {
  public var symbol: String
  public var side: Side
  public var qty: Double
  public var stop: Double?
  public var take: Double?
  /// The entry's orderLinkId (the panic close derives its id from it).
  public var entryLinkID: String
  public init(
    symbol: String, side: Side, qty: Double, stop: Double?, take: Double?, entryLinkID: String
  ) {
    self.symbol = symbol
    self.side = side
    self.qty = qty
    self.stop = stop
    self.take = take
    self.entryLinkID = entryLinkID
  }
}
