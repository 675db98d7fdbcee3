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
