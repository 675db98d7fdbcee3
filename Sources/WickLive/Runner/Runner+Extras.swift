import WickCore
import WickData

extension Runner {
  /// Tops up the open interest, long/short ratios and liquidations the strategy reads on its
  /// candles from the cache, before each candle time: what `wick data fetch --open-interest`
  /// (run on a schedule) and `wick data record --liquidations` (running beside the runner) have
  /// stored. Two days back is enough for the coarsest interval (1d) to reach every candle's
  /// close. A cache that cannot be read leaves the values as they were: the strategy sees nil
  /// where nothing is known, never a made-up value.
  func refreshExtras(through time: Int64) {
    guard let extras = kernel.candleExtras,
      let exchange = try? spec.marketAPI().storageName
    else { return }
    let keys = spec.symbols.map {
      SeriesKey(exchange: exchange, symbol: $0, timeframe: spec.timeframe)
    }
    do {
      let loaded = try store.candleExtras(
        series: keys, from: time - 2 * 86_400_000, to: time + spec.timeframe.milliseconds)
      extras.replace(with: loaded ?? CandleExtras(symbols: keys.map { _ in CandleExtras.Symbol() }))
    } catch {
      // A busy or unreadable cache: keep what was loaded (each value still ages out by its
      // own interval) and try again at the next candle.
    }
  }
}
