import Foundation
import WickCore
import WickData

/// A paper run's ledger written through `RunLedger.commit`, the runner's own writer, with
/// trades whose figures a test can work out by hand: a long BTCUSDT of 2 @ 100 (stop 95) that
/// takes half off at 106 (+5.9, partial) and the rest at 110 (take, +9.7); a short of 1 @ 120
/// (stop 125), opened at the very candle the long closed, stopped at 130 the next day (−10.3);
/// and an open long of 0.5 @ 128 marked at 131 by the cache's last candle. Initial equity 1000;
/// equity at seven handled candles over two UTC days.
public enum PaperTradesLedger {
  public static let start: Int64 = 1_704_067_200_000  // 2024-01-01T00:00:00Z
  public static let minute: Int64 = 60_000
  public static let day: Int64 = 86_400_000
  /// (candle open time, equity) as the runner snapshots them.
  public static let equity: [(Int64, Double)] = [
    (start, 1000), (start + minute, 999.8), (start + 3 * minute, 1005.5),
    (start + 5 * minute, 1015.2), (start + 10 * minute, 1012),
    (start + day + 10 * minute, 1004.8), (start + day + 20 * minute, 1004.7),
  ]

  /// Writes the run into the ledger at `path`; returns its id.
  public static func write(path: String) throws -> Int64 {
    let store = try CandleStore(path: path)
    let ledger = try RunLedger(store: store)
    let run = try ledger.createRun(
      RunLedger.NewRun(
        kind: "paper", strategy: "flip", scriptPath: "flip.lua", exchange: "bybit",
        paramsJSON: #"{"period":5}"#, symbols: ["BTCUSDT"], timeframe: "1m",
        initialEquity: 1000, argsJSON: "{}", accounts: [("main", "BTCUSDT", 1000)]))
    var seq = 0
    func commit(_ time: Int64, _ fill: (inout RunLedger.Commit) -> Void) throws {
      var c = RunLedger.Commit()
      fill(&c)
      if let e = equity.first(where: { $0.0 == time }) { c.equity = (time, e.1) }
      c.stateJSON = "{}"
      c.firstTime = start
      c.lastTime = time
      try ledger.commit(run: run, c)
    }
    func order(
      _ id: String, _ side: String, _ type: String, _ qty: Double, _ price: Double,
      _ time: Int64, parent: String? = nil
    ) -> RunLedger.OrderRow {
      RunLedger.OrderRow(
        clientOrderID: id, symbol: "BTCUSDT", side: side, type: type, qty: qty, price: price,
        status: "filled", time: time, parentClientOrderID: parent)
    }
    func fill(_ id: String, _ time: Int64, _ price: Double, _ qty: Double, _ fee: Double)
      -> RunLedger.FillRow
    { RunLedger.FillRow(clientOrderID: id, time: time, price: price, qty: qty, fee: fee) }

    try commit(start) { _ in }
    // The long: entry fee 0.2.
    let a = start + minute
    try commit(a) { c in
      c.orders = [order("a-e", "buy", "market", 2, 100, a)]
      c.fills = [fill("a-e", a, 100, 2, 0.2)]
      c.positions = [
        .opened(
          .init(symbol: "BTCUSDT", side: "long", qty: 2, entry: 100, stop: 95, take: 110, time: a))
      ]
    }
    // Half off at 106: +5.9 after its 0.1 fee (a paper partial's order has no parent).
    let half = start + 3 * minute
    try commit(half) { c in
      c.decisions = [
        RunLedger.Decision(
          seq: seq, candleTime: half, kind: "fill", symbol: "BTCUSDT",
          detailJSON:
            #"{"leg":"exit","reason":"signal","qty":1,"price":106,"pnl":5.9,"partial":true}"#)
      ]
      seq += 1
      c.orders = [order("a-xp", "sell", "market", 1, 106, half)]
      c.fills = [fill("a-xp", half, 106, 1, 0.1)]
    }
    // The rest taken at 110 (+9.7, exit fee 0.1); the short opens at the same candle (fee 0.15).
    let flip = start + 5 * minute
    try commit(flip) { c in
      c.orders = [
        order("a-take", "sell", "take", 1, 110, flip, parent: "a-e"),
        order("b-e", "sell", "market", 1, 120, flip),
      ]
      c.fills = [fill("a-take", flip, 110, 1, 0.1), fill("b-e", flip, 120, 1, 0.15)]
      c.positions = [
        .closed(.init(symbol: "BTCUSDT", time: flip, exitPrice: 110, pnl: 9.7, reason: "take")),
        .opened(
          .init(
            symbol: "BTCUSDT", side: "short", qty: 1, entry: 120, stop: 125, take: nil, time: flip)),
      ]
    }
    try commit(start + 10 * minute) { _ in }
    // The short stopped at 130 the next day: −10.3 after fees of 0.15 + 0.15.
    let stopped = start + day + 10 * minute
    try commit(stopped) { c in
      c.orders = [order("b-stop", "buy", "stop", 1, 130, stopped, parent: "b-e")]
      c.fills = [fill("b-stop", stopped, 130, 1, 0.15)]
      c.positions = [
        .closed(.init(symbol: "BTCUSDT", time: stopped, exitPrice: 130, pnl: -10.3, reason: "stop"))
      ]
    }
    let last = start + day + 20 * minute
    try commit(last) { c in
      c.orders = [order("c-e", "buy", "market", 0.5, 128, last)]
      c.fills = [fill("c-e", last, 128, 0.5, 0.1)]
      c.positions = [
        .opened(
          .init(
            symbol: "BTCUSDT", side: "long", qty: 0.5, entry: 128, stop: 120, take: nil, time: last)
        )
      ]
    }
    // The cache's candle of the last handled time: the open position's mark.
    try store.write(
      [Candle(time: last, open: 128, high: 132, low: 127, close: 131, volume: 10)],
      series: SeriesKey(exchange: "bybit", symbol: "BTCUSDT", timeframe: .oneMinute),
      replace: false)
    return run
  }
}
