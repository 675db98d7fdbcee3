import Foundation

/// `WICK_TEST_TIME_SCALE` (default 1): how much slower this build runs than a plain one.
/// `make sanitize` sets it to 20: under ThreadSanitizer the Lua interpreter runs 5 to 20 times
/// slower and a `wick` process takes seconds to start, so the tests' deadlines for something to
/// happen stretch by it (the budgets a test asserts do not).
public let testTimeScale =
  ProcessInfo.processInfo.environment["WICK_TEST_TIME_SCALE"].flatMap(Double.init) ?? 1
