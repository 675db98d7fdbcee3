import Foundation
import WickLive

/// What Wick knows of its orders, fills and positions on the exchange, fed by the private
/// stream and by REST polls alike, so a caller waits on one place whichever source is up.
///
/// Streams repeat and reorder messages: an execution is kept once (by `execId`); an order or
/// position update older than the one held (by `updatedTime`) is dropped, and a final order
/// state is never replaced by a non-final one.
public final class BybitEventInbox: @unchecked Sendable {
  private let condition = NSCondition()
  private var orders: [String: BybitOrder] = [:]
  private var positions: [String: BybitPosition] = [:]
  private var seenExecutions: Set<String> = []
  private var freshExecutions: [BybitExecution] = []
  private var up = false
  private var applied = 0
  private var duplicates = 0
  /// The shared live machinery's inbox, which gets every order update in the runner's terms.
  private var shared: LiveOrderInbox?

  public init() {}

  /// Forwards order updates and the stream's state to `inbox` (`BybitGateway`); a position
  /// left open without a stop, or a stream back after a gap, marks it stale so the venue
  /// reconciles at its next heartbeat instead of waiting 30 s.
  public func forward(to inbox: LiveOrderInbox) { condition.withLock { shared = inbox } }

  /// True while the private stream is authenticated and subscribed.
  public var streamUp: Bool { condition.withLock { up } }

  public func setStreamUp(_ value: Bool) {
    condition.withLock {
      up = value
      condition.broadcast()
      shared?.setStreamUp(value)
      if value { shared?.markStale() }  // what happened during the gap is read over REST
    }
  }

  /// Messages applied and messages dropped as repeated or stale (tests, diagnostics).
  public var counts: (applied: Int, dropped: Int) { condition.withLock { (applied, duplicates) } }

  public func apply(_ order: BybitOrder) {
    condition.withLock {
      let key = order.orderLinkId.isEmpty ? order.orderId : order.orderLinkId
      if let held = orders[key],
        held.updatedTime > order.updatedTime || (held.isFinal && !order.isFinal)
          || (held.updatedTime == order.updatedTime && held.cumExecQty >= order.cumExecQty)
      {
        duplicates += 1
        return
      }
      orders[key] = order
      applied += 1
      condition.broadcast()
      if !order.orderLinkId.isEmpty { shared?.apply(BybitGateway.gatewayOrder(order)) }
    }
  }

  public func apply(_ execution: BybitExecution) {
    condition.withLock {
      guard seenExecutions.insert(execution.execId).inserted else {
        duplicates += 1
        return
      }
      freshExecutions.append(execution)
      // Nobody may be draining (fills are read from orders): keep the recent ones only.
      if freshExecutions.count > 1_000 {
        freshExecutions.removeFirst(freshExecutions.count - 1_000)
      }
      applied += 1
      condition.broadcast()
    }
  }

  public func apply(_ position: BybitPosition) {
    condition.withLock {
      if let held = positions[position.symbol], held.updatedTime > position.updatedTime {
        duplicates += 1
        return
      }
      positions[position.symbol] = position
      applied += 1
      condition.broadcast()
      if position.isOpen, position.stopLoss == nil { shared?.markStale() }
    }
  }

  public func order(linkID: String) -> BybitOrder? { condition.withLock { orders[linkID] } }
  public func position(symbol: String) -> BybitPosition? {
    condition.withLock { positions[symbol] }
  }

  /// Fills not handed out before, in arrival order.
  public func drainExecutions() -> [BybitExecution] {
    condition.withLock {
      defer { freshExecutions.removeAll() }
      return freshExecutions
    }
  }

  /// Waits until `done` holds or `timeout` passes; `done` runs under the inbox's lock, on its state.
  @discardableResult
  public func wait(timeout: TimeInterval, until done: (BybitEventInbox.Snapshot) -> Bool) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    condition.lock()
    defer { condition.unlock() }
    while !done(Snapshot(orders: orders, positions: positions, streamUp: up)) {
      if !condition.wait(until: deadline) {
        return done(Snapshot(orders: orders, positions: positions, streamUp: up))
      }
    }
    return true
  }

  public struct Snapshot {
    public let orders: [String: BybitOrder]
    public let positions: [String: BybitPosition]
    public let streamUp: Bool
  }
}
