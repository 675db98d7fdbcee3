import Foundation
import WickCore
import WickData
import WickLive
import WickRisk
import WickSim

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

/// Bybit as one of the runner's live exchanges (`--exchange bybit`): the shared `GatewayVenue`
/// over a `BybitGateway`, with the private stream feeding its inbox.
public enum BybitExchange: LiveExchange {
  public static let name = "bybit"
  /// What the shared live path executes: partial closes and adds (pairs need no capability).
  public static var capabilities: VenueCapabilities { GatewayVenue.sharedCapabilities }

  public static func makeVenue(spec: RunSpec, credentials: LiveCredentials, leverage: Double)
    throws -> LiveVenue
  {
    do {
      return try BybitLive.venue(
        endpoints: BybitEndpoints(mainnet: !spec.testnet, baseURL: spec.baseURL, wsURL: spec.wsURL),
        credentials: BybitCredentials(apiKey: credentials.apiKey, secret: credentials.apiSecret),
        symbols: spec.symbols, leverage: leverage, incidents: IncidentForwarder(),
        timeframe: spec.timeframe.milliseconds)
    } catch let e as BybitError {
      throw WickError.exchange("cannot start live trading on Bybit: \(e)")
    }
  }
}

/// Wiring one live run on Bybit.
public enum BybitLive {
  /// Syncs the clock, reads the instrument rules, refuses hedge mode, sets the risk layer's
  /// leverage per symbol, and starts the private stream (unless `stream` is false). Testnet
  /// unless the endpoints say otherwise.
  ///
  ///     let venue = try BybitLive.venue(endpoints: .testnet, credentials: try .fromEnvironment(),
  ///                                     symbols: ["BTCUSDT"], leverage: 3, incidents: sink)
  public static func venue(
    endpoints: BybitEndpoints, credentials: BybitCredentials, symbols: [String],
    leverage: Double?, incidents: LiveIncidentSink, timing: ExecutionTiming = ExecutionTiming(),
    timeframe: Int64? = nil, transport: HTTPTransport? = nil, stream: Bool = true,
    events: BybitEventInbox? = nil
  ) throws -> GatewayVenue {
    let rest = BybitRESTClient(
      baseURL: endpoints.rest, credentials: credentials,
      transport: try transport ?? CurlHTTPClient(connectTimeout: 5, totalTimeout: 10))
    try rest.syncTime()
    let api = BybitTradingAPI(rest: rest)
    var rules: [String: InstrumentSpec] = [:]
    for s in symbols {
      rules[s] = try api.instrument(s).spec
      guard try api.isOneWay(symbol: s) else {
        throw WickError.invalidArgument(
          "the Bybit account holds \(s) in hedge mode; Wick trades one-way mode (switch the position mode for USDT perpetuals)"
        )
      }
      // The risk layer sized with this leverage; the exchange's margin must agree.
      if let leverage { try api.setLeverage(symbol: s, leverage) }
    }
    let gateway = BybitGateway(api: api, events: events)
    let task =
      stream
      ? BybitPrivateStream(
        url: endpoints.ws, credentials: credentials, inbox: gateway.events,
        serverClock: { rest.serverNow() }
      ).start() : nil
    return GatewayVenue(
      gateway: gateway, instruments: rules, run: 0, incidents: incidents, timing: timing,
      timeframe: timeframe, onClose: { task?.cancel() })
  }
}
