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
  /// What a repeat of the request could do on the exchange (`SignedREST.Effect`).
  public typealias Effect = SignedREST.Effect

  public var baseURL: String { core.baseURL }
  let credentials: LiveCredentials
  /// Transport, limiter, clock and the attempt loop, shared with every exchange's client.
  private let core: SignedREST
  /// Milliseconds; Binance's default is 5000.
  public var recvWindow: Int { core.recvWindow }
  /// The IP weight per minute (`rateLimits` of exchangeInfo: 2400 for USDⓈ-M).
  public var weightLimit = 2400
  private let weightLock = NSLock()
  private var _usedWeight = 0

  public init(
    baseURL: String, credentials: LiveCredentials, transport: HTTPTransport,
    recvWindow: Int = 5000,
    retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: 0.25, maxDelay: 8),
    limiter: RateLimiter = RateLimiter(rate: 20, burst: 20),
    localClock: @escaping () -> Int64 = { Int64(Date().timeIntervalSince1970 * 1000) },
    sleep: @escaping (TimeInterval) -> Void = { Thread.sleep(forTimeInterval: $0) }
  ) {
    self.credentials = credentials
    core = SignedREST(
      baseURL: baseURL, transport: transport, recvWindow: recvWindow, retry: retry,
      limiter: limiter, localClock: localClock, sleep: sleep)
  }

  /// Exchange time minus local time, in milliseconds, as last measured.
  public var serverOffsetMs: Int64 { core.serverOffsetMs }
  /// The exchange's clock now.
  public func serverNow() -> Int64 { core.serverNow() }
  /// The weight the exchange last reported used in this minute (`X-MBX-USED-WEIGHT-1M`).
  public var usedWeight: Int { weightLock.withLock { _usedWeight } }

  /// Measures the offset to the exchange's clock (`GET /fapi/v1/time`), halving the round trip.
  public func syncTime() throws { try core.serialized { try syncTimeLocked() } }

  private func syncTimeLocked() throws {
    try core.measureClock {
      let r = try perform("GET", "/fapi/v1/time", [], signed: false, keyed: false, .repeatable)
      guard let server = r.document.member(r.root, "serverTime").flatMap(r.document.int64) else {
        throw BinanceError.malformed(endpoint: "GET /fapi/v1/time", reason: "no serverTime")
      }
      return server
    }
  }

  /// A request; `params` keep their order, which the signature covers. `keyed`: the key header
  /// without a signature (the listenKey endpoints).
  public func send(
    _ method: String, _ path: String, _ params: [(String, String)], signed: Bool = true,
    keyed: Bool = false, effect: Effect = .repeatable
  ) throws -> BinanceResponse {
    try core.serialized {
      try perform(method, path, params, signed: signed, keyed: keyed || signed, effect)
    }
  }

  private func perform(
    _ method: String, _ path: String, _ params: [(String, String)], signed: Bool, keyed: Bool,
    _ effect: Effect
  ) throws -> BinanceResponse {
    let endpoint = "\(method) \(path)"
    return try core.perform(
      effect: effect, build: { build(method, path, params, signed: signed, keyed: keyed) },
      judge: { response, resynced in try judge(response, endpoint: endpoint, resynced: resynced) },
      resync: { try syncTimeLocked() },
      unknownOutcome: { BinanceError.unknownOutcome(endpoint: endpoint, reason: $0) },
      unavailable: { BinanceError.unavailable(endpoint: endpoint, reason: "\($0) attempts: \($1)") }
    )
  }

  /// What Binance's answer means: HTTP status, `{"code", "msg"}` refusals, rate limits.
  private func judge(_ response: HTTPResponse, endpoint: String, resynced: Bool) throws
    -> SignedREST.Verdict<BinanceResponse>
  {
    applyWeight(response)
    switch response.status {
    case 429, 418:
      // Rejected before processing; 418 is the ban that follows ignored 429s.
      let retryAfter = response.headers["retry-after"].flatMap(Double.init)
      return .retry(
        problem:
          "HTTP \(response.status) (\(response.status == 418 ? "IP banned" : "rate limited"))",
        wait: min(retryAfter ?? 1, 60))
    case 500...:
      return .unclear("HTTP \(response.status)")
    case 200..<300:
      guard let doc = try? JSONDocument(response.body) else {
        return .unclear("the answer is not JSON")
      }
      return .done(BinanceResponse(document: doc))
    default:
      let doc = try? JSONDocument(response.body)
      let code = doc.flatMap { d in d.member(d.root, "code").flatMap(d.int64) }.map(Int.init)
      let message = scrub(
        doc.flatMap { d in d.string(d.member(d.root, "msg")) }
          ?? String(decoding: response.body.prefix(300), as: UTF8.self))
      if code == BinanceError.Code.invalidTimestamp, !resynced {
        return .resync("code -1021: \(message)")
      }
      throw BinanceError.rejected(
        endpoint: endpoint, code: code ?? response.status, message: message)
    }
  }

  /// The query string exactly as signed and sent.
  func query(_ params: [(String, String)], signed: Bool) -> String {
    var pairs = params.map { "\($0.0)=\(Self.percentEncode($0.1))" }
    if signed {
      pairs.append("timestamp=\(core.timestamp)")
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
    weightLock.withLock { _usedWeight = used }
    if used >= weightLimit * 9 / 10 {
      let nextMinute = core.timestamp / 60_000 * 60_000 + 60_000
      core.limiter.block(until: core.localSeconds(ofServerTime: nextMinute))
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

  static func percentEncode(_ s: String) -> String { SignedREST.percentEncode(s) }
}
