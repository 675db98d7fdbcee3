import WickCore

/// Several timeframes per strategy. The kernel runs on the base timeframe: fills, stops and
/// equity move with base candles only, so an intent made on any candle fills at the next base
/// candle's open. After the base candles of a time close, the higher candles that closed at the
/// same moment are delivered: by close time, the shorter timeframe first at equal close times,
/// symbols in their order (at 10:00 the 09:55 5m candle, then the 09:00 1h candle).
extension TradingKernel {
  /// Gives the run a higher timeframe's series as stored in the cache (preferred over
  /// resampling the base series). Call before `start`.
  public func useStored(timeframe: Timeframe, symbol: Int, candles: [Candle]) {
    storedHigher[timeframe, default: [:]][symbol] = candles
  }

  /// The strategy's declared timeframes, base first (just the run's for a single one).
  public var timeframes: [Timeframe] { higher?.timeframes ?? [timeframe] }

  func setUpTimeframes() throws {
    let declared = strategy.timeframes
    guard declared.count > 1 else {
      higher = nil
      multiTimeframe = false
      return
    }
    higher = try HigherTimeframes(
      base: timeframe, timeframes: declared,
      warmups: declared.indices.map { strategy.warmup(timeframe: $0) }, symbolCount: symbols.count,
      stored: storedHigher)
    higher?.choose = chooseHigher
    multiTimeframe = true
  }

  /// The strategy's calls for one base time: higher candles that closed earlier (after a gap in
  /// the base series), the base candles, then the higher candles closing with them.
  func deliverTimeframes(
    time: Int64, candles: UnsafeBufferPointer<SymbolCandle>, strategy: Strategy
  ) throws {
    guard let higher else { return }
    let closeTime = time + timeframe.milliseconds
    higher.collect(candles, time: time, closeTime: closeTime)
    let ready = higher.ready
    var k = 0
    while k < ready.count, ready[k].close < closeTime { k = try deliver(ready, from: k, strategy) }
    if strategy.wantsBars {
      try deliverBars(time: time, strategy: strategy)
    } else {
      for c in candles { try strategy.onCandle(symbol: c.symbol, candle: c.candle, host: self) }
    }
    while k < ready.count { k = try deliver(ready, from: k, strategy) }
  }

  /// Delivers the ready candles sharing `ready[start]`'s close time and timeframe; returns the
  /// index after them.
  private func deliver(
    _ ready: [HigherTimeframes.Ready], from start: Int, _ strategy: Strategy
  ) throws -> Int {
    guard let higher else { return ready.count }
    let first = ready[start]
    var end = start
    while end < ready.count, ready[end].close == first.close,
      ready[end].timeframe == first.timeframe
    {
      higher.close(ready[end])
      end += 1
    }
    if strategy.wantsBars {
      guard end - start == symbols.count else {
        missingBars += 1
        if missingBars <= 20 {
          let have = Set(ready[start..<end].map(\.symbol))
          let missing = symbols.indices.filter { !have.contains($0) }.map { symbols[$0] }
          log(
            "on_bars skipped for \(higher.timeframes[first.timeframe]) at \(UTCTime.iso(first.candle.time)): no candle for \(missing.joined(separator: ", "))"
          )
        }
        return end
      }
      for r in ready[start..<end] { bars[r.symbol] = r.candle }
      try bars.withUnsafeBufferPointer {
        try strategy.onBars(
          time: first.candle.time, timeframe: first.timeframe, bars: $0, host: self)
      }
    } else {
      for r in ready[start..<end] {
        try strategy.onCandle(
          symbol: r.symbol, timeframe: r.timeframe, candle: r.candle, host: self)
      }
    }
    return end
  }
}
