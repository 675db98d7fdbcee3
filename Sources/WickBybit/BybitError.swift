/// How a Bybit call failed. The distinction that matters for orders is whether the exchange may
/// have acted: `.rejected` and `.unavailable` say it did not, `.unknownOutcome` says it may
/// have, and the caller must look (by `orderLinkId`) before doing anything else.
///
/// No case ever carries a header, the key or the secret: messages are scrubbed before they get here.
public enum BybitError: Error, Equatable, CustomStringConvertible {
  /// The exchange answered with a non-zero `retCode` (or a 4xx): nothing happened.
  case rejected(endpoint: String, retCode: Int, message: String)
  /// A state-changing request went out and no definitive answer came back.
  case unknownOutcome(endpoint: String, reason: String)
  /// Every attempt failed before the exchange acted (rate limits, refused connections) or a
  /// read-only request gave up after its retries.
  case unavailable(endpoint: String, reason: String)
  /// The answer was not shaped as Bybit documents it.
  case malformed(endpoint: String, reason: String)

  public var description: String {
    switch self {
    case .rejected(let e, let code, let m): return "\(e): Bybit refused (retCode \(code)): \(m)"
    case .unknownOutcome(let e, let r):
      return "\(e): outcome unknown (\(r)); resolve it by orderLinkId before acting again"
    case .unavailable(let e, let r): return "\(e): gave up: \(r)"
    case .malformed(let e, let r): return "\(e): answer not as documented: \(r)"
    }
  }

  /// Bybit's documented codes this client acts on.
  public enum Code {
    /// Request parameter error.
    public static let parameterError = 10001
    /// Timestamp outside the recv window: the request was not processed.
    public static let timestampOutsideWindow = 10002
    public static let invalidKey = 10003
    public static let invalidSignature = 10004
    /// Too many visits: not processed.
    public static let rateLimited = 10006
    public static let serverTimeout = 10000
    public static let serverError = 10016
    /// The `orderLinkId` was used before: the first order exists.
    public static let duplicateOrderLinkID = 110072
    /// Reduce-only order with nothing to reduce.
    public static let reduceOnlyNotSatisfied = 110017
    /// The leverage is already the one asked for.
    public static let leverageNotModified = 110043
    /// The TP/SL values equal the current ones.
    public static let notModified = 34040
    /// Cancel: the order does not exist, or is filled or cancelled already.
    public static let orderNotExists = 110001
  }
}
