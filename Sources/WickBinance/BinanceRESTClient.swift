import Foundation
import WickCore
import WickData
import WickLive

/// A decoded Binance answer (HTTP 200).
public struct BinanceResponse: Sendable {
  public let document: JSONDocument
  public var root: JSONDocument.Value { document.root }
}

/// Signed Binance USDⓈ-M REST over the project's libcurl transport.
///
/// - A signed request carries every parameter in its query string, then `timestamp` (the local
///   clock plus the offset `syncTime` measured, so a skewed machine still lands in the window)
///   and `recvWindow`, then `signature`: hex HMAC-SHA256 of that exact query string. The key goes
///   in `X-MBX-APIKEY`, never in a URL or a message.
/// - `-1021` (timestamp outside the recvWindow) was not processed: the clock is measured again
///   and the request resent, once.
/// - 429 (and 418, an IP ban) honour `Retry-After`; `X-MBX-USED-WEIGHT-1M` near the minute's
///   limit waits for the next minute on the exchange's clock.
/// - An order is retried only when the exchange certainly did not act (429/418, a refused
///   connection, a stale timestamp); a timeout, a broken connection, a 5xx or an unreadable answer
///   after sending is `BinanceError.unknownOutcome`, resolved by client order id.
///
///     let rest = BinanceRESTClient(baseURL: BinanceEndpoints.testnet.rest, credentials: c,
///                                  transport: try CurlHTTPClient())
///     try rest.syncTime()
///     let r = try rest.send("GET", "/fapi/v1/positionSide/dual", [])
public final class BinanceRESTClient: @unchecked Sendable {
  public enum Effect: Sendable {
    /// Reads and absolute settings (leverage, margin type): repeating is harmless.
    case repeatable
    /// Order placement: repeat only what the exchange certainly did not process.
    case placesOrder
  }

  public let baseURL: String
  let credentials: LiveCredentials
  private let transport: HTTPTransport
  private let limiter: RateLimiter
  private var retry: RetryPolicy
  private let sleep: (TimeInterval) -> Void
  private let localClock: () -> Int64
  /// Milliseconds; Binance's default is 5000.
  public let recvWindow: Int
  /// The IP weight per minute (`rateLimits` of exchangeInfo: 2400 for USDⓈ-M).
  public var weightLimit = 2400
  private let lock = NSLock()
  private var offset: Int64 = 0
  private var _usedWeight = 0

  public init(
    baseURL: String, credentials: LiveCredentials, transport: HTTPTransport,
    recvWindow: Int = 5000,
    retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: 0.25, maxDelay: 8),
    limiter: RateLimiter = RateLimiter(rate: 20, burst: 20),
    localClock: @escaping () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
    sleep: @escaping (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }
  ) {
    self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
    self.credentials = credentials
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
  /// The weight the exchange last reported used in this minute (`X-MBX-USED-WEIGHT-1M`).
  public var usedWeight: Int { lock.withLock { _usedWeight } }

  /// Measures the offset to the exchange's clock (`GET /fapi/v1/time`), halving the round trip.
  public func syncTime() throws { try lock.withLock { try syncTimeLocked() } }

  private func syncTimeLocked() throws {
    let before = localClock()
    let r = try perform("GET", "/fapi/v1/time", [], signed: false, keyed: false, .repeatable)
    let after = localClock()
    guard let server = r.document.member(r.root, "serverTime").flatMap(r.document.int64) else {
      throw BinanceError.malformed(endpoint: "GET /fapi/v1/time", reason: "no serverTime")
    }
    offset = server - (before + after) / 2
  }

  /// A request; `params` keep their order, which the signature covers. `keyed`: the key header
  /// without a signature (the listenKey endpoints).
  public func send(
    _ method: String, _ path: String, _ params: [(String, String)], signed: Bool = true,
    keyed: Bool = false, effect: Effect = .repeatable
  ) throws -> BinanceResponse {
    try lock.withLock {
      try perform(method, path, params, signed: signed, keyed: keyed || signed, effect)
    }
  }

  private func perform(
    _ method: String, _ path: String, _ params: [(String, String)], signed: Bool, keyed: Bool,
    _ effect: Effect
  ) throws -> BinanceResponse {
    let endpoint = "\(method) \(path)"
    var resynced = false
    var problem = "no attempt made"
    let attempts = max(1, retry.maxAttempts)
    for attempt in 1...attempts {
      limiter.acquire()
      var wait: TimeInterval = 0
      let request = build(method, path, params, signed: signed, keyed: keyed)
      let response: HTTPResponse
      do {
        response = try transport.send(request)
      } catch let e as TransportError {
        if case .notSent = e {
          problem = e.description
        } else if effect == .placesOrder {
          throw BinanceError.unknownOutcome(endpoint: endpoint, reason: e.description)
        } else {
          problem = e.description
        }
        if attempt < attempts { sleep(retry.delay(attempt: attempt)) }
        continue
      }
      applyWeight(response)
      let retryAfter = response.headers["retry-after"].flatMap(Double.init)
      switch response.status {
      case 429, 418:
        // Rejected before processing; 418 is the ban that follows ignored 429s.
        problem =
          "HTTP \(response.status) (\(response.status == 418 ? "IP banned" : "rate limited"))"
        wait = min(retryAfter ?? 1, 60)
      case 500...:
        if effect == .placesOrder {
          throw BinanceError.unknownOutcome(endpoint: endpoint, reason: "HTTP \(response.status)")
        }
        problem = "HTTP \(response.status)"
      case 200..<300:
        guard let doc = try? JSONDocument(response.body) else {
          if effect == .placesOrder {
            throw BinanceError.unknownOutcome(endpoint: endpoint, reason: "the answer is not JSON")
          }
          problem = "the answer is not JSON"
          break
        }
        return BinanceResponse(document: doc)
      default:
        let doc = try? JSONDocument(response.body)
        let code = doc.flatMap { d in d.member(d.root, "code").flatMap(d.int64) }.map(Int.init)
        let message = scrub(
          doc.flatMap { d in d.string(d.member(d.root, "msg")) }
            ?? String(decoding: response.body.prefix(300), as: UTF8.self))
        if code == BinanceError.Code.invalidTimestamp, !resynced {
          // Not processed; our clock drifted from the exchange's. Measure again and resend.
          resynced = true
          problem = "code -1021: \(message)"
          try syncTimeLocked()
          continue
        }
        throw BinanceError.rejected(
          endpoint: endpoint, code: code ?? response.status, message: message)
      }
      if attempt < attempts { sleep(max(wait, retry.delay(attempt: attempt))) }
    }
    throw BinanceError.unavailable(endpoint: endpoint, reason: "\(attempts) attempts: \(problem)")
  }

  /// The query string exactly as signed and sent.
  func query(_ params: [(String, String)], signed: Bool) -> String {
    var pairs = params.map { "\($0.0)=\(Self.percentEncode($0.1))" }
    if signed {
      pairs.append("timestamp=\(localClock() + offset)")
      pairs.append("recvWindow=\(recvWindow)")
    }
    let q = pairs.joined(separator: "&")
    guard signed else { return q }
    return q + "&signature="
      + RequestSigning.hmacSHA256Hex(q, secret: credentials.apiSecret)
  }

  private func build(
    _ method: String, _ path: String, _ params: [(String, String)], signed: Bool, keyed: Bool
  ) -> HTTPRequest {
    let q = query(params, signed: signed)
    var url = baseURL + path
    if !q.isEmpty { url += "?" + q }
    let headers = keyed ? [("X-MBX-APIKEY", credentials.apiKey)] : []
    return HTTPRequest(method: method, url: url, headers: headers, body: [])
  }

  /// Near the minute's weight limit, wait for the next minute (exchange time → local time).
  private func applyWeight(_ r: HTTPResponse) {
    guard let used = r.headers["x-mbx-used-weight-1m"].flatMap(Int.init) else { return }
    _usedWeight = used
    if used >= weightLimit * 9 / 10 {
      let nextMinute = (localClock() + offset) / 60_000 * 60_000 + 60_000
      limiter.block(until: Double(nextMinute - offset) / 1000)
    }
  }

  /// `text` with the key and the secret replaced (an echoed request must not leak them).
  func scrub(_ text: String) -> String {
    var out = text
    for s in [credentials.apiSecret, credentials.apiKey] where !s.isEmpty {
      out = out.replacingOccurrences(of: s, with: "***")
    }
    return out
  }

  private static let unreserved = Set(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~".utf8)

  static func percentEncode(_ s: String) -> String {
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
