import WickCore

/// Funding settlements as an exchange lists them, for a simulated venue trading live candles
/// (paper): the exchange's own settlement times and rates instead of the backtest's 00/08/16 UTC
/// grid (`FundingModel`), since symbols settle every 1, 2, 4 or 8 hours and the rate is only
/// known once settled.
///
///     venue.fundingFeed = feed      // SimulatedVenue charges what feed hands out at each candle
public protocol FundingFeed: AnyObject {
  /// The settlements of `symbol` to charge at candle time `time`, oldest first. Called once per
  /// symbol and candle time, in time order; a settlement is handed out once.
  func settlements(symbol: Int, at time: Int64) -> [FundingRate]
}

extension SimulatedVenue {
  /// Charges or pays the feed's settlements on the positions open at each settlement time, at
  /// the last close as the mark (as the backtest does), and tells the book's listener (a paper
  /// run records each charge with its rate, so a replay charges exactly the same).
  func chargeListedFunding(_ feed: FundingFeed, at time: Int64) {
    for i in book.positions.indices {
      for settlement in feed.settlements(symbol: i, at: time) {
        guard let p = book.positions[i], p.openedAt < settlement.time else { continue }
        let amount = FundingModel.payment(
          side: p.side, qty: p.qty, price: book.lastPrices[i], rate: settlement.rate)
        book.applyFunding(symbol: i, amount: amount)
        book.listener?.fundingApplied(
          symbol: i, settlement: settlement, amount: amount, time: time)
      }
    }
  }
}
