import Foundation

/// Set from a signal handler or another thread; workers check it before starting each trial.
public final class CancellationFlag: @unchecked Sendable {
  private let lock = NSLock()
  private var cancelled = false
  public init() {}
  public func cancel() {
    lock.lock()
    cancelled = true
    lock.unlock()
  }
  public var isCancelled: Bool {
    lock.lock()
    defer { lock.unlock() }
    return cancelled
  }
}

/// Runs `work` over `items` on `workers` threads; results come back to the calling thread in
/// completion order. A thread keeps whatever it creates (a `lua_State`) to itself. On the first
/// error or a cancellation no new item starts; items already running finish and are delivered.
enum WorkerPool {
  static func run<R: Sendable>(
    items: [Int], workers: Int, cancel: CancellationFlag,
    work: @escaping @Sendable (Int) throws -> R, collect: (Int, R) throws -> Void
  ) throws {
    guard !items.isEmpty else { return }
    let shared = Shared<R>(items: items, running: min(workers, items.count))
    for n in 0..<shared.running {
      let thread = Thread {
        while let item = shared.take(cancel: cancel) {
          shared.deliver(item, Result { try work(item) })
        }
        shared.exit()
      }
      thread.name = "wick.sweep.\(n)"
      // Lua and the engine recurse a little; give them a main-thread-sized stack.
      thread.stackSize = 8 << 20
      thread.start()
    }
    var firstError: Error? = nil
    while true {
      shared.signal.wait()
      let (batch, running) = shared.drain()
      for (item, result) in batch {
        switch result {
        case .success(let r):
          do { try collect(item, r) } catch {
            if firstError == nil { firstError = error }
            cancel.cancel()
          }
        case .failure(let error):
          if firstError == nil { firstError = error }
          cancel.cancel()
        }
      }
      // A worker delivers before it exits, under the same lock: with none running, this batch
      // held the last results.
      if running == 0 { break }
    }
    if let firstError { throw firstError }
  }

  private final class Shared<R: Sendable>: @unchecked Sendable {
    let lock = NSLock()
    let signal = DispatchSemaphore(value: 0)
    let items: [Int]
    var next = 0
    var running: Int
    var finished: [(Int, Result<R, Error>)] = []

    init(items: [Int], running: Int) {
      self.items = items
      self.running = running
    }

    func take(cancel: CancellationFlag) -> Int? {
      if cancel.isCancelled { return nil }
      lock.lock()
      defer { lock.unlock() }
      guard next < items.count else { return nil }
      next += 1
      return items[next - 1]
    }

    func deliver(_ item: Int, _ result: Result<R, Error>) {
      lock.lock()
      finished.append((item, result))
      lock.unlock()
      signal.signal()
    }

    func exit() {
      lock.lock()
      running -= 1
      lock.unlock()
      signal.signal()
    }

    func drain() -> ([(Int, Result<R, Error>)], Int) {
      lock.lock()
      defer { lock.unlock() }
      let batch = finished
      finished = []
      return (batch, running)
    }
  }
}
