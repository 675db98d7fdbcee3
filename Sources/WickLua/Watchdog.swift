import CLua
import Foundation

/// The one thread per process that enforces every Lua state's wall-clock budget.
///
/// A callback costs the watchdog nothing: `wick_pcall` bumps the state's generation (odd while a
/// callback runs) with two plain stores. The watchdog wakes a few times per budget, and when a
/// state shows the same odd generation for longer than its budget it marks that generation as
/// overrun and signals the state's thread, whose signal handler arms the sticky limit hook (see
/// `CLua/shim.h`). It signals again on every tick until the callback ends. If the callback is
/// still running `hardDeadline` later (stuck in C code no limit reaches), the watchdog gives up
/// on the state: it marks it abandoned and reports through the state's `onStuck` handler.
final class Watchdog: @unchecked Sendable {
  static let shared = Watchdog()

  /// Whether this process runs under ThreadSanitizer (its runtime defines `__tsan_init`), which
  /// holds an asynchronous signal until the thread next calls an intercepted libc function: a
  /// pure Lua loop would never see the watchdog's signal. States then find the watchdog's verdict
  /// with a count hook instead (`poll` in `CLua/shim.h`); the limits and errors are the same.
  static let signalsAreDeferred: Bool = dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") != nil

  /// What the handler of a stuck state receives: callback, symbol index and candle time.
  typealias Report = @Sendable (_ callback: Int32, _ symbol: Int32, _ candleTime: Int64) -> Void

  private struct Entry {
    let runtime: UnsafeMutablePointer<wick_runtime>
    let hardDeadline: UInt64
    var report: Report
    var generation: UInt64 = 0
    var since: UInt64 = 0
    var abandonedGeneration: UInt64 = 0
  }

  private let condition = NSCondition()
  private var entries: [Entry] = []
  /// Runtimes of closed states, freed a while later: a signal sent just before a state was
  /// unregistered may still be on its way to that runtime's thread.
  private var retired: [(runtime: UnsafeMutablePointer<wick_runtime>, at: UInt64)] = []
  private var running = false

  func register(
    _ runtime: UnsafeMutablePointer<wick_runtime>, hardDeadlineSeconds: Double,
    report: @escaping Report
  ) {
    condition.lock()
    defer { condition.unlock() }
    entries.append(
      Entry(runtime: runtime, hardDeadline: Self.nanoseconds(hardDeadlineSeconds), report: report))
    if !running {
      running = true
      wick_install_watchdog_signal()
      let thread = Thread { [self] in watch() }
      thread.name = "wick-lua-watchdog"
      thread.stackSize = 256 << 10
      thread.start()
    }
    condition.signal()
  }

  /// Replaces the report handler (e.g. once the run's symbols are known).
  func update(_ runtime: UnsafeMutablePointer<wick_runtime>, report: @escaping Report) {
    condition.lock()
    defer { condition.unlock() }
    if let i = entries.firstIndex(where: { $0.runtime == runtime }) { entries[i].report = report }
  }

  /// Called before the state is closed; never while its callback runs.
  func unregister(_ runtime: UnsafeMutablePointer<wick_runtime>) {
    condition.lock()
    defer { condition.unlock() }
    entries.removeAll { $0.runtime == runtime }
  }

  /// Frees a closed state's runtime once no signal can still be on its way to it.
  func retire(_ runtime: UnsafeMutablePointer<wick_runtime>) {
    condition.lock()
    defer { condition.unlock() }
    guard running else { return wick_runtime_destroy(runtime) }
    retired.append((runtime, Self.now()))
  }

  static func nanoseconds(_ seconds: Double) -> UInt64 {
    seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9)
  }

  private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

  private func watch() {
    while true {
      var stuck: [() -> Void] = []
      var tick: UInt64 = 50_000_000
      condition.lock()
      while entries.isEmpty && retired.isEmpty { condition.wait() }
      let now = Self.now()
      while let first = retired.first, now - first.at > 1_000_000_000 {
        wick_runtime_destroy(first.runtime)
        retired.removeFirst()
      }
      for i in entries.indices {
        let rt = entries[i].runtime
        let generation = wick_watch_generation(rt)
        let budget = UInt64(max(0, wick_watch_budget(rt)))
        tick = min(tick, max(budget / 8, 2_000_000))
        guard generation & 1 == 1 else { continue }  // between callbacks
        if generation != entries[i].generation {
          entries[i].generation = generation
          entries[i].since = now
          continue
        }
        let elapsed = now - entries[i].since
        guard elapsed >= budget else { continue }
        wick_watch_trip(rt, generation)
        if elapsed >= budget + entries[i].hardDeadline,
          entries[i].abandonedGeneration != generation
        {
          entries[i].abandonedGeneration = generation
          wick_watch_abandon(rt)
          let report = entries[i].report
          let (callback, symbol, time) = (
            wick_watch_callback(rt), wick_watch_symbol(rt), wick_watch_candle_time(rt)
          )
          stuck.append { report(callback, symbol, time) }
        }
      }
      condition.unlock()
      for report in stuck { report() }  // outside the lock: a handler may end the process
      usleep(useconds_t(tick / 1_000))
    }
  }
}
