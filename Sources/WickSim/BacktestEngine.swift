import WickCore

/// A backtest: the `TradingKernel` driven over a candle source to its end, with the
/// `SimulatedVenue` as the exchange. Open positions are closed at the last close when the data
/// ends.
///
///     let engine = BacktestEngine(config: config, symbols: ["BTCUSDT"], strategy: s, risk: gate)
///     let result = try engine.run(source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [cursor]))
public final class BacktestEngine {
  public let config: BacktestConfig
  public let symbols: [String]
  public let kernel: TradingKernel
  public let venue: SimulatedVenue

  public var onLog: ((String) -> Void)? {
    get { kernel.onLog }
    set { kernel.onLog = newValue }
  }

  public init(config: BacktestConfig, symbols: [String], strategy: Strategy, risk: RiskGate) {
    self.config = config
    self.symbols = symbols
    venue = SimulatedVenue(config: config, leverage: risk.leverage)
    kernel = TradingKernel(
      symbols: symbols, timeframe: config.timeframe, initialEquity: config.initialEquity,
      historyDepth: config.historyDepth, chartPoints: config.chartPoints, strategy: strategy,
      risk: risk, venue: venue)
    kernel.decisionGrid = config.decisionGrid
  }

  /// Runs the strategy over `source` to the end, or until the strategy fails: then the result
  /// up to the failure is returned with `error` set (the caller decides the exit status).
  public func run(source: CandleSource) throws -> BacktestResult {
    var failure: String? = nil
    do {
      try kernel.start()
      try CandleSlicer.forEachSlice(of: source, symbols: symbols, into: kernel)
    } catch let error as WickError {
      guard case .script(let message) = error else { throw error }
      failure = message
    }
    kernel.closeAll(reason: .endOfData)
    return kernel.result(strategyName: config.strategyName, params: config.params, error: failure)
  }
}

extension SimulatedVenue {
  /// The simulated venue of a backtest's config.
  public convenience init(config: BacktestConfig, leverage: Double) {
    self.init(
      fills: config.fills, margin: config.margin, funding: config.funding, leverage: leverage,
      rejectProbability: config.rejectProbability, rejectSeed: config.rejectSeed)
  }
}

/// Groups a time-ordered source into slices of one time each and hands them to the kernel. Reads
/// one candle ahead, so it suits finished sources (the cache); a live stream delivers whole
/// slices itself.
enum CandleSlicer {
  static func forEachSlice(of source: CandleSource, symbols: [String], into kernel: TradingKernel)
    throws
  {
    let strategy = kernel.strategy
    if let merged = source as? MergedCandleSource, merged.isSingleBatch, symbols.count == 1 {
      return try forEachCandle(of: merged, symbol: symbols[0], into: kernel, strategy: strategy)
    }
    var next = try source.next()
    while let first = next {
      kernel.slice[0] = first
      kernel.sliceCount = 1
      next = try source.next()
      while let c = next, c.candle.time == first.candle.time {
        guard kernel.sliceCount < kernel.slice.count else {
          throw WickError.data(
            "two candles for \(symbols[c.symbol]) at \(UTCTime.iso(c.candle.time)) in the source")
        }
        kernel.slice[kernel.sliceCount] = c
        kernel.sliceCount += 1
        next = try source.next()
      }
      try kernel.processSlice(time: first.candle.time, strategy: strategy)
    }
  }

  /// One series read a batch at a time: each candle is a slice of its own, stepped through in
  /// memory without a call into the source per candle. Like the general path it reads one
  /// candle ahead, so a repeated time or a failed read stops the run at the same candle: a
  /// batch's last candle waits for the next batch's first.
  private static func forEachCandle(
    of source: MergedCandleSource, symbol: String, into kernel: TradingKernel, strategy: Strategy
  ) throws {
    func repeated(_ time: Int64) -> WickError {
      WickError.data("two candles for \(symbol) at \(UTCTime.iso(time)) in the source")
    }
    @inline(__always) func process(_ c: Candle) throws {
      kernel.slice[0] = SymbolCandle(symbol: 0, candle: c)
      kernel.sliceCount = 1
      try kernel.processSlice(time: c.time, strategy: strategy)
    }
    var last: Candle? = nil
    while case let batch = try source.nextBatch(), !batch.isEmpty {
      if let last {
        if batch[0].time == last.time { throw repeated(last.time) }
        try process(last)
      }
      for i in 0..<batch.count - 1 {
        if batch[i + 1].time == batch[i].time { throw repeated(batch[i].time) }
        try process(batch[i])
      }
      last = batch[batch.count - 1]
    }
    if let last { try process(last) }
  }
}
