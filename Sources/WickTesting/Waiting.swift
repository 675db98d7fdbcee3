import Foundation
import WickCore

/// Polls `condition` every `poll` until it holds or `seconds` (times `testTimeScale`) have
/// passed, and says whether it held. It sleeps between polls instead of blocking: the tests'
/// sockets, servers and runners have tasks on the cooperative pool, two threads on these
/// machines, and a test that blocked one of them would starve them.
public func eventually(
  _ seconds: Double = 15, poll: Duration = .milliseconds(20), _ condition: () -> Bool
) async -> Bool {
  let deadline = Date().addingTimeInterval(seconds * testTimeScale)
  while Date() < deadline {
    if condition() { return true }
    try? await Task.sleep(for: poll)
  }
  return condition()
}

/// Runs blocking work (a raw socket, a REST client's waits) on a thread of its own and waits
/// for it without holding a thread of the cooperative pool.
public func offPool<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
  try await withCheckedThrowingContinuation { done in
    Thread { done.resume(with: Result { try work() }) }.start()
  }
}

/// Starts `work` (a runner's whole run) on a thread of its own, at once, and returns a function
/// that waits for its outcome: up to `seconds` (times `testTimeScale`), then a failure that says
/// it did not finish.
public func startOnThread<T>(within seconds: Double, _ work: @escaping () throws -> T)
  -> () async -> Result<T, any Error>
{
  let outcome = ThreadOutcome<T>()
  nonisolated(unsafe) let work = work
  Thread {
    let result = Result { try work() }
    outcome.lock.withLock { outcome.result = result }
  }.start()
  return {
    _ = await eventually(seconds) { outcome.value != nil }
    return outcome.value
      ?? .failure(WickError.data("not finished in \(seconds * testTimeScale) s"))
  }
}

/// What a thread's work ended with, read by the waiting task.
private final class ThreadOutcome<T>: @unchecked Sendable {
  let lock = NSLock()
  var result: Result<T, any Error>?
  var value: Result<T, any Error>? { lock.withLock { result } }
}
