import Foundation
import GRDB
import WickCore

/// The paper and live runners' side of the ledger: one row in `runs` per session (resumed by its
/// arguments), the write-ahead commit of every candle (decisions, order rows, fills, positions,
/// equity, daily PnL, incidents, kernel state) in one transaction, the control commands from
/// `wick stop` and the dashboard, and the listing behind `wick runs ls`.
///
///     let ledger = try RunLedger(store: store)
///     let run = try ledger.createRun(RunLedger.NewRun(kind: "paper", ...))
///     try ledger.commit(run: run, batch)          // before anything is sent to the venue
public final class RunLedger: @unchecked Sendable {
  let database: DatabaseQueue
  /// The SQLite file, named in write errors.
  let path: String

  public init(store: CandleStore) throws {
    _ = try Ledger(store: store)  // migrations
    database = store.database
    path = store.path
  }

  // MARK: Runs

  public struct NewRun: Sendable {
    public var kind: String
    public var strategy: String
    public var scriptPath: String
    public var exchange: String
    public var paramsJSON: String
    public var symbols: [String]
    public var timeframe: String
    public var initialEquity: Double
    public var argsJSON: String
    public var accounts: [(name: String, symbol: String, allocation: Double)]
    public init(
      kind: String, strategy: String, scriptPath: String, exchange: String, paramsJSON: String,
      symbols: [String], timeframe: String, initialEquity: Double, argsJSON: String,
      accounts: [(name: String, symbol: String, allocation: Double)]
    ) {
      self.kind = kind
      self.strategy = strategy
      self.scriptPath = scriptPath
      self.exchange = exchange
      self.paramsJSON = paramsJSON
      self.symbols = symbols
      self.timeframe = timeframe
      self.initialEquity = initialEquity
      self.argsJSON = argsJSON
      self.accounts = accounts
    }
  }

  /// A run as stored.
  public struct RunRow: Sendable, Equatable {
    public var id: Int64
    public var kind: String
    public var status: String
    public var strategy: String
    public var scriptPath: String?
    public var exchange: String?
    public var symbols: [String]
    public var timeframe: String
    public var paramsJSON: String
    public var argsJSON: String?
    public var stateJSON: String?
    public var firstTime: Int64?
    public var lastTime: Int64?
    public var initialEquity: Double
    public var finalEquity: Double?
    public var heartbeatAt: Int64?
    public var openPositions: Int
  }

  public func createRun(_ r: NewRun) throws -> Int64 {
    try write { db in
      try db.execute(
        sql: """
          INSERT INTO runs (kind, strategy, params_json, symbols, timeframe, initial_equity, final_equity,
                            created_at, status, exchange, script_path, args_json, heartbeat_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)
          """,
        arguments: [
          r.kind, r.strategy, r.paramsJSON, r.symbols.joined(separator: ","), r.timeframe,
          r.initialEquity, r.initialEquity, Self.wallNow(), r.exchange, r.scriptPath, r.argsJSON,
          Self.wallNow(),
        ])
      let run = db.lastInsertedRowID
      for a in r.accounts {
        try db.execute(
          sql:
            "INSERT INTO accounts (run_id, name, strategy, symbol, allocation) VALUES (?, ?, ?, ?, ?)",
          arguments: [run, a.name, r.strategy, a.symbol, a.allocation])
      }
      return run
    }
  }

  /// The newest run started with exactly these arguments that may be resumed: one that crashed
  /// (still 'running'), was paused, or stopped cleanly. Halted and failed runs are not resumed.
  public func resumable(argsJSON: String) throws -> RunRow? {
    try read { db in
      try Row.fetchOne(
        db,
        sql: Self.runSelect
          + " WHERE r.args_json = ? AND r.status IN ('running', 'paused', 'stopped') ORDER BY r.id DESC LIMIT 1",
        arguments: [argsJSON]
      ).map(Self.runRow)
    }
  }

  public func run(_ id: Int64) throws -> RunRow? {
    try read { db in
      try Row.fetchOne(db, sql: Self.runSelect + " WHERE r.id = ?", arguments: [id]).map(
        Self.runRow)
    }
  }

  /// Paper and live runs, newest first (what `wick runs ls` prints).
  public func runs() throws -> [RunRow] {
    try read { db in
      try Row.fetchAll(
        db, sql: Self.runSelect + " WHERE r.kind IN ('paper', 'live') ORDER BY r.id DESC"
      ).map(Self.runRow)
    }
  }

  private static let runSelect = """
    SELECT r.*, (SELECT COUNT(*) FROM positions p WHERE p.run_id = r.id AND p.active = 1) AS open_positions
    FROM runs r
    """

  private static func runRow(_ row: Row) -> RunRow {
    RunRow(
      id: row["id"], kind: row["kind"], status: row["status"], strategy: row["strategy"],
      scriptPath: row["script_path"], exchange: row["exchange"],
      symbols: (row["symbols"] as String).split(separator: ",").map(String.init),
      timeframe: row["timeframe"], paramsJSON: row["params_json"], argsJSON: row["args_json"],
      stateJSON: row["state_json"], firstTime: row["first_time"], lastTime: row["last_time"],
      initialEquity: row["initial_equity"], finalEquity: row["final_equity"],
      heartbeatAt: row["heartbeat_at"], openPositions: row["open_positions"])
  }

  public func setStatus(run: Int64, _ status: String, error: String? = nil) throws {
    try write { db in
      try db.execute(
        sql:
          "UPDATE runs SET status = ?, error = COALESCE(?, error), heartbeat_at = ? WHERE id = ?",
        arguments: [status, error, Self.wallNow(), run])
    }
  }

  public func heartbeat(run: Int64) throws {
    try write { db in
      try db.execute(
        sql: "UPDATE runs SET heartbeat_at = ? WHERE id = ?", arguments: [Self.wallNow(), run])
    }
  }

  /// The accounts of a run by symbol (orders and positions reference them).
  public func accountIDs(run: Int64) throws -> [String: Int64] {
    try read { db in
      var ids: [String: Int64] = [:]
      for row in try Row.fetchAll(
        db, sql: "SELECT id, symbol FROM accounts WHERE run_id = ? ORDER BY id", arguments: [run])
      where ids[row["symbol"]] == nil {
        ids[row["symbol"]] = row["id"]
      }
      return ids
    }
  }

  // MARK: The per-candle commit

  /// One decision row (see `decisions` in ledger.v2).
  public struct Decision: Sendable, Equatable {
    public var seq: Int
    public var candleTime: Int64
    public var kind: String
    public var symbol: String?
    public var detailJSON: String
    public init(seq: Int, candleTime: Int64, kind: String, symbol: String?, detailJSON: String) {
      self.seq = seq
      self.candleTime = candleTime
      self.kind = kind
      self.symbol = symbol
      self.detailJSON = detailJSON
    }
  }

  /// An order row: inserted when new (status 'submitting' before it is sent), updated by its
  /// client order id afterwards (filled, cancelled, rejected).
  public struct OrderRow: Sendable {
    public var clientOrderID: String
    public var symbol: String
    public var side: String
    public var type: String
    public var qty: Double
    public var price: Double?
    public var status: String
    public var time: Int64
    public var parentClientOrderID: String?
    public init(
      clientOrderID: String, symbol: String, side: String, type: String, qty: Double,
      price: Double?, status: String, time: Int64, parentClientOrderID: String? = nil
    ) {
      self.clientOrderID = clientOrderID
      self.symbol = symbol
      self.side = side
      self.type = type
      self.qty = qty
      self.price = price
      self.status = status
      self.time = time
      self.parentClientOrderID = parentClientOrderID
    }
  }

  public struct FillRow: Sendable {
    public var clientOrderID: String
    public var time: Int64
    public var price: Double
    public var qty: Double
    public var fee: Double
    public init(clientOrderID: String, time: Int64, price: Double, qty: Double, fee: Double) {
      self.clientOrderID = clientOrderID
      self.time = time
      self.price = price
      self.qty = qty
      self.fee = fee
    }
  }

  public struct PositionOpen: Sendable {
    public var symbol: String
    public var side: String
    public var qty: Double
    public var entry: Double
    public var stop: Double?
    public var take: Double?
    public var time: Int64
    public init(
      symbol: String, side: String, qty: Double, entry: Double, stop: Double?, take: Double?,
      time: Int64
    ) {
      self.symbol = symbol
      self.side = side
      self.qty = qty
      self.entry = entry
      self.stop = stop
      self.take = take
      self.time = time
    }
  }

  public struct PositionClose: Sendable {
    public var symbol: String
    public var time: Int64
    public var exitPrice: Double
    public var pnl: Double
    public var reason: String
    public init(symbol: String, time: Int64, exitPrice: Double, pnl: Double, reason: String) {
      self.symbol = symbol
      self.time = time
      self.exitPrice = exitPrice
      self.pnl = pnl
      self.reason = reason
    }
  }

  /// A position opened or closed, in the order it happened: a position opened and closed at the
  /// same candle (a pair leg unwound, a panic close) leaves a closed row, never an active one.
  public enum PositionChange: Sendable {
    case opened(PositionOpen)
    case closed(PositionClose)
  }

  public struct Event: Sendable {
    public var time: Int64
    public var kind: String
    public var account: String?
    public var detail: String
    public init(time: Int64, kind: String, account: String?, detail: String) {
      self.time = time
      self.kind = kind
      self.account = account
      self.detail = detail
    }
  }

  /// Everything one candle time changed, written in one transaction.
  public struct Commit: Sendable {
    public var decisions: [Decision] = []
    public var orders: [OrderRow] = []
    public var fills: [FillRow] = []
    public var positions: [PositionChange] = []
    public var incidents: [Event] = []
    public var governorEvents: [Event] = []
    /// Notifications about what this commit records (ledger.v5-notify), written with it.
    public var notifications: [OutboxEntry] = []
    public var equity: (time: Int64, value: Double)?
    public var stateJSON: String?
    public var firstTime: Int64?
    public var lastTime: Int64?
    public init() {}
    public var isEmpty: Bool {
      decisions.isEmpty && orders.isEmpty && fills.isEmpty && positions.isEmpty
        && incidents.isEmpty && governorEvents.isEmpty && notifications.isEmpty && equity == nil
        && stateJSON == nil
    }
  }

  /// Closes the symbol's active position row and adds the trade to the day's PnL.
  private static func close(_ p: PositionClose, run: Int64, db: Database) throws {
    try db.execute(
      sql: """
        UPDATE positions SET active = 0, closed_at = ?, exit_price = ?, pnl = ?, exit_reason = ?
        WHERE run_id = ? AND symbol = ? AND active = 1
        """,
      arguments: [p.time, p.exitPrice, p.pnl, p.reason, run, p.symbol])
    let day = String(UTCTime.iso(p.time).prefix(10))
    for account in [Optional(p.symbol), nil] {
      try db.execute(
        sql: """
          INSERT INTO daily_pnl (run_id, account, day, pnl, trades) VALUES (?, ?, ?, ?, 1)
          ON CONFLICT (run_id, IFNULL(account, ''), day)
          DO UPDATE SET pnl = pnl + excluded.pnl, trades = trades + 1
          """,
        arguments: [run, account, day, p.pnl])
    }
  }

  public func commit(run: Int64, _ c: Commit) throws {
    let accounts = try accountIDs(run: run)
    try write { db in
      for d in c.decisions {
        try db.execute(
          sql:
            "INSERT INTO decisions (run_id, seq, candle_time, kind, symbol, detail_json) VALUES (?, ?, ?, ?, ?, ?)",
          arguments: [run, d.seq, d.candleTime, d.kind, d.symbol, d.detailJSON])
      }
      for o in c.orders {
        let parent: Int64? = try o.parentClientOrderID.flatMap {
          try Int64.fetchOne(
            db, sql: "SELECT id FROM orders WHERE run_id = ? AND client_order_id = ?",
            arguments: [run, $0])
        }
        try db.execute(
          sql: """
            INSERT INTO orders (run_id, account_id, client_order_id, symbol, side, type, qty, price, status, parent_order_id, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (run_id, client_order_id) DO UPDATE SET status = excluded.status,
              qty = CASE WHEN excluded.qty > 0 THEN excluded.qty ELSE orders.qty END,
              price = COALESCE(excluded.price, orders.price)
            """,
          arguments: [
            run, accounts[o.symbol] ?? accounts.values.min() ?? 0, o.clientOrderID, o.symbol,
            o.side, o.type, o.qty, o.price, o.status, parent, o.time,
          ])
      }
      for f in c.fills {
        guard
          let order = try Int64.fetchOne(
            db, sql: "SELECT id FROM orders WHERE run_id = ? AND client_order_id = ?",
            arguments: [run, f.clientOrderID])
        else { continue }
        try db.execute(
          sql: "INSERT INTO fills (order_id, time, price, qty, fee) VALUES (?, ?, ?, ?, ?)",
          arguments: [order, f.time, f.price, f.qty, f.fee])
      }
      for change in c.positions {
        switch change {
        case .closed(let p): try Self.close(p, run: run, db: db)
        case .opened(let p):
          try db.execute(
            sql: """
              INSERT INTO positions (run_id, account_id, symbol, side, qty, entry, stop, take, opened_at, active)
              VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1)
              """,
            arguments: [
              run, accounts[p.symbol] ?? 0, p.symbol, p.side, p.qty, p.entry, p.stop, p.take,
              p.time,
            ])
        }
      }
      for (table, events) in [("incidents", c.incidents), ("governor_events", c.governorEvents)] {
        for e in events {
          try db.execute(
            sql:
              "INSERT INTO \(table) (run_id, time, kind, account, detail) VALUES (?, ?, ?, ?, ?)",
            arguments: [run, e.time, e.kind, e.account, e.detail])
        }
      }
      try Self.insertOutbox(c.notifications, db: db)
      if let e = c.equity {
        try db.execute(
          sql:
            "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, ?)",
          arguments: [run, e.time, e.value])
        try db.execute(
          sql: "UPDATE runs SET final_equity = ? WHERE id = ?", arguments: [e.value, run])
      }
      if let s = c.stateJSON {
        try db.execute(
          sql:
            "UPDATE runs SET state_json = ?, last_time = COALESCE(?, last_time), first_time = COALESCE(first_time, ?), heartbeat_at = ? WHERE id = ?",
          arguments: [s, c.lastTime, c.firstTime, Self.wallNow(), run])
      }
    }
  }

  /// Recorded decisions of a run in order (what `wick replay` compares against).
  public func decisions(run: Int64) throws -> [Decision] {
    try read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT seq, candle_time, kind, symbol, detail_json FROM decisions WHERE run_id = ? ORDER BY seq",
        arguments: [run]
      ).map {
        Decision(
          seq: $0["seq"], candleTime: $0["candle_time"], kind: $0["kind"], symbol: $0["symbol"],
          detailJSON: $0["detail_json"])
      }
    }
  }

  /// Order rows still 'submitting' (a crash between the write-ahead and the venue's answer).
  public func submittingOrders(run: Int64) throws -> [String] {
    try read { db in
      try String.fetchAll(
        db,
        sql:
          "SELECT client_order_id FROM orders WHERE run_id = ? AND status = 'submitting' ORDER BY id",
        arguments: [run])
    }
  }

  public func recordIncident(run: Int64, _ e: Event) throws {
    var c = Commit()
    c.incidents = [e]
    try commit(run: run, c)
  }

  // MARK: Script versions

  /// A script version the run traded with from `time` (its start or a hot-reload swap).
  public struct ScriptVersion: Sendable, Equatable {
    public var time: Int64
    public var hash: String
    public var paramsJSON: String
    public var source: String
    public init(time: Int64, hash: String, paramsJSON: String, source: String) {
      self.time = time
      self.hash = hash
      self.paramsJSON = paramsJSON
      self.source = source
    }
  }

  /// Records a version with its script text and (ledger.v4-livebook) every plugin it
  /// required, by module name with its text's hash, in one transaction.
  public func recordScriptVersion(
    run: Int64, _ v: ScriptVersion, path: String, text: String,
    plugins: [(name: String, hash: String, text: String)] = []
  ) throws {
    try write { db in
      try db.execute(
        sql:
          "INSERT OR IGNORE INTO script_sources (script_hash, path, text) VALUES (?, ?, ?)",
        arguments: [v.hash, path, text])
      for p in plugins {
        try db.execute(
          sql:
            "INSERT OR IGNORE INTO script_sources (script_hash, path, text) VALUES (?, ?, ?)",
          arguments: [
            p.hash, "plugins/" + p.name.replacingOccurrences(of: ".", with: "/") + ".lua", p.text,
          ])
      }
      let pluginsJSON =
        "{"
        + plugins.sorted { $0.name < $1.name }.map {
          JSONText.quoted($0.name) + ":" + JSONText.quoted($0.hash)
        }.joined(separator: ",") + "}"
      try db.execute(
        sql:
          "INSERT INTO script_versions (run_id, time, script_hash, params_json, source, plugins_json) VALUES (?, ?, ?, ?, ?, ?)",
        arguments: [run, v.time, v.hash, v.paramsJSON, v.source, pluginsJSON])
    }
  }

  public func scriptVersions(run: Int64) throws -> [ScriptVersion] {
    try read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT time, script_hash, params_json, source FROM script_versions WHERE run_id = ? ORDER BY rowid",
        arguments: [run]
      ).map {
        ScriptVersion(
          time: $0["time"], hash: $0["script_hash"], paramsJSON: $0["params_json"],
          source: $0["source"])
      }
    }
  }

  public func scriptText(hash: String) throws -> String? {
    try read { db in
      try String.fetchOne(
        db, sql: "SELECT text FROM script_sources WHERE script_hash = ?", arguments: [hash])
    }
  }

  // MARK: Commands (run_commands)

  public struct Command: Sendable, Equatable {
    public var id: Int64
    public var runID: Int64?
    public var kind: String
    public var payloadJSON: String
    public var source: String
    public var status: String
    public var outcome: String?
  }

  /// Inserts a command for `run` (nil: every running run); returns its id.
  public func insertCommand(run: Int64?, kind: String, payloadJSON: String = "{}", source: String)
    throws -> Int64
  {
    try write { db in
      try db.execute(
        sql:
          "INSERT INTO run_commands (run_id, kind, payload_json, source, created_at) VALUES (?, ?, ?, ?, ?)",
        arguments: [run, kind, payloadJSON, source, Self.wallNow()])
      return db.lastInsertedRowID
    }
  }

  /// Pending commands addressed to `run` or to every run, oldest first.
  public func pendingCommands(run: Int64) throws -> [Command] {
    try read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT * FROM run_commands WHERE status = 'pending' AND (run_id = ? OR run_id IS NULL) ORDER BY id",
        arguments: [run]
      ).map(Self.commandRow)
    }
  }

  public func command(_ id: Int64) throws -> Command? {
    try read { db in
      try Row.fetchOne(db, sql: "SELECT * FROM run_commands WHERE id = ?", arguments: [id]).map(
        Self.commandRow)
    }
  }

  private static func commandRow(_ r: Row) -> Command {
    Command(
      id: r["id"], runID: r["run_id"], kind: r["kind"], payloadJSON: r["payload_json"],
      source: r["source"], status: r["status"], outcome: r["outcome"])
  }

  /// Marks a command handled ('done' or 'rejected') with its outcome. A command addressed to
  /// every run (run_id NULL) is completed by the first runner that handles it.
  public func completeCommand(_ id: Int64, status: String, outcome: String) throws {
    try write { db in
      try db.execute(
        sql:
          "UPDATE run_commands SET status = ?, outcome = ?, handled_at = ? WHERE id = ? AND status = 'pending'",
        arguments: [status, outcome, Self.wallNow(), id])
    }
  }

  // MARK: Plumbing

  public static func wallNow() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

  func write<T>(_ body: (Database) throws -> T) throws -> T {
    do { return try database.write(body) } catch let e as WickError { throw e } catch {
      throw WickError.data(
        "ledger write failed on '\(path)': \(CandleStore.describe(error))\(CandleStore.cause(error, path: path))."
          + " Nothing was half-written: once that is fixed, the same command resumes the run")
    }
  }

  func read<T>(_ body: (Database) throws -> T) throws -> T {
    do { return try database.read(body) } catch let e as WickError { throw e } catch {
      throw WickError.data("ledger read failed: \(CandleStore.describe(error))")
    }
  }
}
