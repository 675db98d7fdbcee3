import Foundation
import GRDB
import WickCore
import WickData
import WickReport

/// One closed trade of a run as the ledger recorded it: the trade (pnl net of costs, as the
/// runner booked it) with its account and the stored exit reason.
public struct ClosedTrade: Sendable, Equatable {
  public var account: String
  public var trade: Trade
  /// The exit reason as stored (`stop`, `take`, `signal`, …).
  public var exitReason: String

  public static func == (a: ClosedTrade, b: ClosedTrade) -> Bool {
    a.account == b.account && a.exitReason == b.exitReason && a.trade.symbol == b.trade.symbol
      && a.trade.entryTime == b.trade.entryTime && a.trade.exitTime == b.trade.exitTime
      && a.trade.qty == b.trade.qty && a.trade.pnl == b.trade.pnl
  }
}

/// A paper or live run's performance from its ledger: the backtest's metrics (same keys, same
/// code) and the complete closed-trade history, oldest first.
public struct RunPerformance: Sendable {
  /// The run as a backtest result (params, span, equity, trades): what the summary prints.
  public var result: BacktestResult
  public var metrics: Metrics
  public var trades: [ClosedTrade]
  /// Whether the metrics are the ones a saved backtest stored (else computed from the ledger).
  public var stored: Bool
}

extension DashboardStore {
  /// The run's metrics and closed trades; nil when there is no such run.
  ///
  /// Trades are the closed `positions` rows plus each partial exit (a `fill` decision with
  /// `partial`), as the backtest lists them. A trade's fees are those of the fills that belong
  /// to it: the entry's (and adds') go with the final close, a partial exit carries its own
  /// fill's fee, so the fees add up to the run's. R is pnl over qty × |entry − stop| (the stop
  /// the position opened with). Adds after the entry are not in the position row, so R and qty
  /// of a position that was added to count its first fill only.
  public func performance(_ id: Int64) throws -> RunPerformance? {
    try read { db in try performance(db, run: id) }
  }

  func performance(_ db: Database, run id: Int64) throws -> RunPerformance? {
    guard
      let run = try Row.fetchOne(
        db,
        sql: """
          SELECT kind, strategy, params_json, symbols, timeframe, first_time, last_time,
                 initial_equity, final_equity, metrics_json FROM runs WHERE id = ?
          """, arguments: [id])
    else { return nil }
    let timeframe = try Timeframe(parsing: run["timeframe"])
    let positions = try Row.fetchAll(
      db,
      sql: """
        SELECT p.id, COALESCE(a.name, '') AS account, p.symbol, p.side, p.qty, p.entry, p.stop,
               p.opened_at, p.closed_at, p.exit_price, p.pnl, p.exit_reason, p.active
        FROM positions p LEFT JOIN accounts a ON a.id = p.account_id
        WHERE p.run_id = ? ORDER BY p.opened_at, p.id
        """, arguments: [id]
    ).map(LedgerPosition.init)
    let partials = try Row.fetchAll(
      db,
      sql: """
        SELECT candle_time, symbol, json_extract(detail_json, '$.qty') AS qty,
               json_extract(detail_json, '$.price') AS price, json_extract(detail_json, '$.pnl') AS pnl,
               json_extract(detail_json, '$.reason') AS reason
        FROM decisions WHERE run_id = ? AND kind = 'fill'
          AND json_extract(detail_json, '$.leg') = 'exit' AND json_extract(detail_json, '$.partial') = 1
        ORDER BY seq
        """, arguments: [id])
    let fills = try Row.fetchAll(
      db,
      sql: """
        SELECT f.time, f.fee, o.symbol, o.side, o.parent_order_id IS NULL AS root
        FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.run_id = ? ORDER BY f.id
        """, arguments: [id])
    let trades = LedgerTrades(positions: positions, partials: partials, fills: fills).trades
    let snapshots = try Row.fetchAll(
      db,
      sql:
        "SELECT time, equity FROM equity_snapshots WHERE run_id = ? AND account IS NULL ORDER BY time",
      arguments: [id]
    ).map { EquityPoint(time: $0["time"], equity: $0["equity"]) }
    var result = LedgerRunResult.make(
      strategy: run["strategy"],
      symbols: (run["symbols"] as String).split(separator: ",").map(String.init),
      timeframe: timeframe, firstTime: run["first_time"], lastTime: run["last_time"],
      initialEquity: run["initial_equity"], fallbackFinal: run["final_equity"],
      trades: trades.map(\.trade), snapshots: snapshots,
      positions: positions.map { .init(openedAt: $0.openedAt, closedAt: $0.closedAt) })
    if case .object(let fields) = JSONValue.parse(run["params_json"]) ?? .null {
      result.params = fields.map { ($0.key, $0.value.paramValue) }
    }
    // A saved backtest keeps the metrics computed at save time from its full equity curve.
    if run["kind"] as String == "backtest", let json = run["metrics_json"] as String? {
      return RunPerformance(
        result: result, metrics: try Metrics(storedJSON: json), trades: trades, stored: true)
    }
    return RunPerformance(
      result: result, metrics: Metrics.compute(result), trades: trades, stored: false)
  }

  /// The last price the ledger has for each of `symbols`: the close of the run's last candle in
  /// the cache (the runner writes each candle it handles there), else the run's last fill of
  /// the symbol. Symbols with neither are left out.
  func marks(_ db: Database, run id: Int64, symbols: Set<String>) throws -> [String: Double] {
    guard !symbols.isEmpty,
      let run = try Row.fetchOne(
        db, sql: "SELECT timeframe, exchange, last_time FROM runs WHERE id = ?", arguments: [id])
    else { return [:] }
    let timeframeMs = try Timeframe(parsing: run["timeframe"]).milliseconds
    let exchange: String? = run["exchange"]
    let last: Int64? = run["last_time"]
    var out: [String: Double] = [:]
    for symbol in symbols.sorted() {
      // The run's exchange's series first, then any other; the candle by its primary key.
      let series = try Int64.fetchOne(
        db,
        sql: """
          SELECT id FROM series WHERE symbol = ? AND timeframe_ms = ?
          ORDER BY (exchange = ?) DESC, id LIMIT 1
          """, arguments: [symbol, timeframeMs, exchange ?? ""])
      if let last, let series,
        let close = try Double.fetchOne(
          db,
          sql: """
            SELECT close FROM candles WHERE series_id = ? AND time <= ?
            ORDER BY time DESC LIMIT 1
            """, arguments: [series, last])
      {
        out[symbol] = close
      } else if let price = try Double.fetchOne(
        db,
        sql: """
          SELECT f.price FROM fills f JOIN orders o ON o.id = f.order_id
          WHERE o.run_id = ? AND o.symbol = ? ORDER BY f.time DESC, f.id DESC LIMIT 1
          """, arguments: [id, symbol])
      {
        out[symbol] = price
      }
    }
    return out
  }
}

/// A `positions` row as the trade assembly reads it.
struct LedgerPosition {
  var account: String
  var symbol: String
  var side: Side
  var qty: Double
  var entry: Double
  var stop: Double?
  var openedAt: Int64
  var closedAt: Int64?
  var exitPrice: Double?
  var pnl: Double?
  var exitReason: String?
  var active: Bool

  init(_ r: Row) {
    account = r["account"]
    symbol = r["symbol"]
    side = Side(rawValue: r["side"]) ?? .long
    qty = r["qty"]
    entry = r["entry"]
    stop = r["stop"]
    openedAt = r["opened_at"]
    closedAt = r["closed_at"]
    exitPrice = r["exit_price"]
    pnl = r["pnl"]
    exitReason = r["exit_reason"]
    active = r["active"]
  }

  /// The trade's R: pnl over the risk `qty` took at the opening stop.
  func r(pnl: Double, qty: Double) -> Double? {
    guard let stop else { return nil }
    let risk = qty * abs(entry - stop)
    return risk > 0 ? pnl / risk : nil
  }
}

/// Closed trades from the ledger's positions, partial-exit decisions and fills (see
/// `DashboardStore.performance`).
struct LedgerTrades {
  private(set) var trades: [ClosedTrade] = []

  init(positions: [LedgerPosition], partials: [Row], fills: [Row]) {
    // Positions of each symbol in opening order: a fill or partial belongs to the last one
    // opened at or before its time (one active position per symbol at a time).
    var bySymbol: [String: [Int]] = [:]
    for (i, p) in positions.enumerated() { bySymbol[p.symbol, default: []].append(i) }
    func owner(_ symbol: String, _ time: Int64, root: Bool) -> Int? {
      guard let list = bySymbol[symbol] else { return nil }
      // Binary search: the first position opened after `time`; the one before it owns it.
      var low = 0
      var high = list.count
      while low < high {
        let mid = (low + high) / 2
        if positions[list[mid]].openedAt <= time { low = mid + 1 } else { high = mid }
      }
      guard low > 0 else { return nil }
      let k = low - 1
      // A fill at the time one position closed and the next opened: the exit (an order with a
      // parent) is the earlier position's.
      if !root, positions[list[k]].openedAt == time, k > 0,
        positions[list[k - 1]].closedAt == time
      {
        return list[k - 1]
      }
      return list[k]
    }
    struct Partial {
      var position: Int
      var time: Int64
      var qty: Double
      var price: Double
      var pnl: Double
      var reason: String
      var fees = 0.0
    }
    var parts: [Partial] = []
    var partialQty = [Double](repeating: 0, count: positions.count)
    for r in partials {
      let time: Int64 = r["candle_time"]
      guard let p = owner(r["symbol"], time, root: false) else { continue }
      let qty: Double = r["qty"] ?? 0
      partialQty[p] += qty
      parts.append(
        Partial(
          position: p, time: time, qty: qty, price: r["price"] ?? 0, pnl: r["pnl"] ?? 0,
          reason: r["reason"] ?? "signal"))
    }
    struct PartKey: Hashable {
      var position: Int
      var time: Int64
    }
    var partAt: [PartKey: Int] = [:]
    for (k, part) in parts.enumerated().reversed() {
      partAt[PartKey(position: part.position, time: part.time)] = k
    }
    var fees = [Double](repeating: 0, count: positions.count)
    for f in fills {
      let time: Int64 = f["time"]
      let root: Bool = f["root"]
      guard let p = owner(f["symbol"], time, root: root) else { continue }
      let closing = (f["side"] as String == "buy") != (positions[p].side == .long)
      if closing, let k = partAt[PartKey(position: p, time: time)] {
        parts[k].fees += f["fee"]
      } else {
        fees[p] += f["fee"]
      }
    }
    var keyed: [(time: Int64, order: Int, trade: ClosedTrade)] = []
    for part in parts {
      let p = positions[part.position]
      var t = Trade(
        symbol: p.symbol, side: p.side, entryTime: p.openedAt, entryPrice: p.entry,
        exitTime: part.time, exitPrice: part.price, qty: part.qty, fees: part.fees,
        spreadCost: 0, slippageCost: 0, pnl: part.pnl, r: p.r(pnl: part.pnl, qty: part.qty),
        exitReason: ExitReason(rawValue: part.reason) ?? .signal)
      t.partial = true
      keyed.append(
        (part.time, 0, ClosedTrade(account: p.account, trade: t, exitReason: part.reason)))
    }
    for (i, p) in positions.enumerated() where !p.active {
      let exit = p.closedAt ?? p.openedAt
      let qty = max(p.qty - partialQty[i], 0)
      let pnl = p.pnl ?? 0
      let reason = p.exitReason ?? "signal"
      let t = Trade(
        symbol: p.symbol, side: p.side, entryTime: p.openedAt, entryPrice: p.entry,
        exitTime: exit, exitPrice: p.exitPrice ?? p.entry, qty: qty, fees: fees[i],
        spreadCost: 0, slippageCost: 0, pnl: pnl, r: p.r(pnl: pnl, qty: qty),
        exitReason: ExitReason(rawValue: reason) ?? .signal)
      keyed.append((exit, 1, ClosedTrade(account: p.account, trade: t, exitReason: reason)))
    }
    // In the order they closed; a partial before the final close at the same time.
    trades = keyed.enumerated().sorted {
      ($0.element.time, $0.element.order, $0.offset) < (
        $1.element.time, $1.element.order, $1.offset
      )
    }.map(\.element.trade)
  }
}
