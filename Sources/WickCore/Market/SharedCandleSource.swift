/// Candles already in memory, merged across symbols in the order `MergedCandleSource` gives
/// (time, then symbol index), read straight from arrays that many sources may share: each of a
/// sweep's workers walks the same candles without copying them or calling a cursor per candle.
///
///     let source = SharedCandleSource(symbols: ["BTCUSDT"], series: [candles], ranges: [0..<candles.count])
public final class SharedCandleSource: CandleSource {
  public let symbols: [String]
  private let series: [[Candle]]
  /// The only series when there is one: the common case reads it without the outer array.
  private let single: [Candle]
  // The single series' read position and end as plain fields: no array write per candle.
  private var singleNext: Int
  private let singleEnd: Int
  private var positions: [Int]
  private let ends: [Int]

  public init(symbols: [String], series: [[Candle]], ranges: [Range<Int>]) {
    precondition(symbols.count == series.count && series.count == ranges.count)
    self.symbols = symbols
    self.series = series
    single = series.count == 1 ? series[0] : []
    positions = ranges.map(\.lowerBound)
    ends = ranges.map(\.upperBound)
    singleNext = ranges.first?.lowerBound ?? 0
    singleEnd = series.count == 1 ? ranges[0].upperBound : 0
  }

  public func next() -> SymbolCandle? {
    if series.count == 1 {
      let i = singleNext
      guard i < singleEnd else { return nil }
      singleNext = i + 1
      return SymbolCandle(symbol: 0, candle: single[i])
    }
    var best = -1
    var bestTime = Int64.max
    for s in series.indices where positions[s] < ends[s] {
      let t = series[s][positions[s]].time
      if t < bestTime {
        best = s
        bestTime = t
      }
    }
    guard best >= 0 else { return nil }
    let c = series[best][positions[best]]
    positions[best] += 1
    return SymbolCandle(symbol: best, candle: c)
  }
}
