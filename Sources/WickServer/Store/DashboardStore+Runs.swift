import Foundation
import GRDB
import WickCore

extension DashboardStore {
  /// Today's PnL is the change in equity since the UTC day began (the last run-wide snapshot
  /// before it, else the initial equity): realised, unrealised, fees and funding together, so a
  /// run whose open position moved shows it. A run with no snapshot today falls back to the
  /// day's realised rows (run-wide, else the accounts' sum), and shows "—" without either.
  /// Run-wide equity: the latest snapshot without an account, else the sum of each account's
  /// latest, else the final (or initial) equity.
  private static let summaryColumns = """
    r.id, r.kind, r.status, r.strategy, r.symbols, r.timeframe, r.exchange, r.created_at,
    r.heartbeat_at, r.initial_equity,
    COALESCE(
      (SELECT e.equity FROM equity_snapshots e WHERE e.run_id = r.id AND e.account IS NULL
       ORDER BY e.time DESC LIMIT 1),
      (SELECT SUM(e.equity) FROM equity_snapshots e WHERE e.run_id = r.id AND e.account IS NOT NULL
       AND e.time = (SELECT MAX(x.time) FROM equity_snapshots x WHERE x.run_id = r.id AND x.account = e.account)),
      r.final_equity, r.initial_equity) AS equity,
    COALESCE(
      (SELECT SUM(d.pnl) FROM daily_pnl d WHERE d.run_id = r.id AND d.account IS NULL AND d.day = :today),
      (SELECT SUM(d.pnl) FROM daily_pnl d WHERE d.run_id = r.id AND d.account IS NOT NULL AND d.day = :today)) AS today_realized,
    (SELECT e.equity FROM equity_snapshots e WHERE e.run_id = r.id AND e.account IS NULL AND e.time < :day_start
     ORDER BY e.time DESC LIMIT 1) AS day_start_equity,
    EXISTS (SELECT 1 FROM equity_snapshots e WHERE e.run_id = r.id AND e.time >= :day_start) AS moved_today,
    (SELECT COUNT(*) FROM positions p WHERE p.run_id = r.id AND p.active = 1) AS open_positions
    """

  private static func summary(_ row: Row) -> RunSummary {
    RunSummary(
      id: row["id"], kind: row["kind"], status: row["status"], strategy: row["strategy"],
      symbols: row["symbols"], timeframe: row["timeframe"], exchange: row["exchange"],
      createdAt: row["created_at"], heartbeatAt: row["heartbeat_at"],
      initialEquity: row["initial_equity"], equity: row["equity"],
      todayPnl: row["moved_today"]
        ? (row["equity"] as Double)
          - ((row["day_start_equity"] as Double?) ?? row["initial_equity"])
        : (row["today_realized"] as Double?),
      openPositions: row["open_positions"])
  }

  /// Runs for the runs page: active ones first, then the newest.
  /// `today`: the UTC day for "today's PnL" (now when nil).
  public func runs(today: String? = nil, limit: Int = 200) throws -> [RunSummary] {
    let today = today ?? utcDay(nowMilliseconds())
    return try read { db in
      try Row.fetchAll(
        db,
        sql: """
          SELECT \(Self.summaryColumns) FROM runs r
          ORDER BY (r.status IN ('running', 'paused', 'halted')) DESC, r.id DESC LIMIT :limit
          """,
        arguments: ["today": today, "day_start": UTCTime.parse(today) ?? 0, "limit": limit]
      ).map(Self.summary)
    }
  }

  /// One run's page; nil when there is no such run. `history: false` leaves out the equity
  /// curve and the event lists (the live stream's state check reads only the current state).
  public func run(_ id: Int64, today: String? = nil, history: Bool = true) throws -> RunDetail? {
    let today = today ?? utcDay(nowMilliseconds())
    return try read { db -> RunDetail? in
      guard
        let row = try Row.fetchOne(
          db,
          sql: """
            SELECT \(Self.summaryColumns), r.params_json, r.script_path, r.args_json, r.state_json,
                   r.error, r.metrics_json, r.last_time
            FROM runs r WHERE r.id = :id
            """, arguments: ["today": today, "day_start": UTCTime.parse(today) ?? 0, "id": id])
      else { return nil }
      let accounts = try Row.fetchAll(
        db,
        sql:
          "SELECT name, symbol, allocation, killed, kill_reason FROM accounts WHERE run_id = ? ORDER BY id",
        arguments: [id]
      ).map {
        AccountRow(
          name: $0["name"], symbol: $0["symbol"], allocation: $0["allocation"],
          killed: $0["killed"], killReason: $0["kill_reason"])
      }
      let todayLoss =
        try Double.fetchOne(
          db,
          sql: """
            SELECT COALESCE(
              (SELECT SUM(pnl) FROM daily_pnl WHERE run_id = :id AND account IS NULL AND day = :today),
              (SELECT SUM(pnl) FROM daily_pnl WHERE run_id = :id AND account IS NOT NULL AND day = :today), 0)
            """, arguments: ["id": id, "today": today]) ?? 0
      let decisions = history ? try recentDecisions(db, run: id, limit: 60) : []
      let open = try positions(db, run: id, active: true, limit: 200)
      var detail = RunDetail(
        summary: Self.summary(row), paramsJSON: row["params_json"], scriptPath: row["script_path"],
        argsJSON: row["args_json"], stateJSON: row["state_json"], error: row["error"],
        metricsJSON: row["metrics_json"], accounts: accounts,
        equity: history ? try equitySeries(db, run: id) : [],
        openPositions: open,
        closedPositions: try positions(db, run: id, active: false, limit: 20),
        signals: decisions.filter { $0.kind != "refusal" },
        refusals: history ? try recentDecisions(db, run: id, limit: 30, kind: "refusal") : [],
        fills: history ? try fills(db, run: id, after: nil, limit: 30) : [],
        incidents: history
          ? try events(db, table: "incidents", run: id, after: nil, limit: 30) : [],
        governorEvents: history
          ? try events(db, table: "governor_events", run: id, after: nil, limit: 30) : [],
        commands: try commands(db, run: id, limit: 20),
        scriptVersion: try Row.fetchOne(
          db,
          sql: """
            SELECT time, script_hash, params_json, source FROM script_versions
            WHERE run_id = ? ORDER BY time DESC, rowid DESC LIMIT 1
            """, arguments: [id]
        ).map {
          ScriptVersionRow(
            time: $0["time"], scriptHash: $0["script_hash"], paramsJSON: $0["params_json"],
            source: $0["source"])
        },
        todayLoss: todayLoss < 0 ? -todayLoss : 0,
        // The runner commits runs.last_time with every candle; decisions only when it decides.
        lastCandleTime: try row["last_time"]
          ?? Int64.fetchOne(
            db, sql: "SELECT MAX(candle_time) FROM decisions WHERE run_id = ?", arguments: [id]))
      detail.marks = try marks(db, run: id, symbols: Set(open.map(\.symbol)))
      if history { detail.performance = try performance(db, run: id) }
      return detail
    }
  }

  /// The run's equity curve (run-wide snapshots, else the accounts summed per time), thinned to
  /// at most `maxPoints` so a long paper run still draws quickly on a phone.
  func equitySeries(_ db: Database, run: Int64, maxPoints: Int = 1_500) throws -> [(
    time: Int64, value: Double
  )] {
    var rows = try Row.fetchAll(
      db,
      sql:
        "SELECT time, equity FROM equity_snapshots WHERE run_id = ? AND account IS NULL ORDER BY time",
      arguments: [run])
    if rows.isEmpty {
      rows = try Row.fetchAll(
        db,
        sql: """
          SELECT time, SUM(equity) AS equity FROM equity_snapshots
          WHERE run_id = ? AND account IS NOT NULL GROUP BY time ORDER BY time
          """, arguments: [run])
    }
    let stride = max(1, (rows.count + maxPoints - 1) / maxPoints)
    var points: [(time: Int64, value: Double)] = []
    points.reserveCapacity(rows.count / stride + 1)
    for (i, r) in rows.enumerated() where i % stride == 0 || i == rows.count - 1 {
      points.append((r["time"], r["equity"]))
    }
    return points
  }

  func positions(_ db: Database, run: Int64, active: Bool, limit: Int) throws -> [PositionRow] {
    try Row.fetchAll(
      db,
      sql: """
        SELECT p.id, a.name AS account, p.symbol, p.side, p.qty, p.entry, p.stop, p.take, p.opened_at,
               p.closed_at, p.exit_price, p.pnl, p.exit_reason
        FROM positions p JOIN accounts a ON a.id = p.account_id
        WHERE p.run_id = ? AND p.active = ? ORDER BY COALESCE(p.closed_at, p.opened_at) DESC, p.id DESC LIMIT ?
        """, arguments: [run, active ? 1 : 0, limit]
    ).map {
      PositionRow(
        id: $0["id"], account: $0["account"], symbol: $0["symbol"], side: $0["side"],
        qty: $0["qty"], entry: $0["entry"], stop: $0["stop"], take: $0["take"],
        openedAt: $0["opened_at"], closedAt: $0["closed_at"], exitPrice: $0["exit_price"],
        pnl: $0["pnl"], exitReason: $0["exit_reason"])
    }
  }

  func recentDecisions(_ db: Database, run: Int64, limit: Int, kind: String? = nil) throws
    -> [DecisionRow]
  {
    try Row.fetchAll(
      db,
      sql: """
        SELECT seq, candle_time, kind, symbol, detail_json FROM decisions
        WHERE run_id = ? \(kind == nil ? "" : "AND kind = ?") ORDER BY seq DESC LIMIT ?
        """,
      arguments: StatementArguments(
        [run] + (kind.map { [$0] } ?? []) + [limit] as [any DatabaseValueConvertible])
    ).map(Self.decision)
  }

  static func decision(_ row: Row) -> DecisionRow {
    DecisionRow(
      seq: row["seq"], candleTime: row["candle_time"], kind: row["kind"], symbol: row["symbol"],
      detailJSON: row["detail_json"])
  }

  /// Fills of a run, newest first, or (with `after`) those with a larger id, oldest first.
  func fills(_ db: Database, run: Int64, after: Int64?, limit: Int) throws -> [FillRow] {
    try Row.fetchAll(
      db,
      sql: """
        SELECT f.id, f.time, o.symbol, o.side, o.type, f.price, f.qty, f.fee
        FROM fills f JOIN orders o ON o.id = f.order_id
        WHERE o.run_id = ? AND f.id > ? ORDER BY f.id \(after == nil ? "DESC" : "ASC") LIMIT ?
        """, arguments: [run, after ?? 0, limit]
    ).map {
      FillRow(
        id: $0["id"], time: $0["time"], symbol: $0["symbol"], side: $0["side"], type: $0["type"],
        price: $0["price"], qty: $0["qty"], fee: $0["fee"])
    }
  }

  /// Rows of `incidents` or `governor_events`, newest first, or (with `after`) the newer ones
  /// oldest first.
  func events(_ db: Database, table: String, run: Int64, after: Int64?, limit: Int) throws
    -> [EventRow]
  {
    precondition(table == "incidents" || table == "governor_events")
    return try Row.fetchAll(
      db,
      sql: """
        SELECT rowid, time, kind, account, detail FROM \(table)
        WHERE run_id = ? AND rowid > ? ORDER BY rowid \(after == nil ? "DESC" : "ASC") LIMIT ?
        """, arguments: [run, after ?? 0, limit]
    ).map {
      EventRow(
        rowid: $0["rowid"], time: $0["time"], kind: $0["kind"], account: $0["account"],
        detail: $0["detail"])
    }
  }

  func commands(_ db: Database, run: Int64, limit: Int) throws -> [CommandRow] {
    try Row.fetchAll(
      db,
      sql: """
        SELECT id, kind, payload_json, source, created_at, status, outcome, handled_at
        FROM run_commands WHERE run_id = ? OR run_id IS NULL ORDER BY id DESC LIMIT ?
        """, arguments: [run, limit]
    ).map {
      CommandRow(
        id: $0["id"], kind: $0["kind"], payloadJSON: $0["payload_json"], source: $0["source"],
        createdAt: $0["created_at"], status: $0["status"], outcome: $0["outcome"],
        handledAt: $0["handled_at"])
    }
  }

  /// Commands of a run, newest first (for tests and the page).
  public func commands(run: Int64, limit: Int = 20) throws -> [CommandRow] {
    try read { db in try commands(db, run: run, limit: limit) }
  }
}
