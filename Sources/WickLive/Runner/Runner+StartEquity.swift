import WickCore
import WickData

extension Runner {
  /// The equity the run starts from and sizes with. Paper: `--equity` (10,000 by default). Live:
  /// the exchange's USDT equity (the adapter's wallet reading) when the run is created, so the
  /// risk layer sizes from money that exists; a resumed run keeps the equity it recorded, so
  /// re-handling its candles sizes exactly as it did.
  func startEquity() throws -> Double {
    guard let live = venue as? LiveVenue else { return spec.initialEquity }
    if resumed, let row = try ledger.run(runID) { return row.initialEquity }
    let equity: Double
    do {
      equity = try live.walletEquity()
    } catch {
      throw WickError.exchange("cannot read \(live.accountName)'s wallet to size from: \(error)")
    }
    guard equity > 0 else {
      throw WickError.invalidArgument(
        "\(live.accountName)'s USDT equity is \(equity): nothing to trade with")
    }
    return equity
  }
}
