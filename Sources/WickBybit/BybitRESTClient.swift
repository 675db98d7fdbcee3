import Foundation
import WickCore
import WickData
import WickLive

/// A decoded Bybit v5 answer with `retCode` 0.
public struct BybitResponse: Sendable {
  public let document: JSONDocument
  public let result: JSONDocument.Value
}

/// Signed Bybit v5 REST over the project's libcurl transport.
///
/// - Every private request carries `X-BAPI-API-KEY`, `X-BAPI-TIMESTAMP` (local clock plus the
///   offset measured by `syncTime`, so a skewed machine still lands in the recv window),
///   `X-BAPI-RECV-WINDOW` and `X-BAPI-SIGN`.
/// - Retries depend on what a repeat could do. Reads and absolute writes (trading-stop) are
///   retried on timeouts, 5xx and rate limits. An order is retried only when the exchange
///   certainly did not act (429, retCode 10006, a refused connection, a stale timestamp);
///   a timeout, a broken connection, a 5xx or an unreadable answer after sending becomes
///   `BybitError.unknownOutcome`, which the caller resolves by `orderLinkId`.
/// - Errors name the endpoint and Bybit's message with the key and secret scrubbed out; headers
///   never appear in them.
///
///     let rest = BybitRESTClient(baseURL: BybitAPI.testnet, credentials: c, transport: try CurlHTTPClient())
///     try rest.syncTime()
///     let r = try rest.get("/v5/position/list", ["category": "linear", "symbol": "BTCUSDT"])
public final class BybitRESTClient: @unchecked Sendable {
  /// What a repeat of the request could do on the exchange (`SignedREST.Effect`).
  public typealias Effect = SignedREST.Effect

  public var baseURL: String { core.baseURL }
  let credentials: BybitCredentials
  /// Transport, limiter, clock and the attempt loop, shared with every exchange's client.
  private let core: SignedREST
  /// Milliseconds; Bybit's default is 5000.
  public var recvWindow: Int { core.recvWindow }

  public init(
    baseURL: String, credentials: BybitCredentials, transport: HTTPTransport,
    recvWindow: Int = 5000,
    retry: RetryPolicy = RetryPolicy(maxAttempts: 5, baseDelay: 0.25, maxDelay: 8),
    limiter: RateLimiter = RateLimiter(rate: 10, burst: 10),
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

  /// Measures the offset to the exchange's clock (`/v5/market/time`), halving the round trip.
  public func syncTime() throws {
    try core.serialized { try syncTimeLocked() }
  }

  private func syncTimeLocked() throws {
    try core.measureClock {
      let r = try perform(
        method: "GET", path: "/v5/market/time", query: "", body: "", signed: false,
        effect: .repeatable)
      let doc = r.document
      guard
        let server = doc.string(doc.member(r.result, "timeNano")).flatMap({ Int64($0.prefix(13)) })
          ?? doc.member(r.result, "timeSecond").flatMap(doc.int64).map({ $0 * 1000 })
      else {
        throw BybitError.malformed(
          endpoint: "GET /v5/market/time", reason: "no timeSecond or timeNano")
      }
      return server
    }
  }

  /// A signed (or public) GET; `query` keeps its order, which the signature covers.
  public func get(_ path: String, _ query: KeyValuePairs<String, String>, signed: Bool = true)
    throws
    -> BybitResponse
  {
    let q = query.map { "\($0.key)=\(Self.percentEncode($0.value))" }.joined(separator: "&")
    return try core.serialized {
      try perform(
        method: "GET", path: path, query: q, body: "", signed: signed, effect: .repeatable)
    }
  }

  /// A signed POST of a JSON body.
  public func post(_ path: String, _ body: JSONObjectWriter, effect: Effect) throws -> BybitResponse
  {
    try core.serialized {
      try perform(
        method: "POST", path: path, query: "", body: body.text, signed: true, effect: effect)
    }
  }

  private func perform(
    method: String, path: String, query: String, body: String, signed: Bool, effect: Effect
  ) throws -> BybitResponse {
    let endpoint = "\(method) \(path)"
    return try core.perform(
      effect: effect,
      build: { build(method: method, path: path, query: query, body: body, signed: signed) },
      judge: { response, resynced in
        try judge(response, endpoint: endpoint, signed: signed, resynced: resynced)
      },
      resync: { try syncTimeLocked() },
      unknownOutcome: { BybitError.unknownOutcome(endpoint: endpoint, reason: $0) },
      unavailable: { BybitError.unavailable(endpoint: endpoint, reason: "\($0) attempts: \($1)") })
  }

  /// What Bybit's answer means: its envelope's `retCode`, HTTP statuses, rate limits.
  private func judge(_ response: HTTPResponse, endpoint: String, signed: Bool, resynced: Bool)
    throws -> SignedREST.Verdict<BybitResponse>
  {
    applyLimitHeaders(response)
    switch response.status {
    case 429,
      403 where Self.looksRateLimited(response):
      // Rate limited: Bybit rejects these before processing.
      return .retry(
        problem: "HTTP \(response.status) (rate limited)",
        wait: response.headers["retry-after"].flatMap(Double.init).map { min($0, 60) } ?? 0)
    case 500...:
      return .unclear("HTTP \(response.status)")
    case 400..<500:
      let text = credentials.scrub(String(decoding: response.body.prefix(300), as: UTF8.self))
      throw BybitError.rejected(
        endpoint: endpoint, retCode: response.status, message: "HTTP \(response.status): \(text)")
    default:
      guard let doc = try? JSONDocument(response.body), case .object = doc.root,
        let code = doc.member(doc.root, "retCode").flatMap(doc.int64)
      else {
        return .unclear("the answer is not Bybit's JSON envelope")
      }
      let message = credentials.scrub(doc.string(doc.member(doc.root, "retMsg")) ?? "")
      switch Int(code) {
      case 0:
        guard let result = doc.member(doc.root, "result") else {
          throw BybitError.malformed(endpoint: endpoint, reason: "retCode 0 without a result")
        }
        return .done(BybitResponse(document: doc, result: result))
      case BybitError.Code.rateLimited:
        return .retry(problem: "retCode 10006 (rate limited)", wait: 0)
      case BybitError.Code.timestampOutsideWindow where !resynced && signed:
        // Only a signed request resyncs: the time request itself is unsigned, and resyncing on
        // its own 10002 recursed until the stack overflowed (found by fuzz-bybit-rest).
        return .resync("retCode 10002: \(message)")
      case BybitError.Code.serverTimeout, BybitError.Code.serverError:
        return .unclear("retCode \(code): \(message)")
      default:
        throw BybitError.rejected(endpoint: endpoint, retCode: Int(code), message: message)
      }
    }
  }

  private func build(method: String, path: String, query: String, body: String, signed: Bool)
    -> HTTPRequest
  {
    var url = baseURL + path
    if !query.isEmpty { url += "?" + query }
    var headers: [(String, String)] = []
    if method == "POST" { headers.append(("Content-Type", "application/json")) }
    if signed {
      let timestamp = core.timestamp
      let sign = BybitSigner.restSignature(
        timestamp: timestamp, credentials: credentials, recvWindow: recvWindow,
        payload: method == "GET" ? query : body)
      headers += [
        ("X-BAPI-API-KEY", credentials.apiKey), ("X-BAPI-TIMESTAMP", String(timestamp)),
        ("X-BAPI-RECV-WINDOW", String(recvWindow)), ("X-BAPI-SIGN", sign),
      ]
    }
    return HTTPRequest(method: method, url: url, headers: headers, body: Array(body.utf8))
  }

  /// Bybit answers an IP over its limit with 403 "access too frequent".
  private static func looksRateLimited(_ r: HTTPResponse) -> Bool {
    let text = String(decoding: r.body.prefix(200), as: UTF8.self).lowercased()
    return text.contains("too frequent") || text.contains("too many")
  }

  /// With one request left in the window, wait for the reset (exchange time → local time).
  private func applyLimitHeaders(_ r: HTTPResponse) {
    if let left = r.headers["x-bapi-limit-status"].flatMap(Int.init), left <= 1,
      let reset = r.headers["x-bapi-limit-reset-timestamp"].flatMap(Int64.init)
    {
      core.limiter.block(until: core.localSeconds(ofServerTime: reset))
    }
  }

  static func percentEncode(_ s: String) -> String { SignedREST.percentEncode(s) }
}
