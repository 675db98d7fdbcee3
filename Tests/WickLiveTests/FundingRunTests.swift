import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickSim
import WickTesting

@testable import WickBybit
@testable import WickLive

/// Holds one long position from the first candle it may trade.
let holdScript = """
  return {
    name = "hold", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
    on_candle = function(ctx, c)
      if not ctx:position(c.symbol) then
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.5 }
      end
    end,
  }
  """

/// Paper funding: the exchange's listed settlements, charged at their candle, recorded, replayed.
@Suite(.serialized) struct PaperFundingTests {
  /// Candles from 23:35 UTC: the warm-up starts at 23:52, the stream at 23:55, and the 00:00
  /// settlement falls on the stream's sixth candle.
  static let firstCandle = base - 25 * 60_000
  static let midnight = base

  func world() throws -> PaperWorld {
    let w = try PaperWorld(start: Self.firstCandle)
    try holdScript.write(toFile: w.script, atomically: true, encoding: .utf8)
    w.rest.funding = [
      FundingRate(time: Self.midnight - 3_600_000, rate: 0.003),  // before the run: never charged
      FundingRate(time: Self.midnight, rate: 0.0005),
    ]
    return w
  }

  /// Pushes candles `range`, the exchange's clock a second past each one's close.
  func push(_ w: PaperWorld, _ range: Range<Int>) async {
    guard let progress = try? RunProgress(db: w.db) else { return }
    // The clock moves only once the runner is listening: its catch-up reads the clock first.
    _ = await eventually { w.ws.openClients > 0 }
    for i in range {
      let c = w.candles[i]
      w.rest.serverTime = c.time + 61_000
      await w.ws.deliver(symbols: ["BTCUSDT"], candles: [c]) { progress.reached(c.time) }
    }
  }

  func fundingDecisions(_ w: PaperWorld, run: Int64) throws -> [RunLedger.Decision] {
    try w.ledger().decisions(run: run).filter { $0.kind == "funding" }
  }

  @Test func aPositionOpenAtASettlementPaysTheListedRateAndTheReplayChargesTheSame() async throws {
    let w = try world()
    let runner = try Runner(spec: w.spec(stopAfter: 10), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    await push(w, w.history..<(w.history + 10))
    #expect(try await finished().get() == .stopAfter)

    let charges = try fundingDecisions(w, run: id)
    #expect(charges.count == 1, "\(charges)")
    let charge = try #require(charges.first)
    let midnightIndex = w.candles.firstIndex { $0.time == Self.midnight }!
    #expect(charge.candleTime == Self.midnight)
    #expect(charge.symbol == "BTCUSDT")
    // Longs pay rate × qty × mark, the mark being the last close before the settlement.
    let qty = try w.ledger().decisions(run: id).first { $0.kind == "fill" }.flatMap {
      (try? JSONSerialization.jsonObject(with: Data($0.detailJSON.utf8)) as? [String: Any])?["qty"]
        as? Double
    }
    let expected = -0.0005 * (qty ?? .nan) * w.candles[midnightIndex - 1].close
    #expect(
      charge.detailJSON
        == "{\"time\":\(Self.midnight),\"rate\":0.0005,\"amount\":\(expected)}")
    // The position's funding is in the run's cash (no trade closed: cash = equity − fees − ...).
    let state = try #require(try w.ledger().run(id)?.stateJSON)
    #expect(state.contains("\"cash\":"))

    // The replay charges the recorded rate, whatever the cache holds now.
    try w.execute("UPDATE funding_rates SET rate = 0.01")
    let report = try Runner.replay(run: id, dbPath: w.db)
    #expect(report.identical, "\(String(describing: report.firstDivergence))")
    // A tampered amount is a divergence.
    try w.execute(
      "UPDATE decisions SET detail_json = replace(detail_json, '\"rate\":0.0005', '\"rate\":0.0006') WHERE run_id = \(id) AND kind = 'funding'"
    )
    let tampered = try Runner.replay(run: id, dbPath: w.db)
    #expect(!tampered.identical)
    #expect(tampered.firstDivergence?.expected.contains("funding") == true)
  }

  @Test func aBinancePaperRunPaysBinancesListedRate() async throws {
    let w = try world()
    var spec = w.spec(stopAfter: 8)
    spec.exchange = "binance"
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let progress = try RunProgress(db: w.db, run: id)
    _ = await eventually { w.ws.openClients > 0 }
    for i in w.history..<(w.history + 8) {
      let c = w.candles[i]
      w.rest.serverTime = c.time + 61_000
      let message = MockKlineStream.binanceKlineMessage(
        symbol: "BTCUSDT", interval: "1m", candle: c, closed: true, timeframe: .oneMinute)
      await w.ws.deliver([message]) { progress.reached(c.time) }
    }
    #expect(try await finished().get() == .stopAfter)
    #expect(w.rest.requests.contains { $0.hasPrefix("/fapi/v1/fundingRate?") })
    let charge = try #require(try fundingDecisions(w, run: id).first)
    #expect(charge.candleTime == Self.midnight)
    #expect(charge.detailJSON.hasPrefix("{\"time\":\(Self.midnight),\"rate\":0.0005,"))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func fundingRatesUnavailableAtTheSettlementAreAnIncidentThenChargedLate() async throws {
    let w = try world()
    let runner = try Runner(spec: w.spec(stopAfter: 10), output: { _ in })
    let id = try runner.prepare()
    let finished = start(runner)
    let midnightIndex = w.candles.firstIndex { $0.time == Self.midnight }!
    // The funding endpoint (and the clock) answer malformed bodies at the settlement's candle
    // and the next one; each candle is handled before the next is pushed.
    for i in w.history..<(w.history + 10) {
      w.rest.alwaysFault = (midnightIndex...(midnightIndex + 1)).contains(i) ? .truncated : nil
      await push(w, i..<(i + 1))
      let handled = 3 + i - w.history + 1
      #expect(
        await eventually {
          (try? w.scalar("SELECT COUNT(*) FROM equity_snapshots WHERE run_id = \(id)")) == handled
        })
    }
    #expect(try await finished().get() == .stopAfter)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'funding_unavailable'")
        == 1)
    let charge = try #require(try fundingDecisions(w, run: id).first)
    #expect(charge.candleTime == w.candles[midnightIndex + 2].time)
    #expect(charge.detailJSON.hasPrefix("{\"time\":\(Self.midnight),\"rate\":0.0005,"))
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }

  @Test func aResumedRunChargesTheRecordedSettlementsOnceAndReplays() async throws {
    let w = try world()
    let first = try Runner(spec: w.spec(stopAfter: 7), output: { _ in })
    let id = try first.prepare()
    let run1 = start(first)
    await push(w, w.history..<(w.history + 7))
    #expect(try await run1().get() == .stopAfter)
    #expect(try fundingDecisions(w, run: id).count == 1)

    w.rest.candles = Array(w.candles[0..<(w.history + 7)])
    let second = try Runner(spec: w.spec(stopAfter: 3), output: { _ in })
    #expect(try second.prepare() == id)
    let run2 = start(second)
    await push(w, (w.history + 7)..<(w.history + 10))
    #expect(try await run2().get() == .stopAfter)
    #expect(try fundingDecisions(w, run: id).count == 1)
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)
  }
}

/// Exits when in a position, enters when flat: every candle leaves an order for the next open.
let churnScript = """
  return {
    name = "churn", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
    on_candle = function(ctx, c)
      if ctx:position(c.symbol) then
        ctx:exit{ symbol = c.symbol, reason = "churn" }
      else
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.5 }
      end
    end,
  }
  """

/// A clean end (`--stop-after`, SIGTERM) books what its last candle sent and leaves no order
/// `submitting`.
@Suite(.serialized) struct CleanEndTests {
  /// Every fill of run `id`: client order id, time, price, quantity, fee; one a line.
  func fills(_ w: PaperWorld, run id: Int64) throws -> [String] {
    try DatabaseQueue(path: w.db).read {
      try String.fetchAll(
        $0,
        sql: """
          SELECT o.client_order_id || ' ' || f.time || ' ' || f.price || ' ' || f.qty || ' ' || f.fee
          FROM fills f JOIN orders o ON o.id = f.order_id WHERE o.run_id = \(id) ORDER BY f.id
          """)
    }
  }

  @Test func aPaperOrderDecidedOnTheLastCandleIsFilledAtTheEndAndNotAgainByTheResume() async throws
  {
    let w = try PaperWorld()
    try churnScript.write(toFile: w.script, atomically: true, encoding: .utf8)
    let first = try Runner(spec: w.spec(stopAfter: 5), output: { _ in })
    let id = try first.prepare()
    let run1 = start(first)
    await w.push(w.history..<(w.history + 5), noise: false)
    #expect(try await run1().get() == .stopAfter)
    let last = w.candles[w.history + 4]
    let next = last.time + 60_000
    #expect(
      try w.scalar("SELECT COUNT(*) FROM orders WHERE status IN ('submitting', 'pending')") == 0)
    // Filled at the end, at the next open's time, at the last close (with the fill model's costs).
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM orders WHERE run_id = \(id) AND status = 'filled' AND created_at = \(last.time)"
      ) == 1)
    let booked = try fills(w, run: id)
    let settled = try #require(booked.last)
    #expect(settled.contains("-\(last.time / 1000)-BTCUSDT-") && settled.contains(" \(next) "))
    let price = try #require(Double(settled.split(separator: " ")[2]))
    #expect(abs(price / last.close - 1) < 0.01)
    #expect(
      try w.scalar("SELECT COUNT(*) FROM decisions WHERE run_id = \(id) AND kind = 'settle'") == 1)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)

    // The resumed run re-handles the last candle and books nothing of it again (a missed
    // candle comes from REST).
    w.rest.candles = Array(w.candles[0..<(w.history + 6)])
    w.rest.serverTime = w.candles[w.history + 6].time + 1_000
    let second = try Runner(spec: w.spec(stopAfter: 2), output: { _ in })
    #expect(try second.prepare() == id)
    let run2 = start(second)
    await w.push((w.history + 6)..<(w.history + 8), noise: false)
    #expect(try await run2().get() == .stopAfter)
    let all = try fills(w, run: id)
    #expect(Array(all.prefix(booked.count)) == booked)
    #expect(Set(all.map { $0.split(separator: " ")[0] }).count == all.count, "\(all)")
    #expect(
      try w.scalar(
        "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'resume_divergence'") == 0)
    #expect(try Runner.replay(run: id, dbPath: w.db).identical)

    // The same fills as a run that never stopped (the synthetic candles open at the last close).
    let u = try PaperWorld()
    try churnScript.write(toFile: u.script, atomically: true, encoding: .utf8)
    let whole = try Runner(spec: u.spec(stopAfter: 8), output: { _ in })
    let uid = try whole.prepare()
    let run3 = start(whole)
    await u.push(u.history..<(u.history + 8), noise: false)
    #expect(try await run3().get() == .stopAfter)
    #expect(try fills(u, run: uid) == all)
  }

  @Test func aLiveExitWhoseOutcomeStayedUnknownIsAskedForAgainAndBookedAtTheEnd() throws {
    let bybit = try MockBybitTrading()
    let folder = try LiveRunFolder(bybit)
    defer { withExtendedLifetime(folder) {} }  // keys and folder until the end
    let runner = try Runner(spec: folder.spec, output: { _ in })
    let id = try runner.prepare()
    let venue = try #require(runner.venue as? GatewayVenue)
    defer { venue.close() }
    // A position opened on an earlier candle, on the exchange and in the book.
    let entry = EntryOrder.clientOrderID(run: id, time: base, symbol: "BTCUSDT", kind: "e")
    _ = try (venue.gateway as! BybitGateway).api.createMarketOrder(
      BybitTradingAPI.MarketOrder(symbol: "BTCUSDT", side: .buy, qty: "0.010", orderLinkId: entry))
    runner.kernel.book.open(
      symbol: 0, side: .long, qty: 0.01, execution: Execution(price: 60_000, fee: 0), time: base,
      intent: OrderIntent(symbol: 0, side: .long, stop: nil))
    try runner.journal.commit(time: base)
    // The last candle decides the exit; the exchange's position cannot be read while it goes
    // out (every retry a 502), so the send learns nothing and records an incident.
    let t = base + 60_000
    venue.decisionTime = t
    runner.journal.exitRequested(symbol: 0, reason: "flip", time: t)
    venue.submit(exit: 0, reason: "flip")
    try runner.journal.commit(time: t)
    runner.lastHandled = t
    bybit.injectReadFaults("/v5/position/list", Array(repeating: .status(502), count: 5))
    try venue.send()
    let exit = EntryOrder.clientOrderID(run: id, time: t, symbol: "BTCUSDT", kind: "x")
    #expect(!bybit.orders.contains { $0.orderLinkId == exit })
    #expect(venue.hasUnbookedSends)

    // The clean end asks again by its id: the exit goes out once, is booked at the next open.
    #expect(try runner.endCleanly().isEmpty)
    #expect(bybit.orders.filter { $0.orderLinkId == exit }.count == 1)
    #expect(bybit.position("BTCUSDT") == nil)
    #expect(runner.kernel.book.positions[0] == nil)
    let ledger = try RunLedger(store: try CandleStore(path: folder.spec.dbPath))
    #expect(try ledger.inFlightOrders(run: id).isEmpty)
    let q = try DatabaseQueue(path: folder.spec.dbPath)
    #expect(
      try q.read {
        try Int.fetchOne(
          $0,
          sql: """
            SELECT COUNT(*) FROM fills f JOIN orders o ON o.id = f.order_id
            WHERE o.client_order_id = '\(exit)' AND f.time = \(t + 60_000) AND o.status = 'filled'
            """)
      } == 1)
    #expect(
      try q.read {
        try Int.fetchOne(
          $0, sql: "SELECT COUNT(*) FROM incidents WHERE run_id = \(id) AND kind = 'exit_failed'")
      } == 1)
  }

  @Test func aLiveOrderLeftSubmittingIsResolvedByItsOrderLinkId() throws {
    let bybit = try MockBybitTrading()
    let folder = try LiveRunFolder(bybit)
    defer { withExtendedLifetime(folder) {} }  // keys and folder until the end
    let spec = folder.spec
    let runner = try Runner(spec: spec, output: { _ in })
    let id = try runner.prepare()
    let venue = try #require(runner.venue as? GatewayVenue)
    defer { venue.close() }
    // Two orders written ahead on the last candle: one reached the exchange and filled, one
    // never left; and the exchange answers the first lookup with a 5xx.
    let filled = EntryOrder.clientOrderID(run: id, time: base, symbol: "BTCUSDT", kind: "e")
    let lost = EntryOrder.clientOrderID(run: id, time: base, symbol: "BTCUSDT", kind: "x")
    _ = try (venue.gateway as! BybitGateway).api.createMarketOrder(
      BybitTradingAPI.MarketOrder(symbol: "BTCUSDT", side: .buy, qty: "0.010", orderLinkId: filled))
    var c = RunLedger.Commit()
    for linkID in [filled, lost] {
      c.orders.append(
        RunLedger.OrderRow(
          clientOrderID: linkID, symbol: "BTCUSDT", side: "buy", type: "market", qty: 0.01,
          price: nil, status: "submitting", time: base))
    }
    let ledger = try RunLedger(store: try CandleStore(path: spec.dbPath))
    try ledger.commit(run: id, c)
    bybit.injectReadFaults("/v5/order/realtime", [.status(502)])
    let lines = try runner.settleInFlight()
    #expect(lines == ["\(filled): filled", "\(lost): not_sent"])
    #expect(try ledger.inFlightOrders(run: id).isEmpty)
  }
}
