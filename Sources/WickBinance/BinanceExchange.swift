import Foundation
import WickCore
import WickData
import WickLive
import WickRisk
import WickSim

/// Binance USDⓈ-M as one of the runner's live exchanges (`--exchange binance`): the shared
/// `GatewayVenue` over a `BinanceGateway`, with the user data stream feeding its inbox.
public enum BinanceExchange: LiveExchange {
  public static let name = "binance"
  /// What the shared live path executes: partial closes, adds (pairs need no capability) and
  /// resting limit and post-only (GTX) entries.
  public static var capabilities: VenueCapabilities {
    GatewayVenue.sharedCapabilities.union([.limitOrders])
  }

  public static func makeVenue(spec: RunSpec, credentials: LiveCredentials, leverage: Double)
    throws -> LiveVenue
  {
    do {
      return try BinanceLive.venue(
        endpoints: BinanceEndpoints(
          mainnet: !spec.testnet, baseURL: spec.baseURL, wsURL: spec.wsURL),
        credentials: credentials, symbols: spec.symbols, leverage: leverage,
        incidents: IncidentForwarder(), timeframe: spec.timeframe.milliseconds)
    } catch let e as BinanceError {
      throw WickError.exchange("cannot start live trading on Binance: \(e)")
    }
  }
}

/// Wiring one live run on Binance USDⓈ-M.
public enum BinanceLive {
  /// Why a multi-assets account cannot trade live, and the fix: the same words in
  /// `wick doctor --exchange binance` and in the refusal at start.
  public static let multiAssetsProblem =
    "multi-assets mode, which margins every position in cross: Wick trades isolated margin"
  public static let multiAssetsFix =
    "switch to single-asset mode (Preferences → Multi-Assets Mode off, or POST /fapi/v1/multiAssetsMargin multiAssetsMargin=false) with no position open"

  /// Syncs the clock, refuses hedge mode and multi-assets mode, sets isolated margin and the risk layer's leverage
  /// per symbol, reads the instrument rules, and starts the user data stream (unless `stream` is
  /// false). Testnet unless the endpoints say otherwise.
  public static func venue(
    endpoints: BinanceEndpoints, credentials: LiveCredentials, symbols: [String],
    leverage: Double?, incidents: LiveIncidentSink, timing: ExecutionTiming = ExecutionTiming(),
    timeframe: Int64? = nil, transport: HTTPTransport? = nil, stream: Bool = true,
    keepAlive: Duration = .seconds(30 * 60)
  ) throws -> GatewayVenue {
    let rest = BinanceRESTClient(
      baseURL: endpoints.rest, credentials: credentials,
      transport: try transport ?? CurlHTTPClient(connectTimeout: 5, totalTimeout: 10))
    try rest.syncTime()
    let api = BinanceTradingAPI(rest: rest)
    if try api.isHedgeMode() {
      throw WickError.invalidArgument(
        "the Binance USDⓈ-M account is in hedge mode; Wick trades one-way mode (Futures → Preferences → Position Mode → One-way, or POST /fapi/v1/positionSide/dual dualSidePosition=false)"
      )
    }
    // Multi-assets mode margins in cross whatever marginType says: the risk layer's isolated
    // sizing would not be what the exchange liquidates on.
    if try api.isMultiAssetsMode() {
      throw WickError.invalidArgument(
        "the Binance USDⓈ-M account is in \(multiAssetsProblem); \(multiAssetsFix)")
    }
    var rules: [String: InstrumentSpec] = [:]
    for s in symbols {
      rules[s] = try api.instrument(s)
      try api.setIsolatedMargin(symbol: s)
      // The risk layer sized with this leverage; the exchange's margin must agree.
      if let leverage { try api.setLeverage(symbol: s, leverage) }
    }
    let gateway = BinanceGateway(api: api)
    let task =
      stream
      ? BinanceUserStream(wsBase: endpoints.ws, gateway: gateway, keepAlive: keepAlive).start()
      : nil
    return GatewayVenue(
      gateway: gateway, instruments: rules, run: 0, incidents: incidents, timing: timing,
      timeframe: timeframe, onClose: { task?.cancel() })
  }
}
