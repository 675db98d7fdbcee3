import Foundation

/// What the socket side hands the runner's thread.
public enum StreamEvent: Sendable, Equatable {
  case update(KlineUpdate)
  /// (Re)connected and subscribed: the runner backfills whatever closed while it was away.
  case connected
  /// The socket closed or failed; it reconnects on its own after a backoff.
  case disconnected(String)
}

/// A thread-safe queue between the WebSocket's event loop and the runner's thread, which waits
/// with a timeout so it can poll commands in between.
public final class KlineInbox: @unchecked Sendable {
  private let condition = NSCondition()
  private var events: [StreamEvent] = []

  public init() {}

  public func push(_ event: StreamEvent) {
    condition.lock()
    events.append(event)
    condition.signal()
    condition.unlock()
  }

  /// Whether anything is queued (without taking it).
  public var hasEvents: Bool {
    condition.lock()
    defer { condition.unlock() }
    return !events.isEmpty
  }

  /// Everything queued, waiting up to `timeout` seconds for at least one event.
  public func drain(timeout: TimeInterval) -> [StreamEvent] {
    condition.lock()
    defer { condition.unlock() }
    let deadline = Date().addingTimeInterval(timeout)
    while events.isEmpty {
      if !condition.wait(until: deadline) { break }
    }
    let out = events
    events.removeAll(keepingCapacity: true)
    return out
  }
}
