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
    // Cells by label index (a session by its raw value), so a trade costs a few array stores
    // rather than string hashing: a 1M-candle backtest can have 30,000 trades.
    var session = [Cell?](repeating: nil, count: TradingSession.allCases.count)
    var volatility = [Cell?](repeating: nil, count: volatilityOrder.count)
    var trend = [Cell?](repeating: nil, count: trendOrder.count)
    // The last two labels of each order.
    let (volatilityWarming, volatilityUnknown) = (
      volatilityOrder.count - 2, volatilityOrder.count - 1
    )
    let (trendWarming, trendUnknown) = (trendOrder.count - 2, trendOrder.count - 1)
    let trends = TrendRegime.allCases.count
    var tapes: [String: Int] = [:]
    for (i, t) in regimes.enumerated() { tapes[t.symbol] = i }
    func add(_ t: Trade, _ label: Int, _ into: inout [Cell?]) {
      var c = into[label] ?? Cell(trades: 0, netPnl: 0, wins: 0)
      c.trades += 1
      c.netPnl += t.pnl
      if t.pnl > 0 { c.wins += 1 }
      into[label] = c
    }
    var symbol: String? = nil
    var tape: Int? = nil
    for t in trades {
      add(t, sessions.session(at: t.entryTime).rawValue, &session)
      if t.symbol != symbol {  // trades of one symbol mostly follow each other
        symbol = t.symbol
        tape = tapes[t.symbol]
      }
      if let tape {
        // 0 while warming up, else 1 + volatility × 3 + trend in their `allCases` order.
        let code = Int(regimes[tape].code(before: t.entryTime))
        add(t, code == 0 ? volatilityWarming : (code - 1) / trends, &volatility)
        add(t, code == 0 ? trendWarming : (code - 1) % trends, &trend)
      } else {
        add(t, volatilityUnknown, &volatility)
        add(t, trendUnknown, &trend)
      }
    }
    bySession = sessionOrder.compactMap { s in session[s.rawValue].map { (s.name, $0) } }
    byVolatility = volatilityOrder.indices.compactMap { i in
      volatility[i].map { (volatilityOrder[i], $0) }
    }
    byTrend = trendOrder.indices.compactMap { i in trend[i].map { (trendOrder[i], $0) } }
  }

  public var groups: [(key: String, title: String, rows: [(label: String, cell: Cell)])] {
    [
      ("by_session", "session", bySession), ("by_volatility", "volatility regime", byVolatility),
      ("by_trend", "trend regime", byTrend),
    ]
  }
}
