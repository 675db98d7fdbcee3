import Foundation
import WickCore
import WickLive
import WickSim

/// The Bybit account as the shared account checks read it (`LiveAccountState` in WickLive:
/// funding booked once, wallet drift, foreign positions — one copy for every exchange).
struct BybitAccountSource: LiveAccountSource {
  let api: BybitTradingAPI
  var exchangeName: String { "Bybit" }

  /// `/v5/account/wallet-balance`: USDT equity and wallet balance of the unified account.
  func wallet() throws -> GatewayWallet {
    let w = try api.wallet()
    return GatewayWallet(equity: w.equity, balance: w.walletBalance)
  }

  func openPositions() throws -> [GatewayPosition] {
    try api.openPositions().map {
      GatewayPosition(symbol: $0.symbol, side: $0.side, size: $0.size, entryPrice: $0.avgPrice)
    }
  }

  /// Bybit charges funding on the account itself: `execType` "Funding" in `/v5/execution/list`,
  /// its fee paid (+) or received (−), with the rate it settled at.
  func funding(symbol: String, after time: Int64) throws -> [GatewayFunding] {
    try api.fundingExecutions(symbol: symbol, since: time + 1)
      .filter { $0.time > time }.sorted { $0.time < $1.time }
      .map { GatewayFunding(time: $0.time, amount: -$0.fee, rate: $0.feeRate ?? 0) }
  }
}

extension BybitVenue {
  var accountSource: BybitAccountSource { BybitAccountSource(api: executor.api) }

  /// Books the funding Bybit settled on the run's open positions (see `LiveAccountState`).
  func bookExchangeFunding(time: Int64) {
    account.bookFunding(
      time: time, book: book, history: history, source: accountSource, incidents: incidents)
  }

  /// At each candle's reconciliation: wallet drift and foreign positions.
  func checkAccount(time: Int64) {
    account.check(time: time, book: book, source: accountSource, incidents: incidents)
  }

  /// A resumed run re-applies the wallet adjustments it recorded at this candle.
  func applyRecordedWallet(time: Int64) {
    LiveAccountState.applyRecordedWallet(time: time, book: book, history: history)
  }
}
