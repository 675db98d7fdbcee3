import Foundation
import GRDB
import WickCore
import WickData
import WickReport

extension DashboardStore {
  /// The interactive price chart of a run's page (paper or live): the candles the cache holds
  /// for the run's symbols from its start to its last candle (the runner writes each confirmed
  /// candle there), every closed position's entry and exit and every open one's entry marked,
  /// and the run's equity linked below. The same chart as the HTML report's, its scripts linked
  /// from the dashboard's assets. Empty when the cache has none of the run's candles.
  public func runChart(_ id: Int64) throws -> String {
    let loaded = try read { db -> (RunChartInput)? in
      guard
        let run = try Row.fetchOne(
          db,
          sql: """
            SELECT symbols, timeframe, exchange, created_at, first_time, last_time, initial_equity,
                   strategy FROM runs WHERE id = ?
            """, arguments: [id])
      else { return nil }
      let positions = try Row.fetchAll(
        db,
        sql: """
          SELECT symbol, side, qty, entry, opened_at, closed_at, exit_price, pnl, exit_reason, active
          FROM positions WHERE run_id = ? ORDER BY id
          """, arguments: [id])
      let equity = try equitySeries(db, run: id).map {
        EquityPoint(time: $0.time, equity: $0.value)
      }
      return RunChartInput(run: run, positions: positions, equity: equity)
    }
    guard let loaded else { return "" }
    let run = loaded.run
    let timeframe = try Timeframe(parsing: run["timeframe"])
    let symbols = (run["symbols"] as String).split(separator: ",").map(String.init)
    var trades: [Trade] = []
    var open: [InteractiveChart.OpenEntry] = []
    for p in loaded.positions {
      let side = Side(rawValue: p["side"]) ?? .long
      if p["active"] as Bool {
        open.append(
          .init(symbol: p["symbol"], side: side, time: p["opened_at"], price: p["entry"]))
        continue
      }
      trades.append(
        Trade(
          symbol: p["symbol"], side: side, entryTime: p["opened_at"], entryPrice: p["entry"],
          exitTime: p["closed_at"] ?? p["opened_at"], exitPrice: p["exit_price"] ?? p["entry"],
          qty: p["qty"], fees: 0, spreadCost: 0, slippageCost: 0, pnl: p["pnl"] ?? 0, r: nil,
          exitReason: ExitReason(rawValue: p["exit_reason"] ?? "") ?? .signal))
    }
    let start: Int64 = run["first_time"] ?? run["created_at"]
    let last: Int64? = run["last_time"]
    let prices = try chartPrices(
      symbols: symbols, timeframe: timeframe, exchange: run["exchange"], from: start,
      to: last.map { $0 + timeframe.milliseconds })
    let initial: Double = run["initial_equity"]
    let result = BacktestResult(
      strategy: run["strategy"], params: [], symbols: symbols, timeframe: timeframe,
      candles: prices.first?.count ?? 0, firstTime: start, lastTime: last,
      initialEquity: initial, finalEquity: loaded.equity.last?.equity ?? initial, trades: trades,
      equity: loaded.equity, dailyEquity: loaded.equity, maxDrawdown: 0, exposure: 0)
    return InteractiveChart.render(
      result, prices: prices, benchmark: nil, open: open, scripts: .dashboard)
  }

  private struct RunChartInput {
    var run: Row
    var positions: [Row]
    var equity: [EquityPoint]
  }

  /// Each symbol's candles of [from, to) from the cache, grouped for the interactive chart.
  /// The series is the run's exchange's when it has one, else the first cached one of the
  /// symbol and timeframe; a symbol without candles is left out.
  func chartPrices(
    symbols: [String], timeframe: Timeframe, exchange: String?, from: Int64?, to: Int64?
  ) throws -> [PriceBuckets] {
    let keys = try candles.seriesKeys()
    return try symbols.compactMap { symbol -> PriceBuckets? in
      let matching = keys.filter { $0.symbol == symbol && $0.timeframe == timeframe }
      guard let key = matching.first(where: { $0.exchange == exchange }) ?? matching.first
      else { return nil }
      var buckets = PriceBuckets(
        symbol: symbol, timeframe: timeframe, capacity: PriceBuckets.interactiveCapacity)
      let cursor = try candles.cursor(series: key, from: from, to: to)
      while let c = try cursor.next() { buckets.add(c) }
      return buckets.count > 0 ? buckets : nil
    }
  }
}
