import Foundation
import WickCore
import WickRisk
import WickSim

/// A live exchange adapter's venue, as the runner sees it. The runner, the ledger and the kernel
/// name no exchange: each adapter module (`WickBybit`, `WickBinance`) maps these calls onto its
/// exchange's REST and streams, and registers itself as a `LiveExchange`.
public protocol LiveVenue: Venue {
  /// The run id in every client order id, once the ledger has given one.
  var run: Int64 { get }
  /// Binds the venue to its run (ids and the ledger's incidents), before the first candle.
  func bind(run: Int64, incidents forward: @escaping (String, String?, String) -> Void)
  /// Starts re-handling recorded candles: outcomes come from `history`, nothing is sent.
  func beginReplay(_ history: LiveHistory)
  /// Ends the re-handling: what was in flight at the crash is resolved by client order id.
  func finishReplay(lateWindow: Int64)
  /// True between `beginReplay` and `finishReplay`.
  var isReplaying: Bool { get }
  /// Between candles (the runner's idle loop): reconciles with the exchange when due.
  func heartbeat()
  /// The exchange's trading rules for the run's symbols, as read at start.
  var instrumentRules: [String: InstrumentSpec] { get }
  /// The account's USDT equity now (the wallet, positions' unrealised PnL included); the venue
  /// keeps it as its last wallet reading.
  func walletEquity() throws -> Double
  /// What the account is called in messages ("the Bybit unified account").
  var accountName: String { get }
  /// The exchange's state of the order with this client order id; nil when it has none.
  func orderState(clientOrderID: String, symbol: String) throws -> LiveOrderState
  /// Stops the venue's streams.
  func close()
}

/// An order's state on the exchange, in the runner's terms.
public enum LiveOrderState: String, Sendable, Equatable {
  /// The exchange has no order with this id: it never left.
  case notSent = "not_sent"
  /// Still working (or not yet final).
  case submitting
  case filled, cancelled, rejected
}

/// An exchange Wick can trade live on: its name for `--exchange` and the venue it builds.
public protocol LiveExchange {
  /// The `--exchange` value, lowercase ("bybit").
  static var name: String { get }
  /// The order kinds beyond market entries and full exits the adapter executes (its venue's
  /// `capabilities`): `wick replay` of a live run refuses the same intents the run refused.
  static var capabilities: VenueCapabilities { get }
  /// The live venue of a `wick run --live`: testnet unless `spec.testnet` is false, with
  /// `--base-url`/`--ws-url` overrides; the symbols' leverage set to the risk layer's.
  static func makeVenue(spec: RunSpec, credentials: LiveCredentials, leverage: Double) throws
    -> LiveVenue
}

/// The adapters linked into this program. The CLI registers every adapter module at start-up;
/// the runner asks here by `--exchange`, so it never names one.
public enum LiveExchanges {
  nonisolated(unsafe) private static var adapters: [String: any LiveExchange.Type] = [:]
  private static let lock = NSLock()

  public static func register(_ exchange: any LiveExchange.Type) {
    lock.withLock { adapters[exchange.name] = exchange }
  }

  public static func named(_ name: String) -> (any LiveExchange.Type)? {
    lock.withLock { adapters[name] }
  }

  /// Registered names, sorted (for messages).
  public static var names: [String] { lock.withLock { adapters.keys.sorted() } }
}

extension LiveExchange {
  public static var capabilities: VenueCapabilities { [] }
}
