/// How a Binance USDⓈ-M call failed. As for Bybit, what matters for orders is whether the
/// exchange may have acted: `.rejected` and `.unavailable` say it did not, `.unknownOutcome` says
/// it may have, and the caller must look the order up by its client id before anything else.
///
/// No case carries a header, the key or the secret: messages are scrubbed before they get here.
public enum BinanceError: Error, Equatable, CustomStringConvertible {
  /// The exchange answered `{"code": <0, "msg": …}` (HTTP 4xx): nothing happened.
  case rejected(endpoint: String, code: Int, message: String)
  /// A state-changing request went out and no definitive answer came back (a timeout, a broken
  /// connection, HTTP 5xx: Binance documents 503 "Unknown error" as "execution status unknown").
  case unknownOutcome(endpoint: String, reason: String)
  /// Every attempt failed before the exchange acted (429, 418, refused connections), or a read
  /// gave up after its retries.
  case unavailable(endpoint: String, reason: String)
  /// The answer was not shaped as Binance documents it.
  case malformed(endpoint: String, reason: String)

  public var description: String {
    switch self {
    case .rejected(let e, let code, let m): return "\(e): Binance refused (code \(code)): \(m)"
    case .unknownOutcome(let e, let r):
      return "\(e): outcome unknown (\(r)); resolve it by client order id before acting again"
    case .unavailable(let e, let r): return "\(e): gave up: \(r)"
    case .malformed(let e, let r): return "\(e): answer not as documented: \(r)"
    }
  }

  /// The code of a refusal, nil for the other cases.
  public var code: Int? {
    if case .rejected(_, let code, _) = self { return code }
    return nil
  }

  /// Binance's documented codes this client acts on
  /// (developers.binance.com/docs/derivatives/usds-margined-futures/error-code).
  public enum Code {
    /// Too many requests (also answered as HTTP 429).
    public static let tooManyRequests = -1003
    /// Timestamp outside the recvWindow: not processed; resync the clock and resend.
    public static let invalidTimestamp = -1021
    public static let invalidSignature = -1022
    /// The listenKey does not exist (expired).
    public static let listenKeyNotFound = -1125
    /// Order does not exist (query by origClientOrderId).
    public static let noSuchOrder = -2013
    /// Invalid API-key, IP, or permissions for action.
    public static let rejectedKey = -2015
    /// A conditional order whose trigger is already crossed: it would trigger at once.
    public static let wouldTriggerImmediately = -2021
    /// ReduceOnly order is rejected (nothing to reduce).
    public static let reduceOnlyRejected = -2022
    /// The margin type is already the one asked for.
    public static let noNeedToChangeMarginType = -4046
    /// The client order id was used before: the first order exists.
    public static let duplicateClientOrderID = -4116
    /// Conditional order types sent to /fapi/v1/order since 2025-12-09 (use the Algo Order API).
    public static let stopOrderSwitchAlgo = -4120
    /// The order's notional is below the symbol's minimum.
    public static let minNotional = -4164
  }
}
