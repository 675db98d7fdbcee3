import WickCore

/// A paper or live run's record shaped as a backtest result, so `Metrics.compute` — the code
/// every backtest's metrics come from — computes its metrics too, with the same keys and
/// formulas: a paper run and its backtest compare figure by figure.
///
///     let result = LedgerRunResult.make(strategy: "ma_cross", symbols: ["BTCUSDT"],
///       timeframe: .oneMinute, firstTime: first, lastTime: last, initialEquity: 10_000,
///       trades: trades, snapshots: equity, positions: spans)
///     let metrics = Metrics.compute(result)
///
/// What the ledger holds differs from a backtest's in one way: equity is the runner's snapshot
/// at each handled candle (time = the candle's open, as stored), not every candle of a series.
/// Drawdown, exposure and the daily closes are measured on those snapshots the way the
/// backtest's equity tracker measures them on its candles: drawdown from a peak that starts at
/// the initial equity, a day's close is the last snapshot whose candle closed that UTC day, the
/// first daily point is the initial equity.
public enum LedgerRunResult {
  /// A position's time in the market: open from `openedAt` until `closedAt` (nil: still open).
  public struct Span: Sendable, Equatable {
    public var openedAt: Int64
    public var closedAt: Int64?
    public init(openedAt: Int64, closedAt: Int64?) {
      self.openedAt = openedAt
      self.closedAt = closedAt
    }
  }

  /// `snapshots`: run-wide equity in time order (candle open times). `trades`: closed trades in
  /// the order they closed. `finalEquity`: the last snapshot, else `fallbackFinal`, else initial.
  public static func make(
    strategy: String, symbols: [String], timeframe: Timeframe, firstTime: Int64?,
    lastTime: Int64?, initialEquity: Double, fallbackFinal: Double? = nil, trades: [Trade],
    snapshots: [EquityPoint], positions: [Span]
  ) -> BacktestResult {
    var peak = initialEquity
    var maxDrawdown = 0.0
    var exposed = 0
    var daily: [EquityPoint] = []
    var currentDay = Int64.min
    // A candle is exposed when a position is open at its close: filled at or before its open
    // and not closed by then. Open count at t = opened at or before t − closed at or before t,
    // two sorted lists walked once beside the snapshots.
    let opens = positions.map(\.openedAt).sorted()
    let closes = positions.compactMap(\.closedAt).sorted()
    var opened = 0
    var closed = 0
    for s in snapshots {
      while opened < opens.count, opens[opened] <= s.time { opened += 1 }
      while closed < closes.count, closes[closed] <= s.time { closed += 1 }
      if opened > closed { exposed += 1 }
      if daily.isEmpty { daily.append(EquityPoint(time: s.time, equity: initialEquity)) }
      peak = max(peak, s.equity)
      if peak > 0 { maxDrawdown = max(maxDrawdown, (peak - s.equity) / peak) }
      let close = s.time + timeframe.milliseconds
      let day = UTCTime.dayStart(close - 1)
      let point = EquityPoint(time: close, equity: s.equity)
      if day == currentDay, daily.count > 1 {
        daily[daily.count - 1] = point
      } else {
        daily.append(point)
        currentDay = day
      }
    }
    let first = firstTime ?? snapshots.first?.time
    let last = lastTime ?? snapshots.last?.time
    let candles =
      first.flatMap { f in last.map { Int(($0 - f) / timeframe.milliseconds) + 1 } } ?? 0
    return BacktestResult(
      strategy: strategy, params: [], symbols: symbols, timeframe: timeframe, candles: candles,
      firstTime: first, lastTime: last, initialEquity: initialEquity,
      finalEquity: snapshots.last?.equity ?? fallbackFinal ?? initialEquity, trades: trades,
      equity: snapshots, dailyEquity: daily, maxDrawdown: maxDrawdown,
      exposure: snapshots.isEmpty ? 0 : Double(exposed) / Double(snapshots.count))
  }
}
