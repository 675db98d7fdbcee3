import Foundation
import WickCore
import WickLive
import WickData

/// Where a live session connects: testnet by default, mainnet on request, or any base URL
/// (a loopback mock in tests). `ws` is the WebSocket base; `/v5/private` is appended.
public struct BybitEndpoints: Sendable, Equatable {
  public var rest: String
  public var ws: String
  public static let testnet = BybitEndpoints(
    rest: "https://api-testnet.bybit.com", ws: "wss://stream-testnet.bybit.com")
  public static let mainnet = BybitEndpoints(
    rest: "https://api.bybit.com", ws: "wss://stream.bybit.com")

  public init(rest: String, ws: String) {
    self.rest = rest
    self.ws = ws
  }

  /// `--testnet`/`--mainnet` with `--base-url`/`--ws-url` overrides.
  public init(mainnet: Bool, baseURL: String? = nil, wsURL: String? = nil) {
    let net = mainnet ? Self.mainnet : Self.testnet
    self.init(rest: baseURL ?? net.rest, ws: wsURL ?? net.ws)
  }
}

/// Everything one live run needs on Bybit, wired once: the signed client (clock synced), the
/// instrument rules of its symbols, the private stream feeding the inbox, the executor and the
/// reconciler. The runner calls `reconcile` at start and `reconcileIfDue` between candles, on
/// its own thread, so reconciliation never races an order in flight.
///
///     let session = try BybitLiveSession(endpoints: .testnet, credentials: try .fromEnvironment(),
///                                        run: 7, symbols: ["BTCUSDT"], incidents: ledgerSink)
///     let report = try session.reconcile(local: [])
public final class BybitLiveSession: @unchecked Sendable {
  /// The run whose orders are Wick's (their ids start with `OrderLinkID.runPrefix(run)`).
  public var run: Int64 {
    get { reconciler.run }
    set { reconciler.run = newValue }
  }
  public let symbols: [String]
  public let instruments: [String: BybitInstrument]
  public let executor: BybitExecutor
  public let reconciler: BybitReconciler
  public var reconcileInterval: TimeInterval = 30
  private var streamTask: Task<Void, Never>?
  private var lastReconcile: Date?

  public init(
    endpoints: BybitEndpoints, credentials: BybitCredentials, run: Int64, symbols: [String],
    incidents: LiveIncidentSink, timing: ExecutionTiming = ExecutionTiming(),
    leverage: Double? = nil, transport: HTTPTransport? = nil, stream: Bool = true
  ) throws {
    self.symbols = symbols
    let rest = BybitRESTClient(
      baseURL: endpoints.rest, credentials: credentials,
      transport: try transport ?? CurlHTTPClient(connectTimeout: 5, totalTimeout: 10))
    try rest.syncTime()
    let api = BybitTradingAPI(rest: rest)
    var rules: [String: BybitInstrument] = [:]
    for s in symbols {
      rules[s] = try api.instrument(s)
      guard try api.isOneWay(symbol: s) else {
        throw WickError.invalidArgument(
          "the Bybit account holds \(s) in hedge mode; Wick trades one-way mode (switch the position mode for USDT perpetuals)"
        )
      }
      // The risk layer sized with this leverage; the exchange's margin must agree.
      if let leverage { try api.setLeverage(symbol: s, leverage) }
    }
    instruments = rules
    let inbox = BybitEventInbox()
    executor = BybitExecutor(api: api, inbox: inbox, incidents: incidents, timing: timing)
    reconciler = BybitReconciler(executor: executor, run: run)
    if stream {
      streamTask = BybitPrivateStream(
        url: endpoints.ws, credentials: credentials, inbox: inbox,
        serverClock: { rest.serverNow() }
      ).start()
    }
  }

  deinit { streamTask?.cancel() }

  public func instrument(_ symbol: String) throws -> BybitInstrument {
    guard let i = instruments[symbol] else {
      throw WickError.invalidArgument("\(symbol) is not one of this run's symbols")
    }
    return i
  }

  /// Compares the ledger's open positions with the exchange now (symbols with an order in
  /// flight are left for the next time).
  public func reconcile(local: [LocalPosition], skipping busy: Set<String> = []) throws
    -> ReconcileReport
  {
    lastReconcile = Date()
    return try reconciler.reconcile(
      local: local, symbols: symbols.filter { !busy.contains($0) }, instruments: instruments)
  }

  /// Reconciles when `reconcileInterval` has passed since the last time; nil otherwise.
  public func reconcileIfDue(skipping busy: Set<String> = [], local: () -> [LocalPosition]) throws
    -> ReconcileReport?
  {
    if let last = lastReconcile, Date().timeIntervalSince(last) < reconcileInterval { return nil }
    return try reconcile(local: local(), skipping: busy)
  }

  /// Stops the private stream.
  public func close() {
    streamTask?.cancel()
    streamTask = nil
  }
}
