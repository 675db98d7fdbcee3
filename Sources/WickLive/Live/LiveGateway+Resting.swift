import Foundation
import WickCore
import WickSim

/// What an adapter adds to `LiveGateway` to rest limit and post-only entries on the exchange.
/// Conforming is the capability: `GatewayVenue` offers `ctx:enter{limit = ...}` only over a
/// gateway that conforms, and refuses it with `unsupported_order` over one that does not.
///
/// The safety rules stay in the shared layer (`LiveExecutor+Resting`, `GatewayVenue+Resting`):
/// the order is written ahead and sent once under its client id, an unknown outcome is looked up
/// and never resent, its fills (partial too) put the stop on the position exactly as a market
/// fill does, a cancel that races a fill lets the fill win.
public protocol LiveRestingGateway: LiveGateway {
  /// Rests a limit order under `clientOrderID`: good till cancelled, or post-only (the exchange
  /// refuses it rather than let it take liquidity). Throws `LiveOrderError` like `placeMarket`,
  /// and `PostOnlyWouldCross` when the exchange refused a post-only order because it would have
  /// crossed the book.
  func placeLimit(
    symbol: String, buy: Bool, qty: String, price: String, postOnly: Bool, clientOrderID: String
  ) throws -> GatewayOrder
  /// Asks the exchange to cancel the order with this client id. Returns false when the exchange
  /// knows no working order under it (already filled, cancelled, or never placed): the caller
  /// looks it up. Throws `LiveOrderError` when the request failed.
  func cancelOrder(clientOrderID: String, symbol: String) throws -> Bool
  /// The symbol's working orders whose client ids start with `prefix` (the run's own).
  func openOrders(symbol: String, prefix: String) throws -> [GatewayOrder]
}

/// A post-only order the exchange refused because it would have taken liquidity (Binance's
/// -5022 for a GTX order; Bybit's `EC_PostOnlyWillTakeLiquidity` cancellation).
public struct PostOnlyWouldCross: Error, Equatable, CustomStringConvertible {
  public var detail: String
  public init(_ detail: String) { self.detail = detail }
  public var description: String { detail }
}

/// A resting entry as the live venue tracks it between its placement and its end.
public struct LiveRestingOrder: Sendable, Equatable {
  public var entry: EntryOrder
  public var clientOrderID: String
  public var symbol: String
  /// Candles of its symbol it may still rest (nil: good till cancelled).
  public var candlesLeft: Int?
  /// The filled quantity whose stop has been put on and verified (partial fills too).
  public var protectedQty: Double = 0
  /// The stop that went on (rounded to the tick), once it did.
  public var stop: Double?
  public var take: Double?

  public init(entry: EntryOrder, clientOrderID: String, symbol: String) {
    self.entry = entry
    self.clientOrderID = clientOrderID
    self.symbol = symbol
    candlesLeft = entry.intent.expire
  }
}
