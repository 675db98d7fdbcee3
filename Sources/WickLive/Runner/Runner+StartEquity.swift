import WickCore
import WickData

extension Runner {
  /// The equity the run starts from and sizes with. Paper: `--equity` (10,000 by default). Live:
  /// the exchange's USDT equity (`/v5/account/wallet-balance`) when the run is created, so the
  /// risk layer sizes from money that exists; a resumed run keeps the equity it recorded, so
  /// re-handling its candles sizes exactly as it did.
  func startEquity() throws -> Double {
    guard let live = venue as? BybitVenue else { return spec.initialEquity }
    if resumed, let row = try ledger.run(runID) { return row.initialEquity }
    do {
      let wallet = try live.executor.api.wallet()
      guard wallet.equity > 0 else {
        throw WickError.invalidArgument(
          "the Bybit unified account's USDT equity is \(wallet.equity): nothing to trade with")
      }
      live.account.wallet = wallet
      return wallet.equity
    } catch let e as BybitError {
      throw WickError.exchange("cannot read the Bybit wallet to size from: \(e)")
    }
  }
}
