import Foundation
import GRDB
import Testing
import WickCore
import WickTesting

/// `wick runs show` and `wick runs trades` as a user runs them, on a paper run's ledger.
@Suite final class RunsShowCommandTests {
  let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-runs-show-\(UUID().uuidString)")
  deinit { try? FileManager.default.removeItem(at: dir) }
  var db: String { dir.appendingPathComponent("w.sqlite").path }

  func wick(_ args: [String]) throws -> (status: Int32, output: String) {
    let (status, data) = try ScriptOutputCapTests.runWick(args)
    return (status, String(decoding: data, as: UTF8.self))
  }

  func ledger() throws -> Int64 {
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return try PaperTradesLedger.write(path: db)
  }

  @Test func tradesCSVIsTheCompleteClosedTradeHistory() throws {
    let run = try ledger()
    let csv = dir.appendingPathComponent("out/trades.csv").path
    let (status, output) = try wick(["runs", "trades", "\(run)", "--db", db, "--csv", csv])
    #expect(status == 0, "\(output)")
    #expect(output.contains("wrote 3 closed trades of run \(run) to \(csv)"))
    let text = try String(contentsOfFile: csv, encoding: .utf8)
    // R is pnl over qty × |entry − stop| (5 for both legs); the long's last part carries the
    // entry's fee (0.2) and its own (0.1).
    let expected = [
      "symbol,side,entry_time,entry_price,exit_time,exit_price,qty,fees,pnl,r,exit_reason,partial,account",
      "BTCUSDT,long,2024-01-01T00:01:00Z,100.0,2024-01-01T00:03:00Z,106.0,1.0,0.1,5.9,\(5.9 / 5),signal,true,main",
      "BTCUSDT,long,2024-01-01T00:01:00Z,100.0,2024-01-01T00:05:00Z,110.0,1.0,\(0.2 + 0.1),9.7,\(9.7 / 5),take,false,main",
      "BTCUSDT,short,2024-01-01T00:05:00Z,120.0,2024-01-02T00:10:00Z,130.0,1.0,\(0.15 + 0.15),-10.3,\(-10.3 / 5),stop,false,main",
    ]
    #expect(text == expected.joined(separator: "\n") + "\n")
    // "-" writes the same CSV to standard output.
    let (stdoutStatus, stdout) = try wick(["runs", "trades", "\(run)", "--db", db, "--csv", "-"])
    #expect(stdoutStatus == 0 && stdout == text)
    let (tableStatus, table) = try wick(["runs", "trades", "\(run)", "--db", db])
    #expect(tableStatus == 0 && table.split(separator: "\n").count == 4, "\(table)")
  }

  @Test func showPrintsTheSummaryAndJSONWithTheBacktestsKeys() throws {
    let run = try ledger()
    let (status, text) = try wick(["runs", "show", "\(run)", "--db", db])
    #expect(status == 0, "\(text)")
    #expect(text.contains("run \(run)  paper  running  bybit"))
    #expect(text.contains("equity  1000.00 → 1004.70"))
    #expect(text.contains("closed trades: 3"))
    #expect(text.contains("BTCUSDT long 0.5 @ 128 stop 120  unrealised +1.50 at 131"))
    let (jsonStatus, json) = try wick(["runs", "show", "\(run)", "--db", db, "--json"])
    #expect(jsonStatus == 0, "\(json)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let metrics = try #require(object["metrics"] as? [String: Any])
    #expect(
      Set(metrics.keys).isSuperset(of: ["sharpe", "sortino", "calmar", "win_rate", "average_r"]))
    #expect((metrics["trades"] as? NSNumber)?.doubleValue == 3)
    #expect(object["closed_trades"] as? Int == 3)
    let open = try #require((object["open_positions"] as? [[String: Any]])?.first)
    #expect((open["unrealised_pnl"] as? NSNumber)?.doubleValue == 1.5)
  }

  @Test func anUnknownIdOrAMissingLedgerIsAClearError() throws {
    _ = try ledger()
    for command in ["show", "trades"] {
      let (status, output) = try wick(["runs", command, "42", "--db", db])
      #expect(status == 1)
      #expect(output.contains("error: no run 42 in \(db)"), "\(output)")
      let missing = dir.appendingPathComponent("nowhere.sqlite").path
      let (status2, output2) = try wick(["runs", command, "1", "--db", missing])
      #expect(status2 == 1)
      #expect(output2.contains("error: no ledger at \(missing)"), "\(output2)")
      #expect(!FileManager.default.fileExists(atPath: missing))
      let (status3, output3) = try wick(["runs", command, "abc", "--db", db])
      #expect(status3 != 0 && output3.contains("abc"), "\(output3)")
    }
  }

  /// A real paper session (`wick run` on the loopback exchange, flattened by `wick stop`): the
  /// CSV lists every closed position of the ledger in the order they closed, and the metrics'
  /// trade count, pnl, fees, win rate and return agree with sums taken straight from its tables.
  @Test func aPaperSessionsTradesAndMetricsMatchItsLedger() throws {
    let w = try RunCommandTests.World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, _, first) = try w.launch(w.arguments())
    #expect(first == "run: 1")
    for _ in 0..<12 { #expect(w.pushNext()) }
    #expect(try w.runWick(["stop", "--flatten", "--db", w.db]).0 == 0)
    p.waitUntilExit()
    let closed = try w.int("SELECT COUNT(*) FROM positions WHERE active = 0")
    try #require(closed >= 2, "the flip script traded too little to check")
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
    #expect(
      try w.int("SELECT COUNT(*) FROM decisions WHERE detail_json LIKE '%\"partial\":true%'") == 0)

    let (status, csv) = try w.runWick(["runs", "trades", "1", "--db", w.db, "--csv", "-"])
    #expect(status == 0, "\(csv)")
    let rows = csv.split(separator: "\n").dropFirst().map {
      $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
    }
    #expect(rows.count == closed)
    let ledger = try ledgerReader(w.db).read { db in
      try Row.fetchAll(
        db,
        sql:
          "SELECT side, entry, exit_price, pnl, exit_reason FROM positions WHERE active = 0 ORDER BY closed_at, id"
      )
    }
    for (row, position) in zip(rows, ledger) {
      #expect(row[1] == position["side"] as String)
      #expect(Double(row[3]) == position["entry"] as Double)
      #expect(Double(row[5]) == position["exit_price"] as Double)
      #expect(Double(row[8]) == position["pnl"] as Double)
      #expect(row[10] == position["exit_reason"] as String)
    }
    let (sums, initial, last) = try ledgerReader(w.db).read { db in
      (
        try Row.fetchOne(
          db,
          sql: "SELECT SUM(pnl) AS pnl, SUM(pnl > 0) AS wins FROM positions WHERE active = 0")!,
        try Double.fetchOne(db, sql: "SELECT initial_equity FROM runs")!,
        try Double.fetchOne(
          db, sql: "SELECT equity FROM equity_snapshots ORDER BY time DESC LIMIT 1")!
      )
    }
    let fees = try ledgerReader(w.db).read { db in
      try Double.fetchOne(db, sql: "SELECT SUM(fee) FROM fills")!
    }
    let csvFees = rows.reduce(0.0) { $0 + Double($1[7])! }
    #expect(abs(csvFees - fees) < 1e-9)

    let (jsonStatus, json) = try w.runWick(["runs", "show", "1", "--db", w.db, "--json"])
    #expect(jsonStatus == 0, "\(json)")
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    let metrics = try #require(object["metrics"] as? [String: Any])
    func metric(_ key: String) -> Double { (metrics[key] as? NSNumber)?.doubleValue ?? .nan }
    #expect(metric("trades") == Double(closed))
    #expect(abs(metric("net_pnl") - (sums["pnl"] as Double)) < 1e-9)
    #expect(abs(metric("fees") - fees) < 1e-9)
    #expect(abs(metric("win_rate") - Double(sums["wins"] as Int) / Double(closed)) < 1e-12)
    #expect(abs(metric("net_return") - (last / initial - 1)) < 1e-12)
  }
}
