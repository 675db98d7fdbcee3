import Foundation
import WickCore

/// Overlaps the network with the database: a worker thread fetches and parses the next windows
/// while the caller writes the current one. Windows come out in order; an error comes out in the
/// place of the window that failed, so everything before it is still written.
final class PagePipeline: @unchecked Sendable {
  /// One window's candles and the requests it took to cover it.
  struct Page {
    var window: Range<Int64>
    var candles: [Candle]
    var requests: Int
  }

  private let condition = NSCondition()
  private var queue: [Result<Page, Error>] = []
  private var producing = true
  private var cancelled = false
  private let capacity: Int

  init(capacity: Int = 2) { self.capacity = capacity }

  /// Starts `produce` on its own thread; it calls `push` per page and returns when done.
  func start(_ produce: @escaping @Sendable (PagePipeline) -> Void) {
    Thread {
      produce(self)
      self.condition.lock()
      self.producing = false
      self.condition.broadcast()
      self.condition.unlock()
    }.start()
  }

  /// Hands a page (or the error that replaced it) to the consumer; waits while the queue is
  /// full. Returns false when the consumer has stopped, so the producer should stop too.
  func push(_ item: Result<Page, Error>) -> Bool {
    condition.lock()
    defer { condition.unlock() }
    while queue.count >= capacity && !cancelled { condition.wait() }
    guard !cancelled else { return false }
    queue.append(item)
    condition.broadcast()
    return true
  }

  var isCancelled: Bool { condition.withLock { cancelled } }

  /// The next page in order, or nil when the producer has finished and everything was taken.
  func next() -> Result<Page, Error>? {
    condition.lock()
    defer { condition.unlock() }
    while queue.isEmpty && producing { condition.wait() }
    guard !queue.isEmpty else { return nil }
    let item = queue.removeFirst()
    condition.broadcast()
    return item
  }

  /// Stops the producer and waits for its thread to finish (it may be in a request), so nothing
  /// else uses the HTTP client concurrently afterwards.
  func stop() {
    condition.lock()
    cancelled = true
    condition.broadcast()
    while producing { condition.wait() }
    condition.unlock()
  }
}
