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
  /// Resting limit and post-only (GTX) entries.
  public static let capabilities: VenueCapabilities = [.limitOrders]

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
  /// Syncs the clock, refuses hedge mode, sets isolated margin and the risk layer's leverage
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
