/// Where the live venue reports what a human must know about: a stop that could not be placed,
/// a panic close, a position Wick does not know, a halt. The runner writes them to the ledger's
/// `incidents` table; tests keep them in memory.
public protocol LiveIncidentSink: AnyObject, Sendable {
  func incident(kind: String, symbol: String?, detail: String)
}

/// Incident kinds, stable strings for the ledger and the dashboard.
public enum LiveIncident {
  public static let stopNotPlaced = "stop_not_placed"
  public static let panicClose = "panic_close"
  public static let panicCloseFailed = "panic_close_failed"
  public static let stopRestored = "stop_restored"
  public static let unknownPosition = "unknown_position"
  public static let sizeMismatch = "size_mismatch"
  public static let unknownOrder = "unknown_order"
  public static let closedOnExchange = "closed_on_exchange"
  public static let stopUpdateRejected = "stop_update_rejected"
  public static let orderOutcomeUnknown = "order_outcome_unknown"
  /// A pair's second leg failed; the first was closed at market.
  public static let pairLegFailed = "pair_leg_failed"
  /// A pair's legs no longer match on the exchange (one gone, a size or side off).
  public static let pairBroken = "pair_broken"
  public static let fundingUnavailable = "funding_unavailable"
  public static let walletUnavailable = "wallet_unavailable"
  public static let equityDrift = "equity_drift"
  public static let foreignPosition = "foreign_position"
}
