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
}
