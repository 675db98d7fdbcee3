import Foundation
import WickOptimize

/// Runs one trial on a thread of its own, so that a trial stuck for good costs that thread only.
///
/// When the watchdog abandons a Lua state (a callback still running, inside C code that no limit
/// reaches, past the hard deadline), the state's thread may never come back. The trial hands
/// `body` a handler for that report: the caller gets `TrialStopped` at once and its worker goes
/// on with the next set, while the abandoned thread finishes (or not) on its own; whatever it
/// returns then is dropped. A trial's `lua_State` lives and dies on the trial's thread.
enum TrialThread {
  static func run<T: Sendable>(
    _ body: @escaping @Sendable (_ onStuck: @escaping @Sendable (String) -> Void) throws -> T
  ) throws -> T {
    let outcome = Outcome<T>()
    let thread = Thread {
      let result = Result { try body { outcome.settle(.failure(TrialStopped(message: $0))) } }
      outcome.settle(result)
    }
    // Lua and the engine recurse a little; give them a main-thread-sized stack.
    thread.stackSize = 8 << 20
    thread.start()
    return try outcome.wait().get()
  }

  /// The first of the trial's result and the watchdog's report.
  private final class Outcome<T: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private let settled = DispatchSemaphore(value: 0)
    private var result: Result<T, Error>?

    func settle(_ r: Result<T, Error>) {
      lock.withLock {
        guard result == nil else { return }
        result = r
        settled.signal()
      }
    }

    func wait() -> Result<T, Error> {
      settled.wait()
      return lock.withLock { result! }
    }
  }
}
