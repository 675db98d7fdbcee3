import WickCore

/// `count` valid candles of `timeframe` from `start`, with values that differ per candle so a
/// mix-up of rows or columns shows.
func testCandles(
  count: Int, start: Int64 = 1_704_067_200_000, timeframe: Timeframe = .oneMinute,
  base: Double = 100
)
  -> [Candle]
{
  (0..<count).map { i in
    let open = base + Double(i % 977) * 0.25
    let close = open + Double(i % 7) - 3
    return Candle(
      time: start + Int64(i) * timeframe.milliseconds, open: open, high: max(open, close) + 0.5,
      low: min(open, close) - 0.5, close: close, volume: Double(i % 113) + 0.125)
  }
}

/// Drains a cursor into an array.
func drain(_ cursor: CandleCursor) throws -> [Candle] {
  var out: [Candle] = []
  while let c = try cursor.next() { out.append(c) }
  return out
}
