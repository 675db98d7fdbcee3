import Foundation
import GRDB
import WickCore

/// The trading ledger: accounts, orders (with stop/take linkage), fills, positions (one active
/// owner per symbol, a database constraint), equity snapshots, daily PnL, incidents, governor
/// events and trade statistics. It lives in the candle cache's file.
///
///     let ledger = try Ledger(store: store)
///     let runID = try ledger.saveBacktest(result, metricsJSON: json, accounts: [...])
public final class Ledger: @unchecked Sendable {
  let database: DatabaseQueue

  public init(store: CandleStore) throws {
    database = store.database
    try store.migrate { migrator in
      for register in Self.schemas { register(&migrator) }
    }
  }

  /// The ledger's migrations, oldest first (a test builds a ledger as it was before the last).
  static let schemas: [@Sendable (inout DatabaseMigrator) -> Void] = [
    LedgerSchema.register, RunnerSchema.register, LivebookSchema.register,
    MultirunSchema.register, InstrumentsSchema.register, NotifySchema.register,
    OrderTypesSchema.register, CommandKindsSchema.register,
  ]

  /// One account of a run, as the risk layer saw it.
  public struct AccountRecord: Sendable {
    public var name: String
    public var symbol: String
    public var allocation: Double
    public var killed: Bool
    public var killReason: String?
    public init(
      name: String, symbol: String, allocation: Double, killed: Bool = false,
      killReason: String? = nil
    ) {
      self.name = name
      self.symbol = symbol
      self.allocation = allocation
      self.killed = killed
      self.killReason = killReason
    }
  }

  /// Persists a finished backtest in one transaction and returns its run id.
  @discardableResult
  public func saveBacktest(
    _ r: BacktestResult, metricsJSON: String, paramsJSON: String, accounts: [AccountRecord]
  ) throws -> Int64 {
    do {
      return try database.write { db in
        try db.execute(
          sql: """
            INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, first_time, last_time, initial_equity,
                              final_equity, metrics_json, error, created_at, status)
            VALUES ('backtest', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            r.strategy, paramsJSON, r.symbols.joined(separator: ","), r.timeframe.description,
            r.firstTime, r.lastTime,
            r.initialEquity, r.finalEquity, metricsJSON, r.error,
            Int64(Date().timeIntervalSince1970 * 1000), r.error == nil ? "finished" : "failed",
          ])
        let run = db.lastInsertedRowID
        var accountIDs: [String: Int64] = [:]
        let records =
          accounts.isEmpty
          ? r.symbols.map {
            AccountRecord(
              name: "\(r.strategy):\($0)", symbol: $0,
              allocation: r.initialEquity / Double(r.symbols.count))
          }
          : accounts
        for a in records {
          try db.execute(
            sql:
              "INSERT INTO accounts (run_id, name, strategy, symbol, allocation, killed, kill_reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            arguments: [run, a.name, r.strategy, a.symbol, a.allocation, a.killed, a.killReason])
          accountIDs[a.symbol] = db.lastInsertedRowID
        }
        try saveTrades(
          r, run: run, accountIDs: accountIDs,
          names: Dictionary(records.map { ($0.symbol, $0.name) }, uniquingKeysWith: { a, _ in a }),
          db: db)
        for p in r.dailyEquity {
          try db.execute(
            sql:
              "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, ?)",
            arguments: [run, p.time, p.equity])
        }
        for e in r.riskEvents where e.kind != .refusal {
          let table = e.kind == .breach || e.kind == .reset ? "governor_events" : "incidents"
          try db.execute(
            sql:
              "INSERT INTO \(table) (run_id, time, kind, account, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [run, e.time, e.kind.rawValue, e.account, e.detail])
        }
        if let error = r.error {
          try db.execute(
            sql:
              "INSERT INTO incidents (run_id, time, kind, account, detail) VALUES (?, ?, 'strategy_error', NULL, ?)",
            arguments: [run, r.lastTime ?? 0, error])
        }
        return run
      }
    } catch let e as WickError {
      throw e
    } catch {
      throw WickError.data("cannot save the run into the ledger: \(CandleStore.describe(error))")
    }
  }

  /// Each trade becomes an entry order and fill, its protective stop (and take) linked to the
  /// entry, the exit order and fill, and a closed position; then daily PnL and statistics.
  private func saveTrades(
    _ r: BacktestResult, run: Int64, accountIDs: [String: Int64], names: [String: String],
    db: Database
  ) throws {
    var daily: [String: (pnl: Double, trades: Int)] = [:]
    var stats:
      [String: (
        trades: Int, wins: Int, losses: Int, profit: Double, loss: Double, fees: Double,
        streak: Int, worst: Int
      )] = [:]
    for (n, t) in r.trades.enumerated() {
      guard let account = accountIDs[t.symbol] else { continue }
      let entrySide = t.side == .long ? "buy" : "sell"
      let exitSide = t.side == .long ? "sell" : "buy"
      func order(
        _ id: String, _ side: String, _ type: String, _ price: Double?, _ status: String,
        _ parent: Int64?, _ time: Int64
      ) throws -> Int64 {
        try db.execute(
          sql: """
            INSERT INTO orders (run_id, account_id, client_order_id, symbol, side, type, qty, price, status, parent_order_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
          arguments: [run, account, id, t.symbol, side, type, t.qty, price, status, parent, time])
        return db.lastInsertedRowID
      }
      let entry = try order("bt-\(n)-entry", entrySide, "market", nil, "filled", nil, t.entryTime)
      try db.execute(
        sql: "INSERT INTO fills (order_id, time, price, qty, fee) VALUES (?, ?, ?, ?, ?)",
        arguments: [entry, t.entryTime, t.entryPrice, t.qty, t.fees / 2])
      let closedBy =
        t.exitReason == .take
        ? "take" : (t.exitReason == .stop || t.exitReason == .trail) ? "stop" : "market"
      let exit = try order(
        "bt-\(n)-exit", exitSide, closedBy, t.exitPrice, "filled", entry, t.exitTime)
      try db.execute(
        sql: "INSERT INTO fills (order_id, time, price, qty, fee) VALUES (?, ?, ?, ?, ?)",
        arguments: [exit, t.exitTime, t.exitPrice, t.qty, t.fees / 2])
      try db.execute(
        sql: """
          INSERT INTO positions (run_id, account_id, symbol, side, qty, entry, opened_at, closed_at, exit_price, pnl, exit_reason, active)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)
          """,
        arguments: [
          run, account, t.symbol, t.side.rawValue, t.qty, t.entryPrice, t.entryTime, t.exitTime,
          t.exitPrice, t.pnl, t.exitReason.rawValue,
        ])
      let name = names[t.symbol] ?? t.symbol
      let day = String(UTCTime.iso(t.exitTime).prefix(10))
      for key in [name + "|" + day, "|" + day] {
        daily[key, default: (0, 0)].pnl += t.pnl
        daily[key, default: (0, 0)].trades += 1
      }
      var s = stats[name, default: (0, 0, 0, 0, 0, 0, 0, 0)]
      s.trades += 1
      s.fees += t.fees
      if t.pnl > 0 {
        s.wins += 1
        s.profit += t.pnl
        s.streak = 0
      } else {
        s.losses += 1
        s.loss -= t.pnl
        s.streak += 1
        s.worst = max(s.worst, s.streak)
      }
      stats[name] = s
    }
    for (key, v) in daily.sorted(by: { $0.key < $1.key }) {
      let parts = key.split(separator: "|", omittingEmptySubsequences: false)
      try db.execute(
        sql: "INSERT INTO daily_pnl (run_id, account, day, pnl, trades) VALUES (?, ?, ?, ?, ?)",
        arguments: [
          run, parts[0].isEmpty ? nil : String(parts[0]), String(parts[1]), v.pnl, v.trades,
        ])
    }
    for (name, s) in stats.sorted(by: { $0.key < $1.key }) {
      try db.execute(
        sql: """
          INSERT INTO trade_stats (run_id, account, trades, wins, losses, gross_profit, gross_loss, fees, max_loss_streak)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [run, name, s.trades, s.wins, s.losses, s.profit, s.loss, s.fees, s.worst])
    }
  }

  /// Opens a position for an account (paper/live). Fails if the symbol already has an active
  /// position in this run: the unique index is the last line of defence behind the governor.
  @discardableResult
  public func openPosition(
    run: Int64, account: Int64, symbol: String, side: Side, qty: Double, entry: Double,
    stop: Double?, take: Double?, time: Int64
  )
    throws -> Int64
  {
    do {
      return try database.write { db in
        try db.execute(
          sql: """
            INSERT INTO positions (run_id, account_id, symbol, side, qty, entry, stop, take, opened_at, active)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
            """,
          arguments: [run, account, symbol, side.rawValue, qty, entry, stop, take, time])
        return db.lastInsertedRowID
      }
    } catch let e as DatabaseError where e.resultCode == .SQLITE_CONSTRAINT {
      throw WickError.data(
        "\(symbol) already has an active position in run \(run): one active owner per symbol")
    }
  }

  /// Rows of a table for a run (tests, reports).
  public func count(_ table: String, run: Int64) throws -> Int {
    try database.read { db in
      try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \(table) WHERE run_id = ?", arguments: [run])
        ?? 0
    }
  }
}
