import Foundation
import WickCore

/// The unified account of the mock, as Bybit v5 documents it:
///
/// - `GET /v5/account/wallet-balance?accountType=UNIFIED[&coin=USDT]`: `result.list[0]` with
///   `totalEquity`, `totalWalletBalance`, … and `coin[]` rows (`coin`, `equity`,
///   `walletBalance`, `unrealisedPnl`, `cumRealisedPnl`), every number a string. The USDT
///   balance moves with fees and realised PnL of every fill, with funding, and with
///   `adjustWallet` (a deposit, a withdrawal, a trade by another program).
/// - Funding: `settleFunding` charges every open position of a symbol at the mark, as Bybit does
///   at each settlement, and lists it in `/v5/execution/list` as `execType` "Funding" (`execFee`
///   what the position paid, negative when it received; `feeRate` the rate; `execPrice` the mark).
extension MockBybitTrading {
  struct AccountState {
    var walletBalance = 10_000.0
    var key = KeySettings()
    /// `GET /v5/account/info`: `unifiedMarginStatus` (1 classic, 3/4 UTA 1.0, 5/6 UTA 2.0) and
    /// `marginMode` (ISOLATED_MARGIN, REGULAR_MARGIN, PORTFOLIO_MARGIN).
    var unifiedMarginStatus = 5
    var marginMode = "ISOLATED_MARGIN"
  }

  /// What `GET /v5/user/query-api` says of the key (Bybit's documented permission names).
  public struct KeySettings: Sendable {
    public var readOnly = false
    public var contractTrade = ["Order", "Position"]
    public var wallet = ["AccountTransfer", "SubMemberTransfer"]
    public var ips = ["*"]
    public init() {}
  }

  public var keySettings: KeySettings {
    get { lock.withLock { account.key } }
    set { lock.withLock { account.key = newValue } }
  }

  /// The account's status and margin mode as `/v5/account/info` reports them.
  public func setAccountInfo(unifiedMarginStatus: Int, marginMode: String) {
    lock.withLock {
      account.unifiedMarginStatus = unifiedMarginStatus
      account.marginMode = marginMode
    }
  }

  func queryAPIKey() -> LoopbackReply {
    let (k, uta) = lock.withLock { (account.key, account.unifiedMarginStatus > 1) }
    func list(_ a: [String]) -> String { "[" + a.map { "\"\($0)\"" }.joined(separator: ",") + "]" }
    return envelope(
      0, "",
      """
      {"id":"13770661","note":"wick","apiKey":"\(apiKey)","readOnly":\(k.readOnly ? 1 : 0),"secret":"",\
      "permissions":{"ContractTrade":\(list(k.contractTrade)),"Spot":["SpotTrade"],"Wallet":\(list(k.wallet)),\
      "Options":[],"Derivatives":["DerivativesTrade"],"CopyTrading":[],"BlockTrade":[],"Exchange":[],"NFT":[],"Affiliate":[],"Earn":[]},\
      "ips":\(list(k.ips)),"type":1,"deadlineDay":83,"expiredAt":"2027-03-01T00:00:00Z","createdAt":"2026-12-01T00:00:00Z",\
      "unified":0,"uta":\(uta ? 1 : 0),"userID":24617703,"inviterID":0,"vipLevel":"No VIP","mktMakerLevel":"0","affiliateID":0,\
      "rsaPublicKey":"","isMaster":true,"parentUid":"0","kycLevel":"LEVEL_DEFAULT","kycRegion":""}
      """)
  }

  /// `GET /v5/market/tickers?category=linear[&symbol=S]`: the mark price as last and mark.
  func tickers(_ q: [String: String]) -> LoopbackReply {
    let rows: [String] = lock.withLock {
      markPrices.keys.sorted().filter { q["symbol"] == nil || q["symbol"] == $0 }.map {
        let p = fmt(markPrices[$0]!, 0.01)
        return """
          {"symbol":"\($0)","lastPrice":"\(p)","indexPrice":"\(p)","markPrice":"\(p)","prevPrice24h":"\(p)",\
          "price24hPcnt":"0","highPrice24h":"\(p)","lowPrice24h":"\(p)","openInterest":"1000","fundingRate":"0.0001",\
          "nextFundingTime":"0","volume24h":"0","turnover24h":"0","bid1Price":"\(p)","ask1Price":"\(p)"}
          """
      }
    }
    return envelope(
      0, "OK", "{\"category\":\"linear\",\"list\":[\(rows.joined(separator: ","))]}")
  }

  func accountInfo() -> LoopbackReply {
    let (status, mode) = lock.withLock { (account.unifiedMarginStatus, account.marginMode) }
    return envelope(
      0, "OK",
      """
      {"marginMode":"\(mode)","updatedTime":"1697078946000","unifiedMarginStatus":\(status),"dcpStatus":"OFF",\
      "timeWindow":0,"smpGroup":0,"isMasterTrader":false,"spotHedgingStatus":"OFF"}
      """)
  }

  /// The USDT wallet balance (realised).
  public var walletBalance: Double { lock.withLock { account.walletBalance } }

  /// Money moved outside Wick's orders: a deposit (+), a withdrawal (−), a hand-made trade's PnL.
  public func adjustWallet(by amount: Double) {
    lock.withLock { account.walletBalance += amount }
  }

  /// Settles funding on `symbol`'s open position at `rate` and the mark price, at the exchange's
  /// now (or `at`). Returns what the position paid (negative: received); nil when flat.
  @discardableResult
  public func settleFunding(_ symbol: String, rate: Double, at time: Int64? = nil) -> Double? {
    lock.withLock {
      guard let p = _positions[symbol], p.size > 0, let mark = markPrices[symbol] else {
        return nil
      }
      let paid = (p.side == "Buy" ? 1.0 : -1.0) * rate * p.size * mark
      account.walletBalance -= paid
      let e = Execution(
        execId: nextID("f"), orderId: "", orderLinkId: "", symbol: symbol,
        side: p.side == "Buy" ? "Sell" : "Buy", price: mark, qty: p.size, fee: paid,
        time: time ?? tick(), execType: "Funding", feeRate: rate)
      _executions.append(e)
      publishExecution(e)
      return paid
    }
  }

  func walletBalance(_ q: [String: String]) -> LoopbackReply {
    guard q["accountType"] == "UNIFIED" else {
      return envelope(10001, "accountType only support UNIFIED", "{}")
    }
    let (balance, unrealised): (Double, Double) = lock.withLock {
      var upl = 0.0
      for (symbol, p) in _positions where p.size > 0 {
        let mark = markPrices[symbol] ?? p.avgPrice
        upl += (mark - p.avgPrice) * p.size * (p.side == "Buy" ? 1 : -1)
      }
      return (account.walletBalance, upl)
    }
    let equity = balance + unrealised
    let usdt = """
      {"coin":"USDT","equity":"\(fmt(equity, 0.00000001))","usdValue":"\(fmt(equity, 0.00000001))","walletBalance":"\(fmt(balance, 0.00000001))",\
      "free":"","locked":"0","spotHedgingQty":"0","borrowAmount":"0","availableToWithdraw":"","accruedInterest":"0","totalOrderIM":"0",\
      "totalPositionIM":"0","totalPositionMM":"0","unrealisedPnl":"\(fmt(unrealised, 0.00000001))","cumRealisedPnl":"0","bonus":"0",\
      "marginCollateral":true,"collateralSwitch":true,"availableToBorrow":""}
      """
    let coins = q["coin"].map { $0.split(separator: ",").contains("USDT") } ?? true ? usdt : ""
    return envelope(
      0, "OK",
      """
      {"list":[{"totalEquity":"\(fmt(equity, 0.00000001))","accountIMRate":"0","totalMarginBalance":"\(fmt(equity, 0.00000001))",\
      "totalInitialMargin":"0","accountType":"UNIFIED","totalAvailableBalance":"\(fmt(equity, 0.00000001))","accountMMRate":"0",\
      "totalPerpUPL":"\(fmt(unrealised, 0.00000001))","totalWalletBalance":"\(fmt(balance, 0.00000001))","accountLTV":"0",\
      "totalMaintenanceMargin":"0","coin":[\(coins)]}]}
      """)
  }
}
