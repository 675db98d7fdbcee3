import Foundation
import GRDB
import Testing
import WickCore
import WickData
import WickTesting

/// A pair entry when flat (every 4th slice), held for `hold` slices, then both legs exited. Its
/// risk fields size the pair and place each leg's exchange stop (1.5 × 1% of BTC's price).
let pairFlipScript = """
  return {
    name = "pair_flip", timeframe = "1m", symbols = { "BTCUSDT", "ETHUSDT" }, warmup = 3,
    params = { hold = { default = 3, min = 1, max = 50 } },
    on_bars = function(ctx, t, bars)
      ctx.state.n = (ctx.state.n or 0) + 1
      if ctx:position("BTCUSDT") then
        ctx.state.held = (ctx.state.held or 0) + 1
        if ctx.state.held >= ctx.params.hold then
          ctx:exit_pair{ long = "BTCUSDT", short = "ETHUSDT", reason = "exit_z" }
        end
      elseif ctx.state.n % 4 == 0 then
        ctx.state.held = 0
        local b, e = bars["BTCUSDT"].close, bars["ETHUSDT"].close
        ctx:enter_pair{ long = "BTCUSDT", short = "ETHUSDT", hedge = b / e, entry_z = -2,
                        stop_z = -3.5, spread_std = b * 0.01, risk = 0.01, tag = "BTC/ETH" }
      end
    end,
  }
  """

/// `wick run --live` with a pair, killed with SIGKILL between the two legs (the long leg filled,
/// the short leg's request swallowed), then the same command again: the short leg is resolved by
/// its orderLinkId and the pair completed, never doubled, each leg under its stop. Then killed
/// after both legs filled but before their stops: the restart puts both stops on. The session
/// replays identically on its recorded fills.
@Suite(.serialized) struct LivePairRunCommandTests {
  @Test func killDashNineBetweenThePairsLegsThenResume() throws {
    var synth = CandleSynthesizer(
      seed: 9, timeframe: .oneMinute, start: 1_704_067_200_000, startPrice: 50)
    let eth = (0..<80).map { _ in synth.next() }
    let w = try LiveRunCommandTests.World(
      script: ("pair_flip.lua", pairFlipScript), more: [("ETHUSDT", eth)])
    try #require(FileManager.default.isExecutableFile(atPath: w.wick.path))
    var (p, first) = try w.launch()
    #expect(first == "run: 1", "\(w.errors)")

    // The long leg goes through; the short leg's request hangs until the runner is killed.
    w.bybit.orderCreateFaults = [.pass, .swallow(30)]
    #expect(
      w.pushUntil(p) { w.bybit.orderCreateLinkIDs.contains { $0.hasSuffix("-ps") } },
      "\(w.errors)")
    let short = try #require(w.bybit.orderCreateLinkIDs.first { $0.hasSuffix("-ps") })
    let long = short.replacingOccurrences(of: "-ETHUSDT-ps", with: "-BTCUSDT-pl")
    #expect(w.bybit.position("BTCUSDT") != nil && w.bybit.position("ETHUSDT") == nil)
    #expect(w.bybit.position("BTCUSDT")?.stopLoss == nil, "no stop before both legs are in")

    (p, first) = try w.launch(["--stop-after", "5"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    // Its candle is still current: the short leg goes out now, once, and both legs get stops.
    #expect(
      w.wait {
        w.bybit.position("ETHUSDT")?.stopLoss != nil && w.bybit.position("BTCUSDT")?.stopLoss != nil
      }, "\(w.errors)")
    #expect(w.bybit.orders.filter { $0.orderLinkId == long }.count == 1)
    #expect(w.bybit.orders.filter { $0.orderLinkId == short }.count == 1)
    w.checkExchange("after a kill between the legs")
    // The pair is held, then both legs exit on the kernel's signal.
    for _ in 0..<5 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")
    #expect(w.bybit.orders.contains { $0.reduceOnly && $0.symbol == "ETHUSDT" })
    #expect(
      try w.int(
        "SELECT COUNT(*) FROM orders WHERE client_order_id IN ('\(long)', '\(short)') AND status = 'filled'"
      ) == 2)
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind LIKE 'pair_%'") == 0)

    // Killed again after both legs filled, before their stops (trading-stop hangs): the restart
    // finds both legs by their ids and puts each leg's stop on; nothing is sent twice.
    w.bybit.tradingStopFaults = [.swallow(30)]
    (p, first) = try w.launch()
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(
      w.pushUntil(p) {
        w.bybit.tradingStopFaults.isEmpty && w.bybit.position("BTCUSDT") != nil
          && w.bybit.position("ETHUSDT") != nil
      }, "\(w.errors)")
    w.bybit.tradingStopFaults = []
    #expect(w.bybit.position("ETHUSDT")?.stopLoss == nil)
    (p, first) = try w.launch(["--stop-after", "2"])
    #expect(first == "run: 1 (resumed)", "\(w.errors)")
    #expect(
      w.wait {
        w.bybit.position("ETHUSDT")?.stopLoss != nil && w.bybit.position("BTCUSDT")?.stopLoss != nil
      }, "\(w.errors)")
    w.checkExchange("after a kill before the legs' stops")
    for _ in 0..<2 { #expect(w.pushNext(), "\(w.errors)") }
    p.waitUntilExit()
    #expect(p.terminationStatus == 0, "\(w.errors)")
    w.checkExchange("at the end")
    #expect(try w.int("SELECT COUNT(*) FROM incidents WHERE kind LIKE 'pair_%'") == 0)
    try w.checkLedger()
    // The replay compares for real: a recorded pair intent with another size diverges there.
    try DatabaseQueue(path: w.db).write {
      try $0.execute(
        sql: """
          UPDATE decisions SET detail_json = replace(detail_json, '"qty":', '"qty":1')
          WHERE seq = (SELECT MIN(seq) FROM decisions WHERE kind = 'intent')
          """)
    }
    let (status, text) = try w.runWick(["replay", "1", "--db", w.db])
    #expect(status == 1 && text.contains("divergence") && text.contains("pair_short"), "\(text)")
  }
}
