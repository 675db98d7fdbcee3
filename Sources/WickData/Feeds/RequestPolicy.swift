import Foundation
import WickCore

/// A token bucket per host: at most `rate` requests per second on average, bursts up to
/// `burst`. The exchange can also push the next allowed time out (Retry-After, limit headers).
public final class RateLimiter {
  public let rate: Double
  public let burst: Double
  private var tokens: Double
  private var updated: TimeInterval
  private var blockedUntil: TimeInterval = 0
  private let clock: () -> TimeInterval
  private let sleep: (TimeInterval) -> Void

  public init(
    rate: Double, burst: Double? = nil,
    clock: @escaping () -> TimeInterval = { Date().timeIntervalSince1970 },
    sleep: @escaping (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }
  ) {
    self.rate = rate
    self.burst = burst ?? max(1, rate)
    tokens = self.burst
    self.clock = clock
    self.sleep = sleep
    updated = clock()
  }

  /// Waits until a request may go out, then takes a token.
  public func acquire() {
    var now = clock()
    if now < blockedUntil {
      sleep(blockedUntil - now)
      now = clock()
    }
    tokens = min(burst, tokens + (now - updated) * rate)
    updated = now
    if tokens < 1 {
      sleep((1 - tokens) / rate)
      tokens = 1
      updated = clock()
    }
    tokens -= 1
  }

  /// No request before `time` (epoch seconds).
  public func block(until time: TimeInterval) { blockedUntil = max(blockedUntil, time) }
}

/// Bounded retries with exponential backoff and full jitter (AWS's "full jitter": a uniform
/// wait in [0, min(cap, base × 2^attempt)]), seeded so tests are deterministic.
public struct RetryPolicy: Sendable {
  public var maxAttempts: Int
  public var baseDelay: TimeInterval
  public var maxDelay: TimeInterval
  private var state: UInt64

  public init(
    maxAttempts: Int = 5, baseDelay: TimeInterval = 0.5, maxDelay: TimeInterval = 30,
    seed: UInt64 = 1
  ) {
    self.maxAttempts = maxAttempts
    self.baseDelay = baseDelay
    self.maxDelay = maxDelay
    state = seed
  }

  /// The wait before retry number `attempt` (1-based).
  public mutating func delay(attempt: Int) -> TimeInterval {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    let cap = min(maxDelay, baseDelay * pow(2, Double(attempt - 1)))
    return Double(z >> 11) / Double(1 << 53) * cap
  }
}

/// Sends requests to one host through the limiter, retrying what is worth retrying: timeouts,
/// connection failures, 429 and 5xx, and the exchange's own "rate limited" answers. Other 4xx
/// fail at once. Every error names the request (the URL carries no secret: market data only).
public final class ExchangeRequester {
  public let transport: HTTPTransport
  public let limiter: RateLimiter
  public var retry: RetryPolicy
  private let sleep: (TimeInterval) -> Void
  /// Attempts made by the last `get`, for logs and tests.
  public private(set) var lastAttempts = 0
  /// The exchange's clock, once synced: its rate-limit reset times are on that clock, not ours.
  public var serverClock: ServerClock?

  public init(
    transport: HTTPTransport, limiter: RateLimiter, retry: RetryPolicy = RetryPolicy(),
    sleep: @escaping (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }
  ) {
    self.transport = transport
    self.limiter = limiter
    self.retry = retry
    self.sleep = sleep
  }

  /// GETs `url`; `retryableBody` lets the exchange mark a 200 answer as "rate limited, retry".
  public func get(_ url: String, retryableBody: (HTTPResponse) -> String? = { _ in nil }) throws
    -> HTTPResponse
  {
    var lastProblem = ""
    for attempt in 1...max(1, retry.maxAttempts) {
      lastAttempts = attempt
      limiter.acquire()
      var wait: TimeInterval? = nil
      do {
        let r = try transport.get(url)
        applyLimitHeaders(r)
        if r.status == 429 || r.status == 418 {
          lastProblem = "HTTP \(r.status) (rate limited)"
          wait = retryAfter(r)
        } else if r.status >= 500 {
          lastProblem = "HTTP \(r.status)"
        } else if r.status >= 400 {
          let body = String(decoding: r.body.prefix(300), as: UTF8.self)
          throw WickError.exchange("GET \(url): HTTP \(r.status): \(body)")
        } else if let why = retryableBody(r) {
          lastProblem = why
        } else {
          return r
        }
      } catch let e as TransportError {
        lastProblem = e.description
      }
      guard attempt < retry.maxAttempts else { break }
      let backoff = retry.delay(attempt: attempt)
      sleep(max(wait ?? 0, backoff))
    }
    throw WickError.exchange("GET \(url): gave up after \(lastAttempts) attempts: \(lastProblem)")
  }

  private func retryAfter(_ r: HTTPResponse) -> TimeInterval? {
    guard let v = r.headers["retry-after"], let seconds = Double(v) else { return nil }
    return min(seconds, 120)
  }

  /// Bybit reports the remaining quota and when it resets (a timestamp on the exchange's clock);
  /// Binance the weight used in the current minute (of the exchange's clock). Both are converted
  /// to our clock, so a skewed clock neither stalls the fetch for hours nor ignores the limit.
  private func applyLimitHeaders(_ r: HTTPResponse) {
    let clock = serverClock ?? ServerClock(offsetMilliseconds: 0, roundTripMilliseconds: 0)
    if let left = r.headers["x-bapi-limit-status"].flatMap(Int.init), left <= 1,
      let reset = r.headers["x-bapi-limit-reset-timestamp"].flatMap(Int64.init)
    {
      let longest = Date().timeIntervalSince1970 + 120  // a reset hours away is a wrong clock
      limiter.block(until: min(clock.localSeconds(ofServerTime: reset), longest))
    }
    if let used = r.headers["x-mbx-used-weight-1m"].flatMap(Int.init), used >= 1_100 {
      let nextMinute = (clock.now() / 60_000 + 1) * 60_000
      limiter.block(until: clock.localSeconds(ofServerTime: nextMinute))
    }
  }
}
