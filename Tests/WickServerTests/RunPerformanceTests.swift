import Foundation
import Testing
import WickCore
import WickData
import WickReport
import WickTesting

@testable import WickServer

/// A paper run's metrics and closed trades from its ledger (`PaperTradesLedger`), checked
/// against figures worked out here by hand, not by the code under test.
@Suite struct RunPerformanceTests {
  final class World {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent(
      "wick-perf-\(UUID().uuidString)")
    let path: String
    let run: Int64
    let store: DashboardStore
    init() throws {
      try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
      path = dir.appendingPathComponent("w.sqlite").path
      run = try PaperTradesLedger.write(path: path)
      store = try DashboardStore(path: path)
    }
    deinit { try? FileManager.default.removeItem(at: dir) }
  }

  @Test func aPaperRunsTradesProduceTheBacktestsMetrics() throws {
    let w = try World()
    let p = try #require(try w.store.performance(w.run))
    #expect(!p.stored)
    // Three trades in the order they closed: the partial, the rest of the long, the short.
    #expect(p.trades.map(\.trade.pnl) == [5.9, 9.7, -10.3])
    #expect(p.trades.map(\.trade.qty) == [1, 1, 1])
    #expect(p.trades.map(\.exitReason) == ["signal", "take", "stop"])
    #expect(p.trades.map(\.trade.partial) == [true, false, false])
    let fees = p.trades.map(\.trade.fees)
    for (got, want) in zip(fees, [0.1, 0.3, 0.3]) { #expect(abs(got - want) < 1e-12) }
    // R = pnl / (qty × |entry − stop|): 5.9/5, 9.7/5, −10.3/5.
    let rs = p.trades.map { $0.trade.r ?? .nan }
    for (got, want) in zip(rs, [1.18, 1.94, -2.06]) { #expect(abs(got - want) < 1e-12) }

    let m = p.metrics
    func close(_ a: Double?, _ b: Double, _ what: String) {
      #expect(abs((a ?? .nan) - b) < 1e-9, "\(what): \(String(describing: a)) vs \(b)")
    }
    #expect(m.tradeCount == 3 && m.longCount == 2 && m.shortCount == 1)
    close(m.winRate, 2.0 / 3, "win rate")
    close(m.netPnl, 5.3, "net pnl")
    close(m.fees, 0.7, "fees")
    close(m.grossPnl, 6.0, "gross pnl")
    close(m.profitFactor, 15.6 / 10.3, "profit factor")
    close(m.expectancy, 5.3 / 3, "expectancy")
    close(m.averageR, (1.18 + 1.94 - 2.06) / 3, "average R")
    close(m.bestTrade, 9.7, "best")
    close(m.worstTrade, -10.3, "worst")
    #expect(m.maxConsecutiveLosses == 1)
    // Held 2 min, 4 min and a day and 5 min.
    close(m.averageHoldingHours, (2.0 + 4 + 1445) / 3 / 60, "holding")
    close(m.netReturn, 1004.7 / 1000 - 1, "net return")
    // Peak 1015.2 at the flip, trough 1004.7 at the end.
    close(m.maxDrawdown, (1015.2 - 1004.7) / 1015.2, "max drawdown")
    // In a position at the close of 5 of the 7 handled candles (not the first, not the one the
    // short was stopped at).
    close(m.exposure, 5.0 / 7, "exposure")
    // Daily closes: 1000 (initial), 1012 (day one's last), 1004.7.
    let r1 = 1012.0 / 1000 - 1
    let r2 = 1004.7 / 1012 - 1
    let mean = (r1 + r2) / 2
    let sd = (((r1 - mean) * (r1 - mean) + (r2 - mean) * (r2 - mean)) / 1).squareRoot()
    close(m.sharpe, mean / sd * 365.0.squareRoot(), "sharpe")
    let downside = ((r2 * r2) / 2).squareRoot()
    close(m.sortino, mean / downside * 365.0.squareRoot(), "sortino")
    // From the first candle's open to the last one's close: a day and 21 minutes.
    let years = (1 + 21.0 / 1440) / 365.25
    let cagr = pow(1004.7 / 1000, 1 / years) - 1
    close(m.cagr, cagr, "cagr")
    close(m.calmar, cagr / ((1015.2 - 1004.7) / 1015.2), "calmar")
    // The same keys as a backtest's metrics JSON.
    let json = ResultJSON.metrics(m)
    for key in Metrics.keys { #expect(json.contains("\"\(key)\":"), "\(key)") }
  }

  @Test func theRunPageShowsMetricsClosedTradesAndUnrealisedPnl() async throws {
    let w = try World()
    try await Dashboard(store: w.store, settings: DashboardSettings(token: nil)).onLoopback {
      client in
      let page = try await Browser(client).get("/runs/\(w.run)")
      #expect(page.status == .ok)
      let b = page.body
      #expect(b.contains("<h2>Performance</h2>"))
      #expect(b.contains("<span>win rate</span><b>66.67%</b>"))
      #expect(b.contains("<span>trades</span><b>3</b>"))
      #expect(b.contains("3 closed trades."))
      let table = try #require(b.range(of: "<table id=\"closed-trades\">"))
      let rows = String(b[table.upperBound...]).components(separatedBy: "</table>")[0]
        .components(separatedBy: "<tr><td>").dropFirst()
      #expect(rows.count == 3)
      // Newest first: the short stopped at 130.
      #expect(rows.first?.contains("<td class=\"neg\">-10.30</td><td>-2.06</td>") == true)
      #expect(rows.first?.contains("<td>stop</td>") == true)
      #expect(rows.last?.contains("(part)") == true)
      // The open long of 0.5 @ 128 at the last candle's close 131.
      #expect(b.contains("unrealised <b class=\"unrealised pos\">+1.50</b>"))
    }
  }

  @Test func thePageListsAtMostTheLast200TradesWithTheirCount() throws {
    var trades: [ClosedTrade] = []
    for i in 0..<250 {
      let t = Trade(
        symbol: "X<\(i)>", side: .long, entryTime: Int64(i) * 60_000, entryPrice: 1,
        exitTime: Int64(i) * 60_000 + 1, exitPrice: 1, qty: 1, fees: 0, spreadCost: 0,
        slippageCost: 0, pnl: 0, r: nil, exitReason: .signal)
      trades.append(ClosedTrade(account: "a", trade: t, exitReason: "<signal>"))
    }
    let w = try World()
    var d = try #require(try w.store.run(w.run))
    d.performance?.trades = trades
    let html = RunPage.closedTrades(d)
    #expect(html.contains("250 closed trades; the last 200 shown"))
    #expect(html.components(separatedBy: "<tr><td>").count - 1 == 200)
    #expect(html.contains("X&lt;249&gt;") && !html.contains("X&lt;49&gt;"))
    #expect(!html.contains("<signal>") && html.contains("&lt;signal&gt;"))
  }
}
