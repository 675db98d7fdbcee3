import Foundation
import Testing
import WickCore

@testable import WickReport

@Suite struct AttributionTests {
  static let h: Int64 = 3_600_000
  static let jan1 = TearsheetTests.jan1

  static func trade(_ symbol: String = "BTCUSDT", at entry: Int64, pnl: Double) -> Trade {
    Trade(
      symbol: symbol, side: .long, entryTime: entry, entryPrice: 100, exitTime: entry + h,
      exitPrice: 101, qty: 1, fees: 0, spreadCost: 0, slippageCost: 0, pnl: pnl, r: nil,
      exitReason: .signal)
  }

  /// Standard windows: 03:00 asia, 07:30 asia_london, 10:00 london, 14:00 london_new_york,
  /// 20:00 new_york.
  @Test func sessionsByHand() {
    let trades = [
      Self.trade(at: Self.jan1 + 3 * Self.h, pnl: 10),
      Self.trade(at: Self.jan1 + 27 * Self.h, pnl: -4),
      Self.trade(at: Self.jan1 + 7 * Self.h + Self.h / 2, pnl: 1),
      Self.trade(at: Self.jan1 + 10 * Self.h, pnl: 2),
      Self.trade(at: Self.jan1 + 14 * Self.h, pnl: -3),
      Self.trade(at: Self.jan1 + 20 * Self.h, pnl: 5),
    ]
    let a = Attribution(trades: trades, regimes: [])
    #expect(
      a.bySession.map(\.label) == ["asia", "asia_london", "london", "london_new_york", "new_york"])
    let asia = a.bySession[0].cell
    #expect(asia.trades == 2 && asia.netPnl == 6 && asia.winRate == 0.5)
    #expect(a.bySession[3].cell == Attribution.Cell(trades: 1, netPnl: -3, wins: 0))
    // No candles recorded: the regimes are unknown, never guessed.
    #expect(a.byVolatility.map(\.label) == ["unknown"] && a.byTrend[0].cell.trades == 6)
  }

  /// From `Tearsheet.backgroundAttribution` trades the tearsheet computes the attribution on
  /// another thread: the figures are those of the direct computation, with regimes recorded.
  @Test func theTearsheetsBackgroundAttributionIsTheDirectOne() {
    var tape = RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute)
    var price = 100.0
    for i in 0..<20_000 {
      price *= 1 + 0.002 * sin(Double(i) / 150) + 0.0005 * Double(i % 7 - 3)
      tape.add(
        Candle(
          time: Self.jan1 + Int64(i) * 60_000, open: price, high: price * 1.001,
          low: price * 0.999, close: price, volume: 1))
    }
    let n = Tearsheet.backgroundAttribution + 500
    let trades = (0..<n).map {
      Self.trade(at: Self.jan1 + Int64($0) * 8 * 60_000, pnl: Double($0 % 13) - 6)
    }
    let r = TearsheetTests.result(
      first: Self.jan1, last: Self.jan1 + 19_999 * 60_000, initial: 1_000, final: 1_000,
      daily: [], trades: trades)
    let direct = Attribution(trades: trades, regimes: [tape])
    let sheet = Tearsheet(r, regimes: [tape]).attribution
    #expect(direct.byVolatility.count > 2 && direct.byTrend.count > 2)
    for (a, b) in zip(direct.groups, sheet.groups) {
      #expect(a.rows.map(\.label) == b.rows.map(\.label))
      #expect(a.rows.map(\.cell) == b.rows.map(\.cell))
    }
  }

  /// A custom [sessions] window moves the label.
  @Test func configuredWindowsAreUsed() {
    var sessions = TradingSessions.standard
    sessions.london = SessionWindow(parsing: "09:00-17:00")!
    let a = Attribution(
      trades: [Self.trade(at: Self.jan1 + 7 * Self.h + Self.h / 2, pnl: 1)], regimes: [],
      sessions: sessions)
    #expect(a.bySession.map(\.label) == ["asia"])
  }

  /// Regimes: the tape says what RegimeClassifier (wick.regime's definition) said on the candle
  /// before each entry; early trades are warming_up; the parts add up to the totals.
  @Test func regimesFollowTheClassifierAndPartsAddUp() {
    var p = RegimeParameters()
    p.atrPeriod = 3
    p.window = 5
    p.adxPeriod = 3
    p.maPeriod = 4
    p.slopePeriod = 2
    var rng = SplitMix(seed: 5)
    var candles: [Candle] = []
    var close = 100.0
    for i in 0..<600 {
      let drift = i % 200 < 100 ? 0.4 : -0.3
      let open = close
      close = max(1, close + drift + (rng.unit() - 0.5) * (i % 150 < 60 ? 0.5 : 4))
      candles.append(
        Candle(
          time: Self.jan1 + Int64(i) * 60_000, open: open, high: max(open, close) + rng.unit(),
          low: min(open, close) - rng.unit(), close: close, volume: 1))
    }
    var tape = RegimeTape(symbol: "BTCUSDT", timeframe: .oneMinute, parameters: p)
    var classifier = RegimeClassifier(p)
    var seen: [Regime?] = []
    for c in candles {
      tape.add(c)
      seen.append(classifier.update(high: c.high, low: c.low, close: c.close))
    }
    #expect(tape.times.count < candles.count)  // kept as changes
    var trades: [Trade] = []
    for k in stride(from: 1, to: 600, by: 7) {
      // Entered at candle k's open: decided on candle k − 1.
      trades.append(Self.trade(at: candles[k].time, pnl: Double(k % 11) - 5))
      let r = tape.regime(before: candles[k].time)
      #expect(r?.volatility == seen[k - 1]?.volatility && r?.trend == seen[k - 1]?.trend, "\(k)")
    }
    trades.append(Self.trade("ETHUSDT", at: candles[300].time, pnl: 7))
    let a = Attribution(trades: trades, regimes: [tape])
    #expect(a.byVolatility.first { $0.label == "warming_up" }!.cell.trades >= 1)
    #expect(a.byTrend.first { $0.label == "unknown" }!.cell.trades == 1)
    #expect(Set(a.byTrend.map(\.label)).isSuperset(of: ["up", "down"]))
    let total = trades.reduce(0) { $0 + $1.pnl }
    let wins = trades.filter { $0.pnl > 0 }.count
    for group in a.groups {
      #expect(group.rows.reduce(0) { $0 + $1.cell.trades } == trades.count, "\(group.key)")
      #expect(abs(group.rows.reduce(0) { $0 + $1.cell.netPnl } - total) < 1e-9, "\(group.key)")
      #expect(group.rows.reduce(0) { $0 + $1.cell.wins } == wins, "\(group.key)")
    }
  }

  @Test func jsonHasTheDocumentedShape() throws {
    let t = Self.trade(at: Self.jan1 + 3 * Self.h, pnl: 10)
    let r = TearsheetTests.result(
      first: Self.jan1, last: Self.jan1 + 86_400_000 - 60_000, initial: 1000, final: 1010,
      daily: [EquityPoint(time: Self.jan1, equity: 1000)], trades: [t])
    let text = ResultJSON.encode(r, metrics: Metrics.compute(r))
    let o = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    let attribution = try #require(o["attribution"] as? [String: [String: [String: Double]]])
    #expect(attribution["by_session"]?["asia"] == ["trades": 1, "net_pnl": 10, "win_rate": 1])
    #expect(attribution["by_volatility"]?["unknown"]?["trades"] == 1)
    #expect(attribution["by_trend"] != nil)
    // compare reads what backtest writes.
    let run = try ResultComparison.Run(path: "r.json", data: Data(text.utf8))
    #expect(run.attribution["by_session"]?["asia"]?.netPnl == 10)
  }
}
