import Foundation
import WickCore
import WickData

extension Runner {
  /// The higher candle delivered when one is due (`TradingKernel.chooseHigher`). Live, the
  /// exchange's own confirmed kline (`HigherKlines`), else the cache's, else the one resampled
  /// from the base series; whichever it is goes into the cache under the higher timeframe, so a
  /// resume or `wick replay` (which take the cache's, else resample) delivers the very same
  /// candle. A late stream candle arriving after that is never written over it.
  func chooseHigher(timeframe k: Int, symbol s: Int, resampled bar: Candle) -> Candle {
    guard k < kernel.timeframes.count, let exchange = try? spec.marketAPI().storageName else {
      return bar
    }
    let key = SeriesKey(
      exchange: exchange, symbol: spec.symbols[s], timeframe: kernel.timeframes[k])
    let cached = { [store] in
      try? store.cursor(series: key, from: bar.time, to: bar.time + 1).next()
    }
    guard let live = session?.higher else { return (cached() ?? nil) ?? bar }
    let chosen = live.take(timeframe: k, symbol: s, open: bar.time) ?? (cached() ?? nil) ?? bar
    do {
      try store.write([chosen], series: key, replace: true)
    } catch {
      output("warning: cannot record the \(key.timeframe) \(key.symbol) candle: \(error)")
    }
    return chosen
  }

  /// The exchange's kline streams for the strategy's higher timeframes, if it declares any.
  func startHigherKlines(dialect: KlineDialect, base: String) throws -> HigherKlines? {
    let higher = Array(kernel.timeframes.dropFirst())
    guard !higher.isEmpty else { return nil }
    let streams = try HigherKlines(
      dialect: dialect, base: base, symbols: spec.symbols, timeframes: higher,
      grace: higherKlineGrace)
    streams.onLog = output
    streams.start()
    return streams
  }
}
