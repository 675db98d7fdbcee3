import Foundation

/// A task executor with a thread of its own, for the exchange streams: their tasks keep running
/// however busy Swift's cooperative pool is (on a 2-core machine it has two threads, and a
/// blocking caller — the runner's REST calls, a test — can hold both).
///
///     let executor = DedicatedThreadExecutor(name: "wick.bybit.private")
///     let task = executor.task { await stream.run() }
public final class DedicatedThreadExecutor: TaskExecutor, @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []

  public init(name: String) {
    // The thread keeps its executor alive: executors live as long as the process.
    let thread = Thread { self.loop() }
    thread.name = name
    thread.start()
  }

  public func enqueue(_ job: consuming ExecutorJob) {
    let unowned = UnownedJob(job)
    condition.withLock {
      jobs.append(unowned)
      condition.signal()
    }
  }

  /// A task (and its child tasks) preferring this executor.
  public func task(_ operation: @escaping @Sendable () async -> Void) -> Task<Void, Never> {
    Task(executorPreference: self, operation: operation)
  }

  private func loop() {
    while true {
      condition.lock()
      while jobs.isEmpty { condition.wait() }
      let batch = jobs
      jobs.removeAll(keepingCapacity: true)
      condition.unlock()
      for job in batch { job.runSynchronously(on: asUnownedTaskExecutor()) }
    }
  }
}
