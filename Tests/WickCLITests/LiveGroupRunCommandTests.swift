import Foundation
import Testing
import WickCore
import WickData
import WickTesting

/// `wick run --config` with a live entry beside a paper entry: the real binary, one loopback
/// Bybit (REST, public and private streams, trading) serving both. The live run trades on the
/// mock exchange, the paper run on its simulated venue, and one shared governor decides for both.
@Suite(.serialized) struct LiveGroupRunCommandTests {
  @Test func aLiveAndAPaperEntryShareTheGovernorAndResumeAfterKillWithNothingDoubled() throws {
    var eth = CandleSynthesizer(
      seed: 9, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 50)
    let w = try LiveRunCommandTests.World(more: [("ETHUSDT", (0..<80).map { _ in eth.next() })])
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    // The paper run (entry 1, deciding first on each candle) enters every 2nd candle, the live
    // run every 3rd; each exits on an even count. With one position allowed across both, each is
    // refused while the other holds one (or has one pending), and each gets its turn.
    try #"{"every": 2}"#.write(
      to: w.dir.appendingPathComponent("every2.json"), atomically: true, encoding: .utf8)
    let config = w.dir.appendingPathComponent("wick.toml").path
    try """
    [governor]
    max_concurrent_positions = 1

    [[run]]
    strategy = "flip.lua"
    symbols = ["ETHUSDT"]
    timeframe = "1m"
    params = "every2.json"
    base_url = "\(w.bybit.baseURL)"
    ws_url = "\(w.bybit.wsURL)"
    equity = 10000.0

    [[run]]
    strategy = "flip.lua"
    symbols = ["BTCUSDT"]
    timeframe = "1m"
    mode = "live"
    base_url = "\(w.bybit.baseURL)"
    ws_url = "\(w.bybit.wsURL)"

    """.write(toFile: config, atomically: true, encoding: .utf8)
    let command = ["run", "--config", config, "--db", w.db]
    let (p, first) = try w.launch(command: command, streams: 2)
    #expect(first == "run: 1", "\(w.errors)")
    var mostOpen = w.push(7, runs: [1, 2])
    // kill -9 while both runs are going; one candle closes while the process is down.
    kill(p.processIdentifier, SIGKILL)
    p.waitUntilExit()
    w.pushed += 1
    let (resumed, again) = try w.launch(command: command, streams: 2)
    #expect(again == "run: 1 (resumed)", "\(w.errors)")
    mostOpen = max(mostOpen, w.push(7, runs: [1, 2]))
    kill(resumed.processIdentifier, SIGTERM)
    resumed.waitUntilExit()
    #expect(resumed.terminationStatus == 0, "\(w.errors)")

    // Both traded: the paper run in its own ledger rows, the live run on the exchange, each of
    // its exchange orders booked once in its rows.
    let filledOnExchange = w.bybit.orders.filter { $0.status == "Filled" }
    #expect(
      filledOnExchange.contains { !$0.reduceOnly },
      "\(w.bybit.orders.map { "\($0.orderLinkId) \($0.status)" })")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE run_id = 2 AND type = 'market' AND status = 'filled'")
        == filledOnExchange.count)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE run_id = 1 AND type = 'market' AND status = 'filled'")
        >= 1, "\(w.dump("SELECT run_id || ' ' || client_order_id || ' ' || status FROM orders"))")
    // One governor across paper and live: never two positions, and each run was refused while
    // the other held one, the refusal recorded in the refused run's ledger with its code.
    #expect(mostOpen == 1)
    let refused = w.dump(
      "SELECT DISTINCT run_id FROM decisions WHERE kind = 'refusal' AND detail_json LIKE '%\"max_positions\"%' ORDER BY run_id"
    )
    #expect(
      refused == "1\n2",
      "\(w.dump("SELECT run_id || ' ' || kind || ' ' || detail_json FROM decisions"))")

    // Nothing doubled: no orderLinkId sent twice, no fill booked twice, no decision written
    // twice, nothing diverged on the resume.
    let ids = w.bybit.orderCreateLinkIDs
    #expect(Set(ids).count == ids.count, "\(ids)")
    try w.expectNothingDoubled(runs: [1, 2])
    // Each run replays identically, re-applying the shared verdicts it recorded: the paper run
    // on its simulated venue, the live run on the exchange's recorded fills and instruments.
    for run in [1, 2] {
      let (status, text) = try w.runWick(["replay", "\(run)", "--db", w.db])
      #expect(status == 0 && text.hasPrefix("identical"), "run \(run): \(text)")
    }
  }
}

extension LiveRunCommandTests.World {
  /// Pushes `n` candles to `runs`; the most positions the ledger had open at once meanwhile.
  func push(_ n: Int, runs: [Int]) -> Int {
    var most = 0
    for _ in 0..<n {
      #expect(pushNext(runs: runs), "\(errors)")
      most = max(most, (try? int("SELECT COUNT(*) FROM positions WHERE active = 1")) ?? 0)
    }
    return most
  }
}
