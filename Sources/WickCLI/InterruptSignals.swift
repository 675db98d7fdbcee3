import Foundation

/// SIGINT and SIGTERM (Ctrl-C, `systemctl stop`, a cluster evicting a pod) handed to the command
/// instead of ending the process: `onSignal` runs on each, and `wait()` returns once one has
/// arrived. `restore()` (or releasing it) gives both signals their default action back.
///
///     let interrupts = InterruptSignals { cancel.cancel() }
///     defer { interrupts.restore() }
final class InterruptSignals: @unchecked Sendable {
  private static let numbers = [SIGINT, SIGTERM]
  private let lock = NSLock()
  private var arrived = false
  private var waiters: [CheckedContinuation<Void, Never>] = []
  private var sources: [any DispatchSourceSignal] = []

  init(onSignal: @escaping @Sendable () -> Void = {}) {
    sources = Self.numbers.map { number in
      // Ignored, so that the signal reaches the dispatch source instead of ending the process.
      signal(number, SIG_IGN)
      let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
      source.setEventHandler { [weak self] in
        onSignal()
        self?.arrive()
      }
      source.resume()
      return source
    }
  }

  deinit { restore() }

  /// Returns once SIGINT or SIGTERM has arrived (at once if one already has).
  func wait() async {
    await withCheckedContinuation { waiter in
      let now = lock.withLock {
        if arrived { return true }
        waiters.append(waiter)
        return false
      }
      if now { waiter.resume() }
    }
  }

  /// Stops listening; the signals end the process again.
  func restore() {
    let stopping = lock.withLock {
      defer { sources = [] }
      return sources
    }
    guard !stopping.isEmpty else { return }
    for source in stopping { source.cancel() }
    for number in Self.numbers { signal(number, SIG_DFL) }
  }

  private func arrive() {
    let woken = lock.withLock {
      arrived = true
      defer { waiters = [] }
      return waiters
    }
    for waiter in woken { waiter.resume() }
  }
}
