import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// What Binance gets from the shared live layer (`GatewayVenue`, `LiveExecutor`) that Bybit had
/// first: reduce-only partial closes, adds with the stop resized for the combined position, and
/// live pairs, each through a SIGKILL and a resume, replayed identically.
extension BinanceLiveRunCommandTests {
  /// The run's ledger against the exchange: nothing left submitting, nothing doubled, no
  /// position Wick does not know or of another size, and an identical replay.
  static func checkLedger(_ w: World) throws {
    #expect(try w.int("SELECT COUNT(*) FROM runs") == 1)
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE status = 'submitting' AND created_at < (SELECT last_time FROM runs)"
      ) == 0,
      "\(w.dump("SELECT client_order_id || ' ' || status FROM orders ORDER BY id"))\n\(w.errors)")
    try w.expectNothingDoubled(runs: [1])
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM incidents WHERE kind IN ('size_mismatch', 'unknown_position', 'unknown_order', 'panic_close', 'equity_drift')"
      ) == 0, "\(w.dump("SELECT kind || ' ' || detail FROM incidents"))")
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 0 && text.hasPrefix("identical"), "\(text)")
  }

  /// Partial closes and adds on Binance: killed right after the reduce-only partial close went
  /// out and again right after the add went out, resumed each time. The exchange's position is
  /// the ledger's, under one close-all stop that moved to the add's combined stop.
  @Test func binancePartialCloseAndAddThroughKillsThenResume() throws {
    let w = try World(script: ("scaling.lua", LiveRunCommandTests.scaling))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")
    #expect(
      w.pushUntil(p) {
        w.binance.orders.contains { $0.reduceOnly && $0.clientOrderId.hasSuffix("-xp") }
      }, "\(w.errors)")
    let partial = try #require(w.binance.orders.last { $0.clientOrderId.hasSuffix("-xp") })
    #expect(partial.status == "FILLED")
    let entry = try #require(w.binance.orders.last { !$0.reduceOnly })
    // Half of the position went, rounded down to the lot step; the rest kept its stop.
    #expect(
      abs(partial.executedQty - (entry.executedQty / 2 / 0.001).rounded(.down) * 0.001) < 1e-9)
    #expect(abs(w.position - (entry.executedQty - partial.executedQty)) < 1e-9)
    #expect(w.binance.stopTrigger("BTCUSDT") != nil)
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    w.checkExchange("after a kill after a partial close")

    let entries = { w.binance.orders.filter { !$0.reduceOnly }.count }
    let before = entries()
    let stopBefore = w.binance.stopTrigger("BTCUSDT")
    #expect(w.pushUntil(p) { entries() > before }, "\(w.errors)")
    (p, first) = try w.launch(["--stop-after", "4"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // The add's combined stop (below both the entry and the add) replaced the entry's.
    #expect(
      w.wait { w.binance.stopTrigger("BTCUSDT").map { $0 != stopBefore } ?? (w.position == 0) },
      "\(w.errors)")
    w.checkExchange("after a kill after an add")
    for _ in 0..<4 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")
    // One close-all stop at a time: the earlier ones were cancelled when it moved.
    #expect(
      w.binance.algoOrders.filter { $0.status == "NEW" && $0.type == "STOP_MARKET" }.count <= 1)
    // The ledger's open quantity (in µBTC) is the exchange's, once the orders sent on the last
    // candle are counted (the clean end writes their status; their fills reach the book at the
    // resumed run's first candle).
    let booked = try w.int(
      "SELECT CAST(ROUND(COALESCE(SUM(CASE WHEN orders.side = 'buy' THEN fills.qty ELSE -fills.qty END), 0) * 1e6) AS INTEGER) FROM fills JOIN orders ON orders.id = fills.order_id"
    )
    let sent = Set(
      w.dump(
        "SELECT client_order_id FROM orders WHERE status IN ('submitting', 'filled') AND NOT EXISTS (SELECT 1 FROM fills WHERE fills.order_id = orders.id)"
      ).split(
        separator: "\n"
      ).map(String.init))
    let inFlight = w.binance.orders.filter { sent.contains($0.clientOrderId) }.reduce(0.0) {
      $0 + ($1.side == "BUY" ? $1.executedQty : -$1.executedQty)
    }
    #expect(
      booked + Int((inFlight * 1e6).rounded()) == Int((w.position * 1e6).rounded()),
      "\(w.dump("SELECT client_order_id || ' ' || status FROM orders ORDER BY id"))")
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM decisions WHERE kind = 'fill' AND detail_json LIKE '%\"partial\":true%'"
      ) >= 1)
    #expect(try w.int("SELECT COUNT(*) FROM orders WHERE client_order_id LIKE '%-xp'") >= 1)
    try Self.checkLedger(w)
  }

  /// A live pair on Binance, killed between its legs (the long leg filled, the short leg's
  /// request swallowed): the restart finds the long leg by its id, sends the short leg once
  /// (its candle is still current) and puts a stop on each leg; the pair then exits on the
  /// kernel's signal. A partial fill of the short leg trims the long one to the hedge ratio.
  @Test func binanceLivePairThroughAKillBetweenItsLegsThenResume() throws {
    var synth = CandleSynthesizer(
      seed: 9, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 50)
    let eth = (0..<80).map { _ in synth.next() }
    let w = try World(script: ("pair_flip.lua", pairFlipScript), more: [("ETHUSDT", eth)])
    w.binance.setInstrument(
      "ETHUSDT",
      MockBinanceTrading.Instrument(tickSize: 0.01, stepSize: 0.001, minQty: 0.001, minNotional: 5))
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")

    w.binance.orderFaults = [.pass, .swallow(30)]
    #expect(
      w.pushUntil(p) { w.binance.orderRequestIDs.contains { $0.hasSuffix("-ps") } },
      "\(w.errors)")
    let short = try #require(w.binance.orderRequestIDs.first { $0.hasSuffix("-ps") })
    let long = short.replacingOccurrences(of: "-ETHUSDT-ps", with: "-BTCUSDT-pl")
    #expect(w.binance.positionAmount("BTCUSDT") > 0 && w.binance.positionAmount("ETHUSDT") == 0)
    #expect(w.binance.stopTrigger("BTCUSDT") == nil, "no stop before both legs are in")
    w.binance.orderFaults = []

    (p, first) = try w.launch(["--stop-after", "5"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(
      w.wait {
        w.binance.stopTrigger("ETHUSDT") != nil && w.binance.stopTrigger("BTCUSDT") != nil
      }, "\(w.errors)")
    #expect(w.binance.positionAmount("ETHUSDT") < 0)
    #expect(w.binance.orders.filter { $0.clientOrderId == long }.count == 1)
    #expect(w.binance.orders.filter { $0.clientOrderId == short }.count == 1)
    w.checkExchange("after a kill between the legs")
    for _ in 0..<5 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")
    #expect(w.binance.orders.contains { $0.reduceOnly && $0.symbol == "ETHUSDT" })
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE client_order_id IN ('\(long)', '\(short)') AND status = 'filled'"
      ) == 2)
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind LIKE 'pair_%'") == 0)

    // The next pair's short leg fills 40 %: the long leg is trimmed (reduce-only, `-t`) to the
    // hedge ratio; both legs stay open under their stops.
    (p, first) = try w.launch(["--stop-after", "8"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // The next pair's short leg, whenever the run sends it: waiting to arm the mock until both
    // legs looked flat raced the runner, which under ThreadSanitizer lagged the pushes.
    w.binance.partialFillThenExpire("ETHUSDT", fraction: 0.4, idSuffix: "-ETHUSDT-ps")
    for _ in 0..<8 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("after a trimmed pair")
    let trimmedShort = try #require(
      w.binance.orders.first {
        $0.status == "EXPIRED" && $0.clientOrderId.hasSuffix("-ETHUSDT-ps")
      },
      "\(w.binance.orders.map(\.clientOrderId))")
    let trim = try #require(
      w.binance.orders.first {
        $0.reduceOnly
          && $0.clientOrderId
            == trimmedShort.clientOrderId.replacingOccurrences(
              of: "-ETHUSDT-ps", with: "-BTCUSDT-t")
      }, "\(w.binance.orders.map(\.clientOrderId))\n\(w.errors)")
    #expect(trim.status == "FILLED" && trim.executedQty > 0)
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind LIKE 'pair_%'") == 0)
    try Self.checkLedger(w)
  }

  /// A multi-assets account margins every position in cross: the run is refused at start with
  /// the fix in the message, the words `wick doctor` prints for it, and nothing changes on the
  /// account (no margin type, no leverage, no order).
  @Test func aMultiAssetsAccountIsRefusedAtStartWithTheFixDoctorNames() throws {
    let w = try World()
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    w.binance.multiAssetsMode = true
    let (status, told) = try w.runWick(w.arguments, environment: w.environment)
    #expect(status == 1)
    #expect(
      told.contains(
        "the Binance USDⓈ-M account is in multi-assets mode, which margins every position in cross"
      ) && told.contains("switch to single-asset mode"), "\(told)")
    #expect(!told.contains(w.binance.apiKey) && !told.contains(w.binance.apiSecret))
    #expect(!w.binance.requests.contains { $0.hasPrefix("POST") }, "\(w.binance.requests)")
    #expect(w.binance.marginType("BTCUSDT") == "CROSSED" && w.binance.leverage("BTCUSDT") == nil)
    #expect(w.binance.orders.isEmpty)
    // `wick doctor` names the same problem with the same fix.
    let (checked, said) = try w.runWick(
      [
        "doctor", "--exchange", "binance", "--base-url", w.binance.baseURL, "--ws-url",
        w.binance.wsURL,
      ], environment: w.environment)
    #expect(checked == 1)
    let line = try #require(
      said.split(separator: "\n").first { $0.hasPrefix("✗ account mode: ") }, "\(said)")
    let (problem, fix) = (
      "multi-assets mode, which margins every position in cross: Wick trades isolated margin",
      "switch to single-asset mode (Preferences → Multi-Assets Mode off, or POST /fapi/v1/multiAssetsMargin multiAssetsMargin=false) with no position open"
    )
    #expect(line == "✗ account mode: \(problem) — fix: \(fix)")
    #expect(told.contains(problem) && told.contains(fix), "\(told)")
    // Back in single-asset mode, the same command starts.
    w.binance.multiAssetsMode = false
    let (p, first) = try w.launch(["--stop-after", "1"])
    #expect(first == "run: 1", "\(w.errors)")
    #expect(w.pushNext(), "\(w.errors)")
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
  }
}
