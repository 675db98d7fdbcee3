import Foundation
import WickData

/// What every exchange's signed REST client shares, written once: the transport, the rate
/// limiter, the exchange's clock (the offset `syncTime` measured, halving the round trip), and the
/// attempt loop that decides what may be repeated.
///
/// - A request is retried only when a repeat cannot do harm: reads and absolute settings
///   (`.repeatable`) on timeouts, 5xx and rate limits; an order (`.placesOrder`) only when the
///   exchange certainly did not act (a refused connection, a rate limit, a stale timestamp).
///   A timeout, a broken connection or a 5xx after an order went out is an unknown outcome, which
///   the caller resolves by client order id.
/// - A stale timestamp is answered by measuring the clock again and resending, once.
///
/// The adapter says what its exchange's answers mean (`Verdict`) and builds and signs requests;
/// the client serialises requests (one at a time, so the clock offset and the signature's
/// timestamp always agree).
public final class SignedREST: @unchecked Sendable {
  /// What a repeat of the request could do on the exchange.
  public enum Effect: Sendable {
    /// Reads, and writes that set absolute values: repeating is harmless.
    case repeatable
    /// Order placement: repeat only what the exchange certainly did not process.
    case placesOrder
  }

  /// An adapter's reading of one answer.
  public enum Verdict<T> {
    /// The answer the caller wanted.
    case done(T)
    /// Not processed (rate limited, …): try again after at least `wait` seconds.
    case retry(problem: String, wait: TimeInterval)
    /// Possibly processed but unreadable or a server error: retried for repeatable requests, an
    /// unknown outcome for orders.
    case unclear(String)
    /// The timestamp fell outside the window: resync the clock and resend. The adapter answers
    /// this only while `resynced` is false (once per request), and refuses after.
    case resync(String)
  }

  public let baseURL: String
  public let recvWindow: Int
  private let transport: HTTPTransport
  public let limiter: RateLimiter
  private var retry: RetryPolicy
  private let sleep: (TimeInterval) -> Void
  public let localClock: () -> Int64
  private let lock = NSLock()
  private var offset: Int64 = 0
  /// True while `perform` measures the clock again: the clock request answering "timestamp
  /// outside the window" must fail, not resync (that recursed until the stack overflowed).
  private var resyncing = false

  public init(
    baseURL: String, transport: HTTPTransport, recvWindow: Int, retry: RetryPolicy,
    limiter: RateLimiter, localClock: @escaping () -> Int64,
    sleep: @escaping (TimeInterval) -> Void
  ) {
    self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    self.transport = transport
    self.recvWindow = recvWindow
    self.retry = retry
    self.limiter = limiter
    self.localClock = localClock
    self.sleep = sleep
  }

  /// Exchange time minus local time, in milliseconds, as last measured.
  public var serverOffsetMs: Int64 { lock.withLock { offset } }
  /// The exchange's clock now.
  public func serverNow() -> Int64 { localClock() + serverOffsetMs }
  /// The timestamp a request signed now carries (call inside `serialized`).
  public var timestamp: Int64 { localClock() + offset }
  /// Exchange time (ms) as a local `Date` timestamp (s), for waiting until a window resets.
  public func localSeconds(ofServerTime t: Int64) -> Double { Double(t - offset) / 1000 }

  /// Runs `body` as the only request in flight.
  public func serialized<T>(_ body: () throws -> T) rethrows -> T {
    try lock.withLock { try body() }
  }

  /// Measures the clock (inside `serialized`): `read` fetches the server's time, in ms.
  public func measureClock(_ read: () throws -> Int64) throws {
    let before = localClock()
    let server = try read()
    let after = localClock()
    offset = server - (before + after) / 2
  }

  /// The attempt loop (inside `serialized`). `build` makes the signed request afresh each time
  /// (a new timestamp); `judge` reads an answer; `resync` measures the clock again. Errors are the
  /// adapter's: `unknownOutcome` for an order that may have gone through, `unavailable` when every
  /// attempt failed before the exchange acted.
  public func perform<T>(
    effect: Effect, build: () -> HTTPRequest,
    judge: (_ response: HTTPResponse, _ resynced: Bool) throws -> Verdict<T>,
    resync: () throws -> Void, unknownOutcome: (String) -> Error,
    unavailable: (_ attempts: Int, _ problem: String) -> Error
  ) throws -> T {
    var resynced = false
    var problem = "no attempt made"
    let attempts = max(1, retry.maxAttempts)
    for attempt in 1...attempts {
      limiter.acquire()
      var wait: TimeInterval = 0
      let response: HTTPResponse
      do {
        response = try transport.send(build())
      } catch let e as TransportError {
        if case .notSent = e {
          problem = e.description
        } else if effect == .placesOrder {
          throw unknownOutcome(e.description)
        } else {
          problem = e.description
        }
        if attempt < attempts { sleep(retry.delay(attempt: attempt)) }
        continue
      }
      switch try judge(response, resynced) {
      case .done(let value): return value
      case .retry(let why, let after):
        problem = why
        wait = after
      case .unclear(let why):
        if effect == .placesOrder { throw unknownOutcome(why) }
        problem = why
      case .resync(let why):
        // Not processed; our clock drifted from the exchange's. Measure again and resend.
        problem = why
        guard !resyncing else { break }
        resynced = true
        resyncing = true
        defer { resyncing = false }
        try resync()
        continue
      }
      if attempt < attempts { sleep(max(wait, retry.delay(attempt: attempt))) }
    }
    throw unavailable(attempts, problem)
  }

  private static let unreserved = Set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)

  /// RFC 3986 percent-encoding of a query value (what both exchanges sign).
  public static func percentEncode(_ s: String) -> String {
    var out = ""
    for b in s.utf8 {
      if unreserved.contains(b) {
        out.unicodeScalars.append(Unicode.Scalar(b))
      } else {
        out += String(format: "%%%02X", b)
      }
    }
    return out
  }
}
