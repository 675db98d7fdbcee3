import Foundation
import WickCore
import WickData
import WickLive
import WickRisk

/// `wick doctor --exchange bybit`: what a new live user checks before the first run. The checks
/// shared with other exchanges (clock, WebSocket, sizing) come from `Doctor`; the Bybit ones read
/// `/v5/user/query-api` (key permissions), `/v5/account/info` (account status, margin mode) and
/// `/v5/position/list` (position mode, leverage).
public enum BybitDoctor {
  public static func checks(_ request: DoctorRequest) -> [DoctorCheck] {
    let endpoints = BybitEndpoints(
      mainnet: request.mainnet, baseURL: request.baseURL, wsURL: request.wsURL)
    let transport: CurlHTTPClient
    do {
      transport = try CurlHTTPClient(connectTimeout: 5, totalTimeout: 10)
    } catch {
      return [DoctorCheck(.failed, "rest", "libcurl could not start: \(error)")]
    }
    let credentials = request.credentials.map {
      BybitCredentials(apiKey: $0.apiKey, secret: $0.apiSecret)
    }
    let rest = BybitRESTClient(
      baseURL: endpoints.rest, credentials: credentials ?? BybitCredentials(apiKey: "", secret: ""),
      transport: transport, retry: RetryPolicy(maxAttempts: 2, baseDelay: 0.2, maxDelay: 1))
    let api = BybitTradingAPI(rest: rest)
    return Doctor.run(
      request,
      DoctorAdapter(
        exchange: "bybit", restURL: endpoints.rest,
        syncClock: {
          try rest.syncTime()
          return rest.serverOffsetMs
        },
        webSocketURL: try? BybitKlines().url(
          base: endpoints.ws, symbols: request.symbols, timeframe: request.timeframe),
        keySource: request.mainnet ? "bybit.com" : "testnet.bybit.com",
        wallet: {
          do {
            let w = try api.wallet()
            return (w.walletBalance, w.equity)
          } catch {
            // Bybit's signature errors can quote the signed string, key included.
            throw WickError.invalidArgument(credentials?.scrub("\(error)") ?? "\(error)")
          }
        },
        walletName: "unified account wallet",
        refusedFix:
          "check the key pair and its IP whitelist (\(request.mainnet ? "mainnet keys come from bybit.com" : "testnet keys come from testnet.bybit.com, not bybit.com"))",
        accountChecks: { accountChecks(api, request) },
        market: { (try api.instrument($0).spec, try api.lastPrice(symbol: $0)) }))
  }

  /// Permissions, the account and each symbol's position mode and leverage.
  static func accountChecks(_ api: BybitTradingAPI, _ request: DoctorRequest) -> [DoctorCheck] {
    var out = [Doctor.check("key permissions") { permissions(try api.keyInfo()) }]
    do {
      out += accountChecks(try api.accountInfo())
    } catch {
      out.append(DoctorCheck(.failed, "account mode", "\(error)"))
    }
    for symbol in request.symbols {
      out.append(
        Doctor.check("position \(symbol)") {
          let (oneWay, leverage) = try api.positionMode(symbol: symbol)
          guard oneWay else {
            return DoctorCheck(
              .failed, "position \(symbol)", "hedge mode (two sides); Wick trades one-way mode",
              fix: "switch \(symbol) to One-Way Mode (Derivatives → Settings) with no position open"
            )
          }
          let wanted = request.risk.leverage
          return DoctorCheck(
            .ok, "position \(symbol)",
            "one-way, leverage \(formatNumber(leverage))x now; `wick run --live` sets \(formatNumber(wanted))x at start"
              + (leverage == wanted ? " (already so)" : ""))
        })
    }
    return out
  }

  /// Trading must be allowed; a key that may withdraw is the loudest line of the report.
  static func permissions(_ key: BybitTradingAPI.KeyInfo) -> DoctorCheck {
    let name = "key permissions"
    if key.readOnly {
      return DoctorCheck(
        .failed, name, "read-only key: it cannot place orders",
        fix: "create a key with Read-Write access and Contract → Orders and Positions")
    }
    let missing = ["Order", "Position"].filter { !key.contractTrade.contains($0) }
    if !missing.isEmpty {
      return DoctorCheck(
        .failed, name,
        "contract trading lacks \(missing.joined(separator: " and ")) (the key has \(key.contractTrade.isEmpty ? "none" : key.contractTrade.joined(separator: ", ")))",
        fix: "enable Contract → Orders and Positions on the key")
    }
    if key.wallet.contains("Withdraw") {
      return DoctorCheck(
        .warning, name,
        "WITHDRAWALS ARE ENABLED on this key: whoever obtains it can move the account's funds out",
        fix: "create a trading key without the Withdrawal permission")
    }
    let ip = key.ips.isEmpty || key.ips == ["*"] ? "; no IP whitelist (any address may use it)" : ""
    return DoctorCheck(.ok, name, "contract orders and positions, withdrawals disabled" + ip)
  }

  /// The live path reads the unified account's wallet; isolated margin keeps one position's
  /// loss to its own margin, as the backtest models it.
  static func accountChecks(_ info: BybitTradingAPI.AccountInfo) -> [DoctorCheck] {
    var out: [DoctorCheck] = []
    if info.unifiedMarginStatus <= 1 {
      out.append(
        DoctorCheck(
          .failed, "account mode", "classic account; Wick trades from a Unified Trading Account",
          fix: "upgrade to the Unified Trading Account (Assets → Unified Trading)"))
    } else {
      out.append(
        DoctorCheck(
          .ok, "account mode", "unified trading account (status \(info.unifiedMarginStatus))"))
    }
    switch info.marginMode {
    case "ISOLATED_MARGIN":
      out.append(DoctorCheck(.ok, "margin mode", "isolated margin"))
    case let mode:
      out.append(
        DoctorCheck(
          .warning, "margin mode",
          "\(mode == "REGULAR_MARGIN" ? "cross margin" : mode == "PORTFOLIO_MARGIN" ? "portfolio margin" : mode): the whole account backs every position, while the backtest models isolated margin",
          fix: "switch to Isolated Margin (Account → Margin Mode) with no position open"))
    }
    return out
  }
}

extension BybitTradingAPI {
  /// `GET /v5/user/query-api`: what the key may do.
  public struct KeyInfo: Sendable, Equatable {
    public var readOnly: Bool
    public var contractTrade: [String]
    public var wallet: [String]
    public var ips: [String]
  }

  public func keyInfo() throws -> KeyInfo {
    let endpoint = "GET /v5/user/query-api"
    let r = try rest.get("/v5/user/query-api", [:])
    let doc = r.document
    func strings(_ v: JSONDocument.Value?) -> [String] {
      guard case .array(let items)? = v else { return [] }
      return items.compactMap { doc.string($0) }
    }
    guard let readOnly = doc.member(r.result, "readOnly").flatMap(doc.int64),
      let permissions = doc.member(r.result, "permissions")
    else {
      throw BybitError.malformed(endpoint: endpoint, reason: "no readOnly and permissions")
    }
    return KeyInfo(
      readOnly: readOnly != 0, contractTrade: strings(doc.member(permissions, "ContractTrade")),
      wallet: strings(doc.member(permissions, "Wallet")), ips: strings(doc.member(r.result, "ips")))
  }

  /// `GET /v5/account/info`: the account's status and margin mode.
  public struct AccountInfo: Sendable, Equatable {
    public var unifiedMarginStatus: Int
    public var marginMode: String
  }

  public func accountInfo() throws -> AccountInfo {
    let r = try rest.get("/v5/account/info", [:])
    let doc = r.document
    guard let status = doc.member(r.result, "unifiedMarginStatus").flatMap(doc.int64),
      let mode = doc.string(doc.member(r.result, "marginMode"))
    else {
      throw BybitError.malformed(
        endpoint: "GET /v5/account/info", reason: "no unifiedMarginStatus and marginMode")
    }
    return AccountInfo(unifiedMarginStatus: Int(status), marginMode: mode)
  }

  /// Whether `symbol` trades one-way (one row, positionIdx 0) and its leverage now.
  public func positionMode(symbol: String) throws -> (oneWay: Bool, leverage: Double) {
    let r = try rest.get("/v5/position/list", ["category": category, "symbol": symbol])
    let doc = r.document
    guard let rows = doc.list(r.result) else {
      throw BybitError.malformed(
        endpoint: "GET /v5/position/list", reason: "result.list is not an array")
    }
    let oneWay = rows.allSatisfy { (doc.member($0, "positionIdx").flatMap(doc.int64) ?? 0) == 0 }
    let leverage = rows.first.flatMap { doc.number(doc.member($0, "leverage")) }
    return (oneWay, leverage ?? 0)
  }

  /// The contract's mark price (`GET /v5/market/tickers`).
  public func lastPrice(symbol: String) throws -> Double {
    let endpoint = "GET /v5/market/tickers"
    let r = try rest.get(
      "/v5/market/tickers", ["category": category, "symbol": symbol], signed: false)
    let doc = r.document
    guard
      let row = doc.list(r.result)?.first(where: { doc.string(doc.member($0, "symbol")) == symbol }
      ),
      let price = doc.number(doc.member(row, "markPrice"))
        ?? doc.number(doc.member(row, "lastPrice"))
    else {
      throw BybitError.malformed(endpoint: endpoint, reason: "\(symbol): no markPrice")
    }
    return price
  }
}
