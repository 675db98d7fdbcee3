import WickCore

/// Asks the exchange for a time range until its answers cover the range, whatever end of the
/// range it answers from and however many rows it sends.
///
/// Exchanges differ, and none promises a page holds `limit` rows: Bybit's `/v5/market/kline`
/// answers the *newest* rows of `[start, end]`, newest first; Binance's `/api/v3/klines` the
/// *oldest* from `startTime`; either may send fewer rows than asked. So nothing is assumed about
/// a page except that it is a run of the exchange's rows inside the range: everything between
/// its oldest and newest row is known, and what lies on either side of that run — below it for a
/// newest-first page, above it for an oldest-first one — is asked for again. An empty answer
/// means the exchange has nothing in that part. With complete data this takes as many requests
/// as the rows need pages; a hole in the exchange's data at a window's edge costs one more.
///
///     let candles = try RangeCoverage.collect(lo..<hi, step: tf, time: { $0.time }) { part in
///       try requestKlines(part)   // rows the exchange sent for `part`, any order
///     }
enum RangeCoverage {
  /// The rows of `range`, oldest first, each time once. `step` is the least spacing between two
  /// rows' times (a candle's timeframe, 1 ms for funding stamps). `request` returns what the
  /// exchange answered for a sub-range, in any order; rows outside the sub-range are dropped.
  static func collect<Row>(
    _ range: Range<Int64>, step: Int64, time: (Row) -> Int64,
    request: (Range<Int64>) throws -> [Row]
  ) rethrows -> [Row] {
    var rows: [Row] = []
    var unknown = [range]
    while let part = unknown.popLast() {
      let answer = try request(part)
      var oldest = Int64.max
      var newest = Int64.min
      for row in answer {
        let t = time(row)
        guard part.contains(t) else { continue }
        rows.append(row)
        oldest = min(oldest, t)
        newest = max(newest, t)
      }
      guard oldest <= newest else { continue }  // nothing here on the exchange
      // The older side first onto the stack, so the newer side is asked for next: the order
      // rows are collected in does not matter, as they are sorted at the end.
      if part.lowerBound < oldest { unknown.append(part.lowerBound..<oldest) }
      if newest + step < part.upperBound { unknown.append((newest + step)..<part.upperBound) }
    }
    rows.sort { time($0) < time($1) }
    var unique: [Row] = []
    unique.reserveCapacity(rows.count)
    for row in rows where unique.last.map({ time($0) != time(row) }) ?? true { unique.append(row) }
    return unique
  }
}
