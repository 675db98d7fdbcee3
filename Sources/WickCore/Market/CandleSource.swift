/// A lazy, throwing stream of closed candles in time order: the engine pulls, nothing loads a
/// whole history into memory. Modelled on GRDB's `Cursor`.
public protocol CandleCursor: AnyObject {
  /// The next candle, or nil at the end of the series.
  func next() throws -> Candle?
}

/// Several series merged into one stream ordered by (time, symbol index).
public protocol CandleSource: AnyObject {
  /// The symbols of the run; `SymbolCandle.symbol` indexes into it.
  var symbols: [String] { get }
  func next() throws -> SymbolCandle?
}

/// Where fetched or imported candles go (the candle cache implements it).
public protocol CandleSink: AnyObject {
  /// Writes candles of one series in one transaction. With `replace`, existing times are overwritten;
  /// without it, a time already stored is an error and nothing is written.
  func write(_ candles: [Candle], series: SeriesKey, replace: Bool) throws
  /// The open time of the newest stored candle of a series, if any.
  func lastTime(series: SeriesKey) throws -> Int64?
}

/// A cursor over candles already in memory (tests, resampling, small jobs).
public final class ArrayCandleCursor: CandleCursor {
  private let candles: [Candle]
  private var index: Int
  private let end: Int
  public convenience init(_ candles: [Candle]) { self.init(candles, range: candles.indices) }
  /// A cursor over `candles[range]`; cursors share the array without copying it (a sweep's
  /// workers read one copy of the candles).
  public init(_ candles: [Candle], range: Range<Int>) {
    self.candles = candles
    index = range.lowerBound
    end = range.upperBound
  }
  public func next() -> Candle? {
    guard index < end else { return nil }
    defer { index += 1 }
    return candles[index]
  }
}

/// Merges one cursor per symbol into a single stream ordered by time, then symbol index.
public final class MergedCandleSource: CandleSource {
  public let symbols: [String]
  private let cursors: [CandleCursor]
  private var heads: [Candle?]
  private var started = false

  public init(symbols: [String], cursors: [CandleCursor]) {
    precondition(symbols.count == cursors.count)
    self.symbols = symbols
    self.cursors = cursors
    self.heads = Array(repeating: nil, count: cursors.count)
  }

  public func next() throws -> SymbolCandle? {
    if !started {
      started = true
      for i in cursors.indices { heads[i] = try cursors[i].next() }
    }
    if cursors.count == 1 {
      guard let c = heads[0] else { return nil }
      heads[0] = try cursors[0].next()
      return SymbolCandle(symbol: 0, candle: c)
    }
    var best = -1
    var bestTime = Int64.max
    for i in heads.indices {
      if let c = heads[i], c.time < bestTime {
        best = i
        bestTime = c.time
      }
    }
    guard best >= 0, let c = heads[best] else { return nil }
    heads[best] = try cursors[best].next()
    return SymbolCandle(symbol: best, candle: c)
  }
}
