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
    var out: [DoctorCheck] = []
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
    do {
      try rest.syncTime()
      out.append(Doctor.clock(offsetMs: rest.serverOffsetMs, rest: endpoints.rest))
    } catch {
      out.append(
        DoctorCheck(
          .failed, "rest", "\(endpoints.rest) not reachable: \(error)",
          fix: "check the network, or --base-url"))
      return out
    }
    if let url = try? BinanceKlines().url(
      base: endpoints.ws, symbols: request.symbols, timeframe: request.timeframe)
    {
      out.append(Doctor.webSocket(url: url))
    }

    guard request.credentials != nil else {
      out.append(
        DoctorCheck(
          .failed, "keys", request.credentialsProblem ?? "no API keys",
          fix:
            "export \(LiveCredentials.keyVariable("binance")) and \(LiveCredentials.secretVariable("binance")) (a \(request.mainnet ? "mainnet" : "testnet.binancefuture.com") key)"
        ))
      return out + instrumentChecks(api, request, equity: nil)
    }
    let wallet: BinanceWallet
    do {
      wallet = try api.wallet()
      out.append(
        DoctorCheck(
          .ok, "keys",
          String(
            format: "valid; USDⓈ-M wallet %.2f USDT, equity %.2f USDT", wallet.walletBalance,
            wallet.equity)))
    } catch {
      out.append(
        DoctorCheck(
          .failed, "keys", "refused: \(error)",
          fix:
            "check the key pair and its IP whitelist (\(request.mainnet ? "mainnet keys from binance.com" : "testnet keys come from testnet.binancefuture.com, not binance.com"))"
        ))
      return out + instrumentChecks(api, request, equity: nil)
    }
    out.append(permissions(api, request, transport: transport))
    out.append(
      check("account mode") {
        try api.isMultiAssetsMode()
          ? DoctorCheck(
            .failed, "account mode",
            "multi-assets mode, which margins every position in cross: Wick trades isolated margin",
            fix: "switch to single-asset mode (Preferences → Multi-Assets Mode off)")
          : DoctorCheck(.ok, "account mode", "single-asset mode")
      })
    out.append(
      check("position mode") {
        try api.isHedgeMode()
          ? DoctorCheck(
            .failed, "position mode", "hedge mode; Wick trades one-way mode",
            fix: "switch to One-way Mode (Preferences → Position Mode) with no position open")
          : DoctorCheck(.ok, "position mode", "one-way")
      })
    for symbol in request.symbols {
      out.append(
        check("margin \(symbol)") {
          let c = try api.symbolConfig(symbol: symbol)
          let wanted = Int(request.risk.leverage.rounded(.down))
          return DoctorCheck(
            .ok, "margin \(symbol)",
            "\(c.marginType.lowercased()) margin, leverage \(c.leverage)x now; `wick run --live` sets isolated and \(wanted)x at start"
              + (c.marginType == "ISOLATED" && c.leverage == wanted ? " (already so)" : ""))
        })
    }
    return out + instrumentChecks(api, request, equity: wallet.equity)
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
    return check("key permissions") {
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

  private static func instrumentChecks(
    _ api: BinanceTradingAPI, _ request: DoctorRequest, equity: Double?
  ) -> [DoctorCheck] {
    request.symbols.map { symbol in
      check("sizing \(symbol)") {
        let rules = try api.instrument(symbol)
        let price = try api.lastPrice(symbol: symbol)
        guard let equity else {
          return DoctorCheck(
            .failed, "sizing \(symbol)",
            "needs the wallet's equity (see keys); the smallest order is \(String(format: "%.2f", rules.minimumOrderValue(at: price))) USDT"
          )
        }
        return Doctor.sizing(
          symbol: symbol, rules: rules, price: price, equity: equity, risk: request.risk)
      }
    }
  }

  /// A check whose exchange call failed is a failed check naming the call.
  private static func check(_ name: String, _ body: () throws -> DoctorCheck) -> DoctorCheck {
    do { return try body() } catch {
      return DoctorCheck(.failed, name, "\(error)")
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
