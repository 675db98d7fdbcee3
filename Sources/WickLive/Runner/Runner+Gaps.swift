import Foundation
import WickCore
import WickData

extension Runner {
  /// Makes the candles that closed while the runner was down (or a new run's warm-up) ready to
  /// be handled from the cache, and says up to where. A hole between two of a symbol's cached
  /// candles after the last one it handled is asked for over REST once more (the top-up only
  /// fetches past the cache's ends, and a REST lag only hides the newest candles, not these);
  /// what REST still lacks is a `candle_missing` incident, and the run goes on without it as the
  /// live stream does. Returns the end of the time slices every symbol has: a symbol whose
  /// candles stop short (REST lagging at start-up) would otherwise see its older candles arrive
  /// after newer slices; the stream's catch-up (`ConfirmedCandles`) delivers the rest in order.
  func prepareMissed(
    from: Int64, to end: Int64, last: [Int64?], backfill: CandleBackfill, exchange: String
  ) throws -> Int64 {
    guard from < end else { return end }
    let step = spec.timeframe.milliseconds
    var ready = end
    for (s, symbol) in spec.symbols.enumerated() {
      let series = SeriesKey(exchange: exchange, symbol: symbol, timeframe: spec.timeframe)
      var previous = last[s]
      var holes: [Range<Int64>] = []
      let cursor = try store.cursor(series: series, from: from, to: end)
      while let c = try cursor.next() {
        if let p = previous, c.time > p + step { holes.append((p + step)..<c.time) }
        previous = c.time
      }
      if let tail = previous { ready = min(ready, max(from, tail + step)) }
      for hole in holes { try fillHole(hole, symbol: symbol, backfill: backfill) }
    }
    return ready
  }

  /// Asks REST for a hole in the cache; the minutes it lacks are recorded as missing (except
  /// those the run already went on without).
  private func fillHole(_ hole: Range<Int64>, symbol: String, backfill: CandleBackfill) throws {
    let step = spec.timeframe.milliseconds
    let got = Set(
      try backfill.candles(symbol: symbol, from: hole.lowerBound, to: hole.upperBound).map(\.time))
    let known = recovery.missing.filter { $0.symbol == symbol }
    let missing = stride(from: hole.lowerBound, to: hole.upperBound, by: Int(step)).filter { t in
      !got.contains(t) && !known.contains { $0.contains(t) }
    }
    guard !missing.isEmpty else { return }
    let m = MissingCandles(
      symbol: symbol, times: missing, step: step,
      reason: "not over REST when the run caught up; the strategy goes on without it")
    try recordMissing(m)
  }
}
