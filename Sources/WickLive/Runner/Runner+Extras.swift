import WickCore
import WickData

extension Runner {
  /// Keeps the open interest, long/short ratios and liquidations the strategy reads on its
  /// candles current, before each candle time: what `wick data fetch --open-interest` (run on a
  /// schedule), `wick data record --liquidations` and the run's own recorder have stored. The
  /// first call reads what the candles can reach; later ones append only what the cache gained
  /// (`MarketStatsFollower`). A cache that cannot be read leaves the values as they were (each
  /// ages out by its own interval) and is read again at the next candle: the strategy sees nil
  /// where nothing is known, never a made-up value.
  func refreshExtras(through time: Int64) {
    guard let extras = kernel.candleExtras else { return }
    if marketStats == nil {
      guard let exchange = try? spec.marketAPI().storageName else { return }
      marketStats = MarketStatsFollower(
        store: store,
        keys: spec.symbols.map {
          SeriesKey(exchange: exchange, symbol: $0, timeframe: spec.timeframe)
        },
        extras: extras)
    }
    try? marketStats?.refresh(through: time)
  }
}
