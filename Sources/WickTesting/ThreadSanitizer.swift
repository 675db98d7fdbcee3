import Foundation

/// Whether this process runs under ThreadSanitizer (`make sanitize`): its runtime defines
/// `__tsan_init`.
///
/// ThreadSanitizer holds an asynchronous signal until the thread next calls into an intercepted
/// libc function. The sandbox's watchdog arms the time-limit hook with a signal, and a pure Lua
/// loop (`while true do end`) calls nothing, so under ThreadSanitizer the hook is never armed and
/// the hard deadline ends such a test process. Tests that need the signal to interrupt a pure Lua
/// loop are disabled there (the `needsWatchdogSignal` trait of their test target); a normal build
/// runs them.
public enum ThreadSanitizer {
  public static let isActive: Bool = dlsym(dlopen(nil, RTLD_NOW), "__tsan_init") != nil
  public static let reason =
    "ThreadSanitizer defers the watchdog's signal until libc is called; a pure Lua loop never calls it"
}
