import Foundation
import WickCore
import WickRisk

/// What an exchange adapter must do for the shared live machinery (`LiveExecutor`,
/// `LiveReconciler`, `GatewayVenue`): place and look up orders by client id, show a position with
/// the stop the exchange holds for it, put a stop on, and read the wallet and funding. The safety
/// rules (write-ahead, never resend on an unknown outcome, the stop verified or a panic close,
/// reconcile and never adopt) live once in those types; an adapter only speaks its exchange.
///
/// Blocking calls, from the runner's thread.
public protocol LiveGateway: LiveAccountSource, AnyObject, Sendable {
  /// "the Binance USDⓈ-M account" (messages).
  var accountName: String { get }
  /// The exchange's clock now (ms).
  func serverNow() -> Int64
  /// Where stream updates arrive; the executor waits on it before polling REST.
  var inbox: LiveOrderInbox { get }

  /// Sends one market order under `clientOrderID`. Throws `LiveOrderError`: `.rejected` and
  /// `.unavailable` when the exchange certainly did not act, `.duplicate` when the id was used
  /// before, `.unknownOutcome` when it may have.
  func placeMarket(
    symbol: String, buy: Bool, qty: String, clientOrderID: String, reduceOnly: Bool
  ) throws -> GatewayOrder
  /// Sends an entry's market order with the position's `stop` (and `take`) attached where the
  /// exchange takes them on the order, so they arrive with the fill (Bybit); the executor still
  /// verifies the stop after the fill. The default sends a plain market order
  /// (`LiveGateway+Entry.swift`). Throws like `placeMarket`.
  func placeEntry(
    symbol: String, buy: Bool, qty: String, clientOrderID: String, stop: String, take: String?
  ) throws -> GatewayOrder
  /// The order with this client id; nil when the exchange has none.
  func order(clientOrderID: String, symbol: String) throws -> GatewayOrder?
  /// The symbol's one-way position with the stop (and take) the exchange holds for it.
  func position(symbol: String) throws -> GatewayPosition
  /// Puts `stop` (and `take`) on the open position of `symbol`, replacing Wick's earlier ones.
  /// `clientID` is the decision's id (the adapter derives the conditional orders' ids from it).
  /// Throws when it was not placed.
  func setStop(
    symbol: String, position: GatewayPosition, stop: String, take: String?, clientID: String)
    throws
  /// Removes the run's conditional orders (client ids starting with `prefix`) left on a flat
  /// symbol: they protect nothing.
  func clearStops(symbol: String, prefix: String) throws
  /// Open orders on `symbol` whose client ids do not start with `prefix`, described for an
  /// incident.
  func foreignOrders(symbol: String, prefix: String) throws -> [String]
  /// The symbol's most recent fill on the exchange (a close found by reconciliation).
  func lastFill(symbol: String) throws -> LiveFill?
}

/// Why an order call failed, in the terms the executor acts on.
public enum LiveOrderError: Error, Equatable, CustomStringConvertible {
  /// The exchange refused it: nothing happened.
  case rejected(String)
  /// Every attempt failed before the exchange acted.
  case unavailable(String)
  /// The exchange has an order with this id already (a retry after a lost answer or a crash).
  case duplicate(String)
  /// It went out and no definitive answer came back: look it up by its id.
  case unknownOutcome(String)

  public var description: String {
    switch self {
    case .rejected(let s), .unavailable(let s), .duplicate(let s), .unknownOutcome(let s): return s
    }
  }
}

/// An order as the exchange lists it, in the runner's terms.
public struct GatewayOrder: Sendable, Equatable {
  public var clientOrderID: String
  public var symbol: String
  public var state: LiveOrderState
  public var filledQty: Double
  public var avgPrice: Double
  public var fee: Double
  /// The exchange's update time (ms): an older update never replaces a newer one.
  public var updated: Int64
  public var reason: String?

  public init(
    clientOrderID: String, symbol: String, state: LiveOrderState, filledQty: Double,
    avgPrice: Double, fee: Double, updated: Int64, reason: String? = nil
  ) {
    self.clientOrderID = clientOrderID
    self.symbol = symbol
    self.state = state
    self.filledQty = filledQty
    self.avgPrice = avgPrice
    self.fee = fee
    self.updated = updated
    self.reason = reason
  }

  public var isFinal: Bool { state != .submitting && state != .notSent }
  public var fill: LiveFill? {
    filledQty > 0
      ? LiveFill(orderLinkId: clientOrderID, qty: filledQty, price: avgPrice, fee: fee) : nil
  }
}

/// A one-way position and its protection on the exchange.
public struct GatewayPosition: Sendable, Equatable {
  public var symbol: String
  public var side: Side?
  public var size: Double
  public var entryPrice: Double
  /// The stop the exchange holds for the position (nil: none).
  public var stop: Double?
  public var take: Double?

  public init(
    symbol: String, side: Side?, size: Double, entryPrice: Double, stop: Double? = nil,
    take: Double? = nil
  ) {
    self.symbol = symbol
    self.side = side
    self.size = size
    self.entryPrice = entryPrice
    self.stop = stop
    self.take = take
  }

  public var isOpen: Bool { side != nil && size > 0 }
}

public struct GatewayWallet: Sendable, Equatable {
  /// Wallet balance plus unrealised PnL (what sizing uses).
  public var equity: Double
  /// Deposits, fees, realised PnL and funding: what the book's cash must follow.
  public var balance: Double
  public init(equity: Double, balance: Double) {
    self.equity = equity
    self.balance = balance
  }
}

public struct GatewayFunding: Sendable, Equatable {
  public var time: Int64
  /// Received (+) or paid (−), in USDT.
  public var amount: Double
  /// The rate when the exchange lists it; else derived from the amount and the position.
  public var rate: Double?
  public init(time: Int64, amount: Double, rate: Double?) {
    self.time = time
    self.amount = amount
    self.rate = rate
  }
}

/// Order updates from an exchange's private stream (and REST polls), by client order id, so
/// the executor waits on one place whichever source is up. An older update never replaces a
/// newer one, and a final state is never replaced by a working one.
public final class LiveOrderInbox: @unchecked Sendable {
  private let condition = NSCondition()
  private var orders: [String: GatewayOrder] = [:]
  private var up = false
  private var events = 0

  public init() {}

  /// True while the private stream is connected (REST polls less often then).
  public var streamUp: Bool { condition.withLock { up } }
  public func setStreamUp(_ value: Bool) {
    condition.withLock {
      up = value
      condition.broadcast()
    }
  }

  /// Updates applied so far (tests, diagnostics).
  public var applied: Int { condition.withLock { events } }

  private var alerts = 0
  /// The stream saw something reconciliation must look at (a position or a stop changed on the
  /// exchange, or the stream reconnected after a gap): the venue reconciles at its next
  /// heartbeat instead of waiting for the 30 s.
  public func markStale() { condition.withLock { alerts += 1 } }
  /// How many times `markStale` was called; the venue compares it with what it last handled.
  public var staleMarks: Int { condition.withLock { alerts } }

  public func apply(_ order: GatewayOrder) {
    condition.withLock {
      if let held = orders[order.clientOrderID],
        held.updated > order.updated || (held.isFinal && !order.isFinal)
          || (held.updated == order.updated && held.filledQty > order.filledQty)
      {
        return
      }
      orders[order.clientOrderID] = order
      events += 1
      condition.broadcast()
    }
  }

  public func order(_ clientOrderID: String) -> GatewayOrder? {
    condition.withLock { orders[clientOrderID] }
  }

  /// Orders not yet final (a stream that reconnects looks them up over REST).
  public func working() -> [GatewayOrder] {
    condition.withLock { orders.values.filter { !$0.isFinal && $0.state != .notSent } }
  }

  /// Waits up to `timeout` for the order to reach a final state; true when it has.
  public func waitFinal(_ clientOrderID: String, timeout: TimeInterval) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while orders[clientOrderID]?.isFinal != true {
      if !condition.wait(until: deadline) { return orders[clientOrderID]?.isFinal == true }
    }
    return true
  }
}
