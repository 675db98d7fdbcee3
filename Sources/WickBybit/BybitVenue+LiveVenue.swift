import WickCore
import WickLive
import WickRisk
import WickSim

/// Bybit as one of the runner's live exchanges (`--exchange bybit`).
public enum BybitExchange: LiveExchange {
  public static let name = "bybit"
  /// Reduce-only partial closes and adds; limit entries are not wired yet.
  public static let capabilities: VenueCapabilities = [.partialExits, .adds]

  public static func makeVenue(spec: RunSpec, credentials: LiveCredentials, leverage: Double)
    throws -> LiveVenue
  {
    try BybitVenue.make(spec: spec, credentials: credentials, leverage: leverage)
  }
}

extension BybitVenue: LiveVenue {
  public var instrumentRules: [String: InstrumentSpec] { session.instruments.mapValues(\.spec) }

  public var accountName: String { "the Bybit unified account" }

  /// `/v5/account/wallet-balance`'s USDT equity, kept as the venue's last wallet reading.
  public func walletEquity() throws -> Double {
    let wallet = try accountSource.wallet()
    account.wallet = wallet
    return wallet.equity
  }

  public func orderState(clientOrderID: String, symbol: String) throws -> LiveOrderState {
    switch try executor.api.order(linkID: clientOrderID, symbol: symbol)?.status {
    case nil: return .notSent
    case "Filled", "PartiallyFilledCanceled": return .filled
    case "Cancelled", "Deactivated": return .cancelled
    case "Rejected": return .rejected
    default: return .submitting
    }
  }

  public func close() { session.close() }
}
