import Foundation
import GRDB
import WickCore
import WickData
import WickReport

@testable import WickServer

/// A ledger with what the dashboard shows: a running paper run (an open position with its
/// stop, equity snapshots, today's loss, signals, a refusal, a fill, an incident, a governor
/// event, runner state with size decay), a saved backtest and a sweep.
struct LedgerFixture {
  let path: String
  let store: DashboardStore
  let database: DatabaseQueue
  let paperRun: Int64
  let backtestRun: Int64
  let sweep: Int64
  let now = Int64(Date().timeIntervalSince1970 * 1000)

  init() throws {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-serve-\(UUID().uuidString)")
    path = dir.appendingPathComponent("wick.sqlite").path
    let candles = try CandleStore(path: path)
    let ledger = try Ledger(store: candles)
    store = try DashboardStore(path: path)
    let database = candles.database
    self.database = database
    let today = String(UTCTime.iso(now).prefix(10))
    let now = self.now

    // A saved backtest through the ledger's own writer.
    let trades = [
      Trade(
        symbol: "BTCUSDT", side: .long, entryTime: 1_700_000_000_000, entryPrice: 100,
        exitTime: 1_700_000_600_000, exitPrice: 110, qty: 1, fees: 0.2, spreadCost: 0,
        slippageCost: 0, pnl: 9.8, r: 1, exitReason: .take)
    ]
    let equity = [
      EquityPoint(time: 1_700_000_000_000, equity: 10_000),
      EquityPoint(time: 1_700_086_400_000, equity: 10_009.8),
    ]
    let result = BacktestResult(
      strategy: "ma_cross", params: [("period", .number(60))], symbols: ["BTCUSDT"],
      timeframe: .oneMinute, candles: 1441, firstTime: 1_700_000_000_000,
      lastTime: 1_700_086_400_000,
      initialEquity: 10_000, finalEquity: 10_009.8, trades: trades, equity: equity,
      dailyEquity: equity, maxDrawdown: 0.01, exposure: 0.1)
    backtestRun = try ledger.saveBacktest(
      result, metricsJSON: ResultJSON.metrics(Metrics.compute(result)),
      paramsJSON: ResultJSON.params(result.params), accounts: [])

    let script = FileManager.default.currentDirectoryPath + "/strategies/ma_cross.lua"
    let paperRun = try database.write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, initial_equity, created_at,
                            status, exchange, script_path, args_json, state_json, heartbeat_at)
          VALUES ('paper', 'ma_cross', '{"period":60,"threshold":0.001}', 'BTCUSDT', '1m', 10000, ?,
                  'running', 'mock', ?, '{}', ?, ?)
          """,
        arguments: [
          now - 3_600_000, script,
          #"{"daily_loss_limit":200,"accounts":[{"account":"main","decay_factor":0.5,"daily_loss_used":40,"killed":false}]}"#,
          now,
        ])
      return db.lastInsertedRowID
    }
    let account = try database.write { db in
      try db.execute(
        sql:
          "INSERT INTO accounts (run_id, name, strategy, symbol, allocation) VALUES (?, 'main', 'ma_cross', 'BTCUSDT', 10000)",
        arguments: [paperRun])
      return db.lastInsertedRowID
    }
    self.paperRun = paperRun
    try ledger.openPosition(
      run: paperRun, account: account, symbol: "BTCUSDT", side: .long, qty: 0.25, entry: 50_000,
      stop: 49_000, take: 52_000, time: now - 600_000)
    let run = paperRun
    try database.write { db in
      // Yesterday's close: the day began at 10004, so today's PnL is 9964 - 10004 = -40.
      try db.execute(
        sql:
          "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, 10004)",
        arguments: [run, UTCTime.dayStart(now) - 3_600_000])
      // Today's snapshots, a minute apart — closer together in the first minutes after UTC
      // midnight, so that none of them falls on yesterday whenever the suite runs.
      let spacing = max(1, min(60_000, (now - UTCTime.dayStart(now)) / 11))
      for i in 0..<10 {
        try db.execute(
          sql:
            "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, ?)",
          arguments: [run, now - Int64(10 - i) * spacing, 10_000 - Double(i) * 4])
      }
      try db.execute(
        sql:
          "INSERT INTO daily_pnl (run_id, account, day, pnl, trades) VALUES (?, NULL, ?, -40, 2)",
        arguments: [run, today])
      try db.execute(
        sql: """
          INSERT INTO decisions (run_id, seq, candle_time, kind, symbol, detail_json) VALUES
            (?, 1, ?, 'intent', 'BTCUSDT', '{"side":"long","stop":49000}'),
            (?, 2, ?, 'refusal', 'BTCUSDT', '{"code":"cooldown","why":"cooling down after a loss"}')
          """, arguments: [run, now - 600_000, run, now - 300_000])
      try db.execute(
        sql: """
          INSERT INTO orders (run_id, account_id, client_order_id, symbol, side, type, qty, status, created_at)
          VALUES (?, ?, 'p-1', 'BTCUSDT', 'buy', 'market', 0.25, 'filled', ?)
          """, arguments: [run, account, now - 600_000])
      try db.execute(
        sql: "INSERT INTO fills (order_id, time, price, qty, fee) VALUES (?, ?, 50000, 0.25, 6.25)",
        arguments: [db.lastInsertedRowID, now - 600_000])
      try db.execute(
        sql:
          "INSERT INTO incidents (run_id, time, kind, account, detail) VALUES (?, ?, 'reconnect', 'main', 'websocket dropped, resynced')",
        arguments: [run, now - 120_000])
      try db.execute(
        sql:
          "INSERT INTO governor_events (run_id, time, kind, account, detail) VALUES (?, ?, 'breach', 'main', 'daily loss 40 of 200')",
        arguments: [run, now - 60_000])
      try db.execute(
        sql: """
          INSERT INTO sweeps (strategy, symbol, timeframe, objective, spec_json, winner_json, created_at)
          VALUES ('ma_cross', 'BTCUSDT', '1m', 'sharpe', '{}', '{"set":1,"window":0,"params":{"period":40}}', ?)
          """, arguments: [now])
    }
    let sweepID = try database.read { db in
      try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM sweeps")!
    }
    sweep = sweepID
    try database.write { db in
      for (i, (period, sharpe)) in [(20, 0.4), (40, 1.7), (60, 0.9)].enumerated() {
        try db.execute(
          sql: """
            INSERT INTO sweep_results (sweep_id, row_index, params_json, trades, objective_value, metrics_json)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
          arguments: [
            sweepID, i, "{\"period\":\(period)}", 10 + i, sharpe,
            "{\"sharpe\":\(sharpe),\"net_return\":\(Double(i) / 100)}",
          ])
      }
    }
  }

  /// Rows of run_commands, oldest first.
  func commands() throws -> [CommandRow] { try store.commands(run: paperRun).reversed() }

  func execute(_ sql: String, _ arguments: StatementArguments = []) throws {
    try database.write { db in try db.execute(sql: sql, arguments: arguments) }
  }
}
