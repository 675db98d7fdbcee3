import Foundation

/// A task executor that runs its jobs on one dedicated thread. The socket's async work prefers
/// it, so the stream keeps flowing even when every thread of Swift's cooperative pool is busy
/// (blocking work elsewhere in the process, a 2-core machine).
public final class ThreadExecutor: TaskExecutor, @unchecked Sendable {
  private let condition = NSCondition()
  private var jobs: [UnownedJob] = []

  public init(name: String) {
    let thread = Thread { [unowned self] in self.loop() }
    thread.name = name
    thread.start()
  }

  public func enqueue(_ job: consuming ExecutorJob) {
    let job = UnownedJob(job)
    condition.lock()
    jobs.append(job)
    condition.signal()
    condition.unlock()
  }

  private func loop() {
    while true {
      condition.lock()
      while jobs.isEmpty { condition.wait() }
      let next = jobs.removeFirst()
      condition.unlock()
      next.runSynchronously(on: asUnownedTaskExecutor())
    }
  }
}
