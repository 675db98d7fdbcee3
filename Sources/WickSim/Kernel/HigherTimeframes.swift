import WickCore

/// The higher timeframes of a multi-timeframe strategy (`timeframes = { "5m", "1h" }`): where
/// each symbol's series comes from, its history for `ctx:history`, and the candles that closed
/// with the current base candles.
///
/// A higher candle comes from the cache when the run was given that series
/// (`TradingKernel.useStored`), else it is resampled from the base candles the kernel closes,
/// with `Resampler` (the code behind `wick data resample`: complete buckets only). Past the end
/// of a stored series the resampled candles take over, so a cache that lags the base series
/// does not silently end the higher timeframe. Either way a candle is ready only once its close
/// time is reached by a base candle's close: nothing forming is ever handed out.
final class HigherTimeframes {
  struct Ready {
    var close: Int64
    var timeframe: Int
    var symbol: Int
    var candle: Candle
  }

  struct Series {
    var resampler: Resampler
    var stored: [Candle]
    var nextStored = 0
    /// Open time of the last stored candle: resampled candles are used only after it.
    var storedEnd = Int64.min
  }

  /// Base first, as declared.
  let timeframes: [Timeframe]
  let warmups: [Int]
  let symbolCount: Int
  /// `series[(timeframe - 1) * symbolCount + symbol]` for timeframe indices ≥ 1.
  private(set) var series: [Series]
  /// `histories[timeframe - 1]`: every symbol's history of that timeframe (as deep as its warmup)
  /// and the candles each has seen.
  private let histories: [CandleRings]
  /// The candles of the latest `collect`, ordered by close time, then timeframe, then symbol.
  private(set) var ready: [Ready] = []
  /// `TradingKernel.chooseHigher`: the candle delivered in place of a resampled one.
  var choose: ((Int, Int, Candle) -> Candle)?
  /// Open time of the run's first base candle: stored candles that closed before it are history
  /// the run never saw, not events.
  private var start: Int64?

  /// - Throws: `WickError.invalidArgument` when the run's timeframe is not the declared base, or
  ///   a higher timeframe cannot be built from the base (not a multiple, or misaligned).
  init(
    base: Timeframe, timeframes: [Timeframe], warmups: [Int], symbolCount: Int,
    stored: [Timeframe: [Int: [Candle]]]
  ) throws {
    guard timeframes.first == base else {
      throw WickError.invalidArgument(
        "the strategy declares timeframes \(timeframes.map(\.description).joined(separator: ", ")) (base \(timeframes.first.map(\.description) ?? "none")) but the run's timeframe is \(base)"
      )
    }
    self.timeframes = timeframes
    self.warmups = warmups
    self.symbolCount = symbolCount
    series = []
    for tf in timeframes.dropFirst() {
      let resampler = try Resampler(from: base, to: tf)
      for s in 0..<symbolCount {
        let candles = stored[tf]?[s] ?? []
        series.append(
          Series(
            resampler: resampler, stored: candles, storedEnd: candles.last?.time ?? .min))
      }
    }
    histories = timeframes.indices.dropFirst().map {
      CandleRings(symbols: symbolCount, capacity: max(warmups[$0], 1))
    }
    ready.reserveCapacity(series.count)
  }

  /// Gathers the higher candles that have closed by `closeTime`, the close of the base candles
  /// in `candles` (which it feeds to the resamplers), into `ready`.
  func collect(_ candles: UnsafeBufferPointer<SymbolCandle>, time: Int64, closeTime: Int64) {
    if start == nil { start = time }
    ready.removeAll(keepingCapacity: true)
    for c in candles {
      for k in 1..<timeframes.count {
        let i = (k - 1) * symbolCount + c.symbol
        if let bar = series[i].resampler.add(c.candle), bar.time > series[i].storedEnd {
          ready.append(
            Ready(
              close: bar.time + timeframes[k].milliseconds, timeframe: k, symbol: c.symbol,
              candle: choose?(k, c.symbol, bar) ?? bar))
        }
      }
    }
    for k in 1..<timeframes.count {
      let length = timeframes[k].milliseconds
      for s in 0..<symbolCount {
        let i = (k - 1) * symbolCount + s
        while series[i].nextStored < series[i].stored.count {
          let bar = series[i].stored[series[i].nextStored]
          guard bar.time + length <= closeTime else { break }
          series[i].nextStored += 1
          if bar.time + length > start! {
            ready.append(Ready(close: bar.time + length, timeframe: k, symbol: s, candle: bar))
          }
        }
      }
    }
    if ready.count > 1 {
      ready.sort { ($0.close, $0.timeframe, $0.symbol) < ($1.close, $1.timeframe, $1.symbol) }
    }
  }

  /// Records a ready candle as seen: into its history, counted for the warmup.
  func close(_ r: Ready) {
    histories[r.timeframe - 1].append(symbol: r.symbol, r.candle)
  }

  /// Whether a symbol still lacks its warmup in some higher timeframe.
  func warming(_ symbol: Int) -> Bool {
    for k in 1..<timeframes.count where histories[k - 1].seen[symbol] < warmups[k] {
      return true
    }
    return false
  }

  func history(symbol: Int, count: Int, timeframe k: Int) -> [Candle] {
    guard k >= 1, k < timeframes.count else { return [] }
    return histories[k - 1].last(symbol: symbol, count)
  }
}
