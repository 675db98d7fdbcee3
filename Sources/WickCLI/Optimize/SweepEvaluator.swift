import Foundation
import WickCore
import WickData
import WickLua
import WickOptimize
import WickSim

/// Runs a sweep's parameter sets through `BacktestJob.simulate`, the path `wick backtest` takes.
/// The candles are read from the cache once and shared read-only by every worker; each call
/// loads the script into its own `lua_State` on a thread of the trial's own (`TrialThread`).
final class SweepEvaluator: TrialEvaluator, @unchecked Sendable {
  // @unchecked: the job's only non-Sendable member is its log callback, which is nil here, and
  // nothing below is mutated after init.
  let job: BacktestJob
  let market: BacktestJob.Market
  /// Per symbol, the candles of [job.from, job.to) in time order.
  let candles: [SharedCandles]
  let axisNames: [String]

  init(job: BacktestJob, axisNames: [String]) throws {
    var job = job
    job.onLog = nil
    let probe = try job.loadStrategy()
    job.strategySource = try? ScriptText.read(path: job.strategyPath)
    self.job = job
    self.axisNames = axisNames
    let store = try CandleStore(path: job.dbPath)
    market = try job.market(for: probe, store: store)
    candles = try market.keys.map { key in
      let cursor = try store.cursor(series: key, from: job.from, to: job.to)
      var list: [Candle] = []
      while let c = try cursor.next() { list.append(c) }
      return SharedCandles(list)
    }
    if candles.allSatisfy({ $0.count == 0 }) {
      throw WickError.data(
        "no candles for \(market.symbols.joined(separator: ",")) \(market.timeframe) in the requested range of \(job.dbPath)"
      )
    }
  }

  /// First open time and last close time of the loaded candles.
  var span: (from: Int64, to: Int64) {
    let first = candles.compactMap(\.first?.time).min()!
    let last = candles.compactMap(\.last?.time).max()!
    return (first, last + market.timeframe.milliseconds)
  }

  /// A set the sandbox stopped (a limit, or a state the watchdog abandoned) throws
  /// `TrialStopped`; the script's own error comes back in the result, as in `wick backtest`.
  func evaluate(values: [ParamValue], from: Int64?, to: Int64?) throws -> BacktestResult {
    let (result, stopped) = try TrialThread.run { onStuck in
      try self.simulate(values: values, from: from, to: to, onStuck: onStuck)
    }
    if let error = result.error, stopped { throw TrialStopped(message: error) }
    return result
  }

  /// The set's result, and whether the sandbox stopped its strategy.
  private func simulate(
    values: [ParamValue], from: Int64?, to: Int64?,
    onStuck: @escaping @Sendable (String) -> Void
  ) throws -> (BacktestResult, stopped: Bool) {
    let strategy: LuaStrategy
    do {
      strategy = try job.loadStrategy(
        extra: zip(axisNames, values).map { ($0, $1, "sweep --param \($0)") })
    } catch WickError.script(let message) where SandboxLimit.stopped(message) {
      // Loading runs the script's top level before a strategy exists to ask: the message
      // tells (a script imitating it there only has its set recorded as failed).
      throw TrialStopped(message: message)
    }
    // Without a handler an abandoned state ends the process (right for one backtest).
    strategy.onStuck = onStuck
    let cursors = candles.map { list in
      let lower = from.map { list.index(atOrAfter: $0) } ?? 0
      let upper = to.map { list.index(atOrAfter: $0) } ?? list.count
      return list.cursor(lower..<max(lower, upper))
    }
    let source = MergedCandleSource(symbols: market.symbols, cursors: cursors)
    let result = try job.simulate(strategy, market: market, source: source).result
    return (result, strategy.stoppedByLimit)
  }
}
