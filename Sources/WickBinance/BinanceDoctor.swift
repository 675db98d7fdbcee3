import Foundation
import WickCore
import WickData
import WickLive
import WickRisk

/// `wick doctor --exchange binance`: what a new live user checks before the first run.
public enum BinanceDoctor {
  public static func checks(_ request: DoctorRequest) -> [DoctorCheck] {
    let endpoints = BinanceEndpoints(
      mainnet: request.mainnet, baseURL: request.baseURL, wsURL: request.wsURL)
    let transport: CurlHTTPClient
    do {
      transport = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 10)
    } catch {
      return [DoctorCheck(.failed, "rest", "libcurl could not start: \(error)")]
    }
    let rest = BinanceRESTClient(
      baseURL: endpoints.rest,
      credentials: request.credentials ?? LiveCredentials(apiKey: "", apiSecret: ""),
      transport: transport, retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.2, maxDelay: 1))
    let api = BinanceTradingAPI(rest: rest)
    return Doctor.run(
      request,
      DoctorAdapter(
        exchange: "binance", restURL: endpoints.rest,
        syncClock: {
          try rest.syncTime()
          return rest.serverOffsetMs
        },
        webSocketURL: try? BinanceKlines().url(
          base: endpoints.ws, symbols: request.symbols, timeframe: request.timeframe),
        keySource: request.mainnet ? "mainnet" : "testnet.binancefuture.com",
        wallet: {
          let w = try api.wallet()
          return (w.walletBalance, w.equity)
        },
        walletName: "USDⓈ-M wallet",
        refusedFix:
          "check the key pair and its IP whitelist (\(request.mainnet ? "mainnet keys from binance.com" : "testnet keys come from testnet.binancefuture.com, not binance.com"))",
        accountChecks: { accountChecks(api, request, transport: transport) },
        market: { (try api.instrument($0), try api.lastPrice(symbol: $0)) }))
  }

  /// Permissions, multi-assets mode, position mode and each symbol's margin.
  static func accountChecks(
    _ api: BinanceTradingAPI, _ request: DoctorRequest, transport: HTTPTransport
  ) -> [DoctorCheck] {
    var out = [permissions(api, request, transport: transport)]
    out.append(
      Doctor.check("account mode") {
        try api.isMultiAssetsMode()
          ? DoctorCheck(
            .failed, "account mode", BinanceLive.multiAssetsProblem,
            fix: BinanceLive.multiAssetsFix)
          : DoctorCheck(.ok, "account mode", "single-asset mode")
      })
    out.append(
      Doctor.check("position mode") {
        try api.isHedgeMode()
          ? DoctorCheck(
            .failed, "position mode", "hedge mode; Wick trades one-way mode",
            fix: "switch to One-way Mode (Preferences → Position Mode) with no position open")
          : DoctorCheck(.ok, "position mode", "one-way")
      })
    for symbol in request.symbols {
      out.append(
        Doctor.check("margin \(symbol)") {
          let c = try api.symbolConfig(symbol: symbol)
          let wanted = Int(request.risk.leverage.rounded(.down))
          return DoctorCheck(
            .ok, "margin \(symbol)",
            "\(c.marginType.lowercased()) margin, leverage \(c.leverage)x now; `wick run --live` sets isolated and \(wanted)x at start"
              + (c.marginType == "ISOLATED" && c.leverage == wanted ? " (already so)" : ""))
        })
    }
    return out
  }

  private static func permissions(
    _ api: BinanceTradingAPI, _ request: DoctorRequest, transport: HTTPTransport
  ) -> DoctorCheck {
    // Key permissions are on the spot API, which the futures testnet does not have.
    guard let spot = request.baseURL ?? (request.mainnet ? BinanceEndpoints.mainnetSpot : nil)
    else {
      return DoctorCheck(
        .ok, "key permissions",
        "not checkable on the futures testnet (no /sapi); checked on mainnet")
    }
    return Doctor.check("key permissions") {
      let p = try api.permissions(spotBase: spot, transport: transport)
      if !p.futures {
        return DoctorCheck(
          .failed, "key permissions", "futures trading is not enabled on this key",
          fix: "enable Futures in the key's API restrictions")
      }
      if p.withdrawals {
        return DoctorCheck(
          .warning, "key permissions",
          "WITHDRAWALS ARE ENABLED on this key: whoever obtains it can move the account's funds out",
          fix: "create a trading key without withdrawal permission")
      }
      return DoctorCheck(.ok, "key permissions", "futures trading enabled, withdrawals disabled")
    }
  }
}

extension BinanceTradingAPI {
  /// The symbol's margin type and leverage (`GET /fapi/v1/symbolConfig`).
  public func symbolConfig(symbol: String) throws -> (marginType: String, leverage: Int) {
    let endpoint = "GET /fapi/v1/symbolConfig"
    let r = try rest.send("GET", "/fapi/v1/symbolConfig", [("symbol", symbol)])
    let doc = r.document
    guard
      let row = doc.array(r.root)?.first(where: { doc.string(doc.member($0, "symbol")) == symbol }),
      let type = doc.string(doc.member(row, "marginType")),
      let leverage = doc.member(row, "leverage").flatMap(doc.int64)
    else {
      throw BinanceError.malformed(
        endpoint: endpoint, reason: "\(symbol): no marginType and leverage")
    }
    return (type, Int(leverage))
  }
}
