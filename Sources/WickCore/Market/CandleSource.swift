/// A lazy, throwing stream of closed candles in time order: the engine pulls, nothing loads a
/// whole history into memory. Modelled on GRDB's `Cursor`.
public protocol CandleCursor: AnyObject {
  /// The next candle, or nil at the end of the series.
  func next() throws -> Candle?
}

/// A cursor that can hand over the candles it already holds as one buffer, so a consumer steps
/// through memory instead of making a call per candle (the backtest's single-series fast path).
///
///     while case let batch = try cursor.nextBatch(), !batch.isEmpty {
///       for c in batch { … }
///     }
public protocol BatchCandleCursor: CandleCursor {
  /// The next candles in time order; empty at the end of the series. The buffer stays valid
  /// until the next call to `nextBatch()` or `next()`. Mixing the two calls is allowed.
  func nextBatch() throws -> UnsafeBufferPointer<Candle>
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
  private var index = 0
  public init(_ candles: [Candle]) { self.candles = candles }
  public func next() -> Candle? {
    guard index < candles.count else { return nil }
    defer { index += 1 }
    return candles[index]
  }
}

/// Merges one cursor per symbol into a single stream ordered by time, then symbol index.
///
/// One series from a `BatchCandleCursor` (the usual backtest) is read batch by batch: a candle
/// then costs an index check and a copy, not a protocol call into the cursor.
public final class MergedCandleSource: CandleSource {
  public let symbols: [String]
  private let cursors: [CandleCursor]
  private var heads: [Candle?]
  private var started = false
  private let single: BatchCandleCursor?
  private var batch = UnsafeBufferPointer<Candle>(start: nil, count: 0)
  private var batchIndex = 0

  public init(symbols: [String], cursors: [CandleCursor]) {
    precondition(symbols.count == cursors.count)
    self.symbols = symbols
    self.cursors = cursors
    self.heads = Array(repeating: nil, count: cursors.count)
    single = cursors.count == 1 ? cursors[0] as? BatchCandleCursor : nil
  }

  /// Whether the source reads one `BatchCandleCursor` (the usual backtest): `nextBatch()` then
  /// hands over its candles (all of symbol 0) a buffer at a time.
  public var isSingleBatch: Bool { single != nil }

  /// With `isSingleBatch`, the next candles of the one series (the rest of the batch `next()`
  /// was reading first); empty at the end. Valid until the next call to either method.
  public func nextBatch() throws -> UnsafeBufferPointer<Candle> {
    guard let single else { preconditionFailure("nextBatch() needs a single batched series") }
    if batchIndex < batch.count {
      defer { batchIndex = batch.count }
      return UnsafeBufferPointer(rebasing: batch[batchIndex...])
    }
    batch = try single.nextBatch()
    batchIndex = batch.count
    return batch
  }

  public func next() throws -> SymbolCandle? {
    // The hot path touches only the batch: no reference to the cursor is loaded (or retained).
    if batchIndex < batch.count {
      defer { batchIndex += 1 }
      return SymbolCandle(symbol: 0, candle: batch[batchIndex])
    }
    if let single {
      batch = try single.nextBatch()
      batchIndex = 0
      if batch.isEmpty { return nil }
      batchIndex = 1
      return SymbolCandle(symbol: 0, candle: batch[0])
    }
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
