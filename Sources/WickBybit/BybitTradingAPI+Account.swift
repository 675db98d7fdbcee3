import WickCore
import WickData
import WickLive

/// The unified account's USDT figures, as `GET /v5/account/wallet-balance` lists them.
public struct BybitWallet: Sendable, Equatable {
  /// Wallet balance plus unrealised PnL of every position (what sizing uses).
  public var equity: Double
  /// Realised balance: deposits, realised PnL, fees and funding.
  public var walletBalance: Double
  public var unrealisedPnl: Double
  public init(equity: Double, walletBalance: Double, unrealisedPnl: Double) {
    self.equity = equity
    self.walletBalance = walletBalance
    self.unrealisedPnl = unrealisedPnl
  }
}

extension BybitTradingAPI {
  /// The USDT row of the unified account (`accountType=UNIFIED&coin=USDT`): `result.list[0].coin[]`
  /// with `equity`, `walletBalance` and `unrealisedPnl` as numeric strings.
  public func wallet() throws -> BybitWallet {
    let endpoint = "GET /v5/account/wallet-balance"
    let r = try rest.get(
      "/v5/account/wallet-balance", ["accountType": "UNIFIED", "coin": "USDT"])
    let doc = r.document
    guard let account = doc.list(r.result)?.first,
      case .array(let coins)? = doc.member(account, "coin")
    else {
      throw BybitError.malformed(
        endpoint: endpoint, reason: "expected result.list[0].coin as an array")
    }
    guard let usdt = coins.first(where: { doc.string(doc.member($0, "coin")) == "USDT" }) else {
      throw BybitError.malformed(endpoint: endpoint, reason: "the account lists no USDT coin row")
    }
    guard let equity = doc.number(doc.member(usdt, "equity")),
      let balance = doc.number(doc.member(usdt, "walletBalance"))
    else {
      throw BybitError.malformed(
        endpoint: endpoint, reason: "the USDT row lacks equity or walletBalance as numbers")
    }
    return BybitWallet(
      equity: equity, walletBalance: balance,
      unrealisedPnl: doc.number(doc.member(usdt, "unrealisedPnl")) ?? 0)
  }

  /// Funding settlements of `symbol` from `startTime` on (`execType=Funding`; the list holds at
  /// most 7 days from the start, newest first).
  public func fundingExecutions(symbol: String, since startTime: Int64) throws -> [BybitExecution] {
    let r = try rest.get(
      "/v5/execution/list",
      [
        "category": category, "symbol": symbol, "execType": "Funding",
        "startTime": String(startTime), "limit": "100",
      ])
    return try Self.rows(
      r, endpoint: "GET /v5/execution/list", BybitDecode.execution,
      lacking: "an execution lacks execId, side, execPrice or execQty"
    ).filter { $0.execType == "Funding" }
  }
}
