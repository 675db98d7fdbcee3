import Foundation
import GRDB
import WickCore
import WickReport

extension DashboardStore {
  /// The HTML report of a saved backtest, rebuilt from what `--save` stored: the run row, its
  /// closed positions (trades) with their fills' fees, the daily equity snapshots, incidents and
  /// governor events, and the metrics saved with the run (computed at save time from the full
  /// equity curve, so they match the report `--html` wrote). Per-trade spread, slippage, funding
  /// and R are not in the ledger and show as 0 / none. nil when there is no such backtest.
  public func backtestReport(_ id: Int64) throws -> String? {
    let loaded = try read { db -> (BacktestResult, Metrics?, String?, String?)? in
      guard
        let run = try Row.fetchOne(
          db, sql: "SELECT * FROM runs WHERE id = ? AND kind = 'backtest'", arguments: [id])
      else { return nil }
      let timeframe = try Timeframe(parsing: run["timeframe"])
      let symbols = (run["symbols"] as String).split(separator: ",").map(String.init)
      // Backtest orders are named bt-<n>-entry / bt-<n>-exit after the n-th trade.
      var fees: [Int: Double] = [:]
      for r in try Row.fetchAll(
        db,
        sql: """
          SELECT o.client_order_id AS cid, SUM(f.fee) AS fee FROM fills f JOIN orders o ON o.id = f.order_id
          WHERE o.run_id = ? GROUP BY o.client_order_id
          """, arguments: [id])
      {
        let parts = (r["cid"] as String).split(separator: "-")
        if parts.count == 3, parts[0] == "bt", let n = Int(parts[1]) {
          fees[n, default: 0] += r["fee"] as Double
        }
      }
      let trades = try Row.fetchAll(
        db,
        sql: """
          SELECT symbol, side, qty, entry, opened_at, closed_at, exit_price, pnl, exit_reason
          FROM positions WHERE run_id = ? AND active = 0 ORDER BY id
          """, arguments: [id]
      ).enumerated().map { n, p in
        Trade(
          symbol: p["symbol"], side: Side(rawValue: p["side"]) ?? .long,
          entryTime: p["opened_at"], entryPrice: p["entry"],
          exitTime: p["closed_at"] ?? p["opened_at"], exitPrice: p["exit_price"] ?? p["entry"],
          qty: p["qty"], fees: fees[n] ?? 0, spreadCost: 0, slippageCost: 0, pnl: p["pnl"] ?? 0,
          r: nil, exitReason: ExitReason(rawValue: p["exit_reason"] ?? "") ?? .signal)
      }
      let equity = try Row.fetchAll(
        db,
        sql:
          "SELECT time, equity FROM equity_snapshots WHERE run_id = ? AND account IS NULL ORDER BY time",
        arguments: [id]
      ).map { EquityPoint(time: $0["time"], equity: $0["equity"]) }
      var events: [RiskEvent] = []
      for table in ["incidents", "governor_events"] {
        for e in try Row.fetchAll(
          db, sql: "SELECT time, kind, account, detail FROM \(table) WHERE run_id = ?",
          arguments: [id])
        {
          guard let kind = RiskEvent.Kind(rawValue: e["kind"]) else { continue }
          events.append(
            RiskEvent(time: e["time"], kind: kind, account: e["account"] ?? "", detail: e["detail"])
          )
        }
      }
      events.sort { $0.time < $1.time }
      let first: Int64? = run["first_time"]
      let last: Int64? = run["last_time"]
      let metrics =
        try (run["metrics_json"] as String?).map(Metrics.init(storedJSON:))
      var params: [(name: String, value: ParamValue)] = []
      if case .object(let fields) = JSONValue.parse(run["params_json"]) ?? .null {
        params = fields.map { ($0.key, $0.value.paramValue) }
      }
      var result = BacktestResult(
        strategy: run["strategy"], params: params, symbols: symbols, timeframe: timeframe,
        candles: first.flatMap { f in last.map { Int(($0 - f) / timeframe.milliseconds) + 1 } }
          ?? 0,
        firstTime: first, lastTime: last, initialEquity: run["initial_equity"],
        finalEquity: run["final_equity"] ?? run["initial_equity"], trades: trades, equity: equity,
        dailyEquity: equity, maxDrawdown: metrics?.maxDrawdown ?? 0,
        exposure: metrics?.exposure ?? 0,
        limitsInForce: [
          "served by wick serve from the ledger (run \(id)): daily equity, per-trade costs other than fees not stored"
        ],
        error: run["error"])
      result.riskEvents = events
      return (result, metrics, run["exchange"] as String?, run["metrics_json"] as String?)
    }
    guard let (result, metrics, exchange, metricsJSON) = loaded else { return nil }
    // The interactive chart, from the cache's candles of the run's span (none: no chart).
    let prices = try chartPrices(
      symbols: result.symbols, timeframe: result.timeframe, exchange: exchange,
      from: result.firstTime, to: result.lastTime.map { $0 + result.timeframe.milliseconds })
    return HTMLReport.render(
      result, metrics: metrics ?? Metrics.compute(result), prices: prices, scripts: .dashboard,
      reproduce: metricsJSON.flatMap { Self.reproduceText(metricsJSON: $0) })
  }
}

extension DashboardStore {
  /// The `reproduce` object a saved backtest stored beside its metrics, as indented JSON (nil:
  /// a run saved before Wick recorded it).
  static func reproduceText(metricsJSON: String) -> String? {
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(metricsJSON.utf8))
        as? [String: Any],
      let reproduce = object["reproduce"],
      let data = try? JSONSerialization.data(
        withJSONObject: reproduce, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    else { return nil }
    return String(decoding: data, as: UTF8.self)
  }
}

extension JSONValue {
  /// As a strategy param value (the ledger's params_json).
  var paramValue: ParamValue {
    switch self {
    case .null: return .string("")
    case .bool(let b): return .bool(b)
    case .number(let d): return .number(d)
    case .string(let s): return .string(s)
    case .array(let items): return .list(items.map(\.paramValue))
    case .object(let fields): return .table(fields.map { ($0.key, $0.value.paramValue) })
    }
  }
}
