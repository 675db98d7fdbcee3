import WickCore

/// Trades, net PnL and win rate by trading session, volatility regime and trend regime,
/// labelled with the definitions of `wick.session` and `wick.regime` (WickCore's
/// `TradingSessions` and `RegimeClassifier`) on the backtest's own candles, so every strategy
/// gets it whether or not its script used them. A trade belongs to the session of its entry
/// and to the regime of the last candle closed before its entry (the one it was decided on).
/// Trades entered before the regime was warm are `warming_up`; trades of a symbol whose candles
/// were not recorded are `unknown`. Each grouping's parts add up to the totals.
public struct Attribution: Sendable {
  public struct Cell: Sendable, Equatable {
    public var trades: Int
    public var netPnl: Double
    public var wins: Int
    public var winRate: Double { trades > 0 ? Double(wins) / Double(trades) : 0 }
  }

  /// (label, figures) in a fixed order: sessions through the day, regimes low → high, up →
  /// range; only labels with trades appear.
  public var bySession: [(label: String, cell: Cell)]
  public var byVolatility: [(label: String, cell: Cell)]
  public var byTrend: [(label: String, cell: Cell)]

  public init(
    trades: [Trade], regimes: [RegimeTape], sessions: TradingSessions = .standard
  ) {
    let sessionOrder: [TradingSession] = [
      .asia, .asiaLondon, .london, .londonNewYork, .newYork, .asiaNewYork, .asiaLondonNewYork,
      .off,
    ]
    let volatilityOrder = VolatilityRegime.allCases.map(\.rawValue) + ["warming_up", "unknown"]
    let trendOrder = TrendRegime.allCases.map(\.rawValue) + ["warming_up", "unknown"]
    var session: [String: Cell] = [:]
    var volatility: [String: Cell] = [:]
    var trend: [String: Cell] = [:]
    var tapes: [String: Int] = [:]
    for (i, t) in regimes.enumerated() { tapes[t.symbol] = i }
    func add(_ t: Trade, _ label: String, _ into: inout [String: Cell]) {
      var c = into[label] ?? Cell(trades: 0, netPnl: 0, wins: 0)
      c.trades += 1
      c.netPnl += t.pnl
      if t.pnl > 0 { c.wins += 1 }
      into[label] = c
    }
    for t in trades {
      add(t, sessions.session(at: t.entryTime).name, &session)
      if let i = tapes[t.symbol] {
        let r = regimes[i].regime(before: t.entryTime)
        add(t, r?.volatility.rawValue ?? "warming_up", &volatility)
        add(t, r?.trend.rawValue ?? "warming_up", &trend)
      } else {
        add(t, "unknown", &volatility)
        add(t, "unknown", &trend)
      }
    }
    func ordered(_ cells: [String: Cell], _ order: [String]) -> [(label: String, cell: Cell)] {
      order.compactMap { label in cells[label].map { (label, $0) } }
    }
    bySession = ordered(session, sessionOrder.map(\.name))
    byVolatility = ordered(volatility, volatilityOrder)
    byTrend = ordered(trend, trendOrder)
  }

  public var groups: [(key: String, title: String, rows: [(label: String, cell: Cell)])] {
    [
      ("by_session", "session", bySession), ("by_volatility", "volatility regime", byVolatility),
      ("by_trend", "trend regime", byTrend),
    ]
  }
}
