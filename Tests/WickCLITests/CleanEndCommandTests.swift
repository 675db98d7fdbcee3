import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// A clean end of `wick run --live` (`--stop-after`) right after an exit went out: the exit's fill
/// and the closed trade are in the ledger when the process exits (not only once a resume handles
/// the next candle), the ledger's fills are the exchange's, and a resume of the same run books
/// nothing twice and ends with the book of a run that never stopped.
@Suite(.serialized) struct CleanEndCommandTests {
  typealias World = LiveRunCommandTests.World

  /// Candles the reference run trades.
  static let candles = 12

  /// Launches `--stop-after count` (a new run or the resume of run 1), pushes `count` candles
  /// and waits for the clean exit.
  func session(_ w: World, _ count: Int) throws {
    let (p, first) = try w.launch(["--stop-after", "\(count)"])
    #expect(first.hasPrefix("run: 1"), "\(w.errors)")
    for _ in 0..<count {
      #expect(w.pushNext(), "\(w.errors)")
      // The exchange fills a market order at its mark, which the next candle moves: the next
      // candle waits until what this one sent has filled, so that every session's fills are
      // the same (the reference's too).
      let sent = w.dump(
        "SELECT client_order_id FROM orders WHERE type = 'market' AND created_at = (SELECT last_time FROM runs)"
      ).split(separator: "\n").map(String.init)
      #expect(
        w.wait {
          sent.allSatisfy { id in
            w.bybit.orders.contains { $0.orderLinkId == id && $0.cumExecQty > 0 }
          }
        }, "\(sent) not filled: \(w.errors)")
    }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
  }

  /// The exchange's filled orders by client order id (quantity), and the ledger's fills.
  func fills(_ w: World) throws -> (exchange: [String: Double], ledger: [String: [Double]]) {
    var exchange: [String: Double] = [:]
    for o in w.bybit.orders where o.cumExecQty > 0 && !o.orderLinkId.isEmpty {
      exchange[o.orderLinkId] = o.cumExecQty
    }
    var ledger: [String: [Double]] = [:]
    for r in try ledgerReader(w.db).read({
      try Row.fetchAll(
        $0,
        sql:
          "SELECT o.client_order_id AS id, f.qty FROM fills f JOIN orders o ON o.id = f.order_id")
    }) {
      ledger[r["id"], default: []].append(r["qty"])
    }
    return (exchange, ledger)
  }

  /// The trades as the ledger closed them, one line each.
  func trades(_ w: World) -> String {
    w.dump(
      """
      SELECT side || ' ' || qty || ' ' || entry || ' ' || opened_at || ' ' || COALESCE(closed_at, '-')
        || ' ' || COALESCE(exit_price, '-') || ' ' || COALESCE(pnl, '-') || ' ' || COALESCE(exit_reason, '-')
      FROM positions ORDER BY id
      """)
  }

  @Test func aCleanEndRightAfterAnExitBooksItsFillAndTheResumeBooksItNoSecondTime() throws {
    // The reference: one session that never stops early.
    let reference = try World()
    try #require(FileManager.default.isExecutableFile(atPath: reference.wick.path))
    try session(reference, Self.candles)
    let start = reference.candles[20].time
    let exits = reference.dump(
      "SELECT candle_time FROM decisions WHERE kind = 'exit' AND candle_time >= \(start) ORDER BY seq"
    )
    // The first candle (counted from the first pushed) whose handling sent an exit.
    let exitAt = try #require(exits.split(separator: "\n").first.flatMap { Int64($0) })
    let n = Int((exitAt - start) / 60_000) + 1
    try #require(n < Self.candles - 1, "no exit early enough: \(exits)")

    // The same run stopped right after that exit went out.
    let w = try World()
    try session(w, n)
    #expect(w.lastHandled() == exitAt)
    let exitID = "w1-\(exitAt / 1000)-BTCUSDT-x"
    let exchangeExit = try #require(
      w.bybit.orders.first { $0.orderLinkId == exitID }, "the exit reached the exchange")
    #expect(exchangeExit.cumExecQty > 0)
    // Booked at the next candle's open, with the closed trade, before the process exited.
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.client_order_id = '\(exitID)' AND f.time = \(exitAt + 60_000)"
      ) == 1, "\(w.errors)")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE client_order_id = '\(exitID)' AND status = 'filled'")
        == 1)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE active = 1") == 0)
    #expect(try w.int("SELECT COUNT(*) FROM positions WHERE closed_at = \(exitAt + 60_000)") == 1)
    #expect(try w.int("SELECT COUNT(*) FROM decisions WHERE kind = 'settle'") == 1)
    #expect(try w.int("SELECT COUNT(*) FROM orders WHERE status = 'submitting'") == 0)
    var (exchange, ledger) = try fills(w)
    #expect(
      ledger.mapValues { $0.reduce(0, +) } == exchange, "ledger \(ledger), exchange \(exchange)")
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")

    // The resume re-handles that candle: nothing booked twice, the book of the reference.
    try session(w, Self.candles - n)
    (exchange, ledger) = try fills(w)
    #expect(ledger.values.allSatisfy { $0.count == 1 }, "booked twice: \(ledger)")
    #expect(
      ledger.mapValues { $0.reduce(0, +) } == exchange, "ledger \(ledger), exchange \(exchange)")
    #expect(trades(w) == trades(reference))
    #expect(
      w.dump("SELECT state_json FROM runs") == reference.dump("SELECT state_json FROM runs"))
    try w.checkLedger()
  }

  @Test func sigtermRightAfterAnEntryBooksItsFillAndItsStopThenTheResumeBooksItNoSecondTime()
    throws
  {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    let (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")
    // Candles until one sends an entry, then SIGTERM before the next.
    var entryAt: Int64?
    for _ in 0..<8 where entryAt == nil {
      #expect(w.pushNext(), "\(w.errors)")
      let t = try #require(w.lastHandled())
      let id = "w1-\(t / 1000)-BTCUSDT-e"
      if try w.int("SELECT COUNT(*) FROM orders WHERE client_order_id = '\(id)'") == 1 {
        #expect(w.wait { w.bybit.position("BTCUSDT")?.stopLoss != nil }, "\(w.errors)")
        entryAt = t
      }
    }
    let t = try #require(entryAt, "no entry in 8 candles")
    kill(p.processIdentifier, SIGTERM)
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    let entry = "w1-\(t / 1000)-BTCUSDT-e"
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.client_order_id = '\(entry)' AND f.time = \(t + 60_000)"
      ) == 1, "\(w.errors)")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM positions WHERE active = 1 AND stop IS NOT NULL AND opened_at = \(t + 60_000)"
      ) == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE client_order_id = '\(entry)-stop' AND status = 'open'")
        == 1)
    var (exchange, ledger) = try fills(w)
    #expect(
      ledger.mapValues { $0.reduce(0, +) } == exchange, "ledger \(ledger), exchange \(exchange)")

    // The resume: the position is the one booked, once; its stop stays on.
    try session(w, 2)
    (exchange, ledger) = try fills(w)
    #expect(ledger.values.allSatisfy { $0.count == 1 }, "booked twice: \(ledger)")
    #expect(
      ledger.mapValues { $0.reduce(0, +) } == exchange, "ledger \(ledger), exchange \(exchange)")
    w.checkExchange("after the resume")
    try w.checkLedger()
  }
}
