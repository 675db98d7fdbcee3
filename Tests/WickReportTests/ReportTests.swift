import Foundation
import Testing
import WickCore

@testable import WickReport

@Suite struct ReportTests {
  let day: Int64 = 86_400_000
  let t0: Int64 = 1_704_067_200_000

  func trade(_ pnl: Double, r: Double?, side: Side = .long, tag: String? = nil) -> Trade {
    Trade(
      symbol: "BTCUSDT", side: side, entryTime: t0, entryPrice: 100, exitTime: t0 + 3_600_000,
      exitPrice: 101, qty: 1,
      fees: 1, spreadCost: 0.5, slippageCost: 0.25, pnl: pnl, r: r, exitReason: .take, tag: tag)
  }

  func result(trades: [Trade], daily: [Double], maxDD: Double = 0.1) -> BacktestResult {
    BacktestResult(
      strategy: "s", params: [("period", .number(60)), ("mode", .string("fixed"))],
      symbols: ["BTCUSDT"],
      timeframe: .oneMinute, candles: 4 * 1440, firstTime: t0, lastTime: t0 + 4 * day - 60_000,
      initialEquity: daily.first!, finalEquity: daily.last!, trades: trades,
      equity: daily.enumerated().map {
        EquityPoint(time: t0 + Int64($0.offset) * day, equity: $0.element)
      },
      dailyEquity: daily.enumerated().map {
        EquityPoint(time: t0 + Int64($0.offset) * day, equity: $0.element)
      },
      maxDrawdown: maxDD, exposure: 0.25, refusals: ["missing_stop": 2])
  }

  @Test func metricsFollowTheirFormulas() {
    let r = result(
      trades: [trade(30, r: 1.5), trade(-10, r: -0.5, side: .short), trade(20, r: nil)],
      daily: [1000, 1010, 1000, 1030, 1040])
    let m = Metrics.compute(r)
    #expect(abs(m.netReturn - 0.04) < 1e-12)
    #expect(m.tradeCount == 3 && m.longCount == 2 && m.shortCount == 1)
    #expect(abs(m.winRate - 2.0 / 3) < 1e-12)
    #expect(abs(m.profitFactor! - 5) < 1e-12)
    #expect(abs(m.expectancy - 40.0 / 3) < 1e-12)
    #expect(abs(m.averageR - 0.5) < 1e-12)
    #expect(
      abs(m.fees - 3) < 1e-12 && abs(m.spread - 1.5) < 1e-12 && abs(m.slippage - 0.75) < 1e-12)
    #expect(abs(m.grossPnl - (40 + 3 + 1.5 + 0.75)) < 1e-12)
    let rets = [0.01, 1000.0 / 1010 - 1, 0.03, 1040.0 / 1030 - 1]
    let mean = rets.reduce(0, +) / 4
    let sd = (rets.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / 3).squareRoot()
    #expect(abs(m.sharpe - mean / sd * 365.0.squareRoot()) < 1e-9)
    let down = (rets.map { min($0, 0) * min($0, 0) }.reduce(0, +) / 4).squareRoot()
    #expect(abs(m.sortino - mean / down * 365.0.squareRoot()) < 1e-9)
    #expect(abs(m.cagr - (pow(1.04, 365.25 / 4) - 1)) < 1e-9)
    #expect(abs(m.calmar - m.cagr / 0.1) < 1e-9)
    #expect(m.maxConsecutiveLosses == 1)
  }

  @Test func emptyAndFlatRunsHaveNoNaN() throws {
    let r = result(trades: [], daily: [1000, 1000, 1000], maxDD: 0)
    let m = Metrics.compute(r)
    #expect(
      m.sharpe == 0 && m.sortino == 0 && m.calmar == 0 && m.profitFactor == nil && m.expectancy == 0
    )
    let json = ResultJSON.encode(r, metrics: m)
    #expect(!json.contains("nan") && !json.contains("inf"))
    #expect(json.contains("\"profit_factor\": null"))
    _ = try JSONSerialization.jsonObject(with: Data(json.utf8))
  }

  @Test func jsonIsDeterministicAndHasTheDocumentedShape() throws {
    let r = result(trades: [trade(30, r: 1.5, tag: "a\"b\n</script>")], daily: [1000, 1030])
    let a = ResultJSON.encode(r, metrics: Metrics.compute(r))
    let b = ResultJSON.encode(r, metrics: Metrics.compute(r))
    #expect(a == b)
    let object = try #require(
      try JSONSerialization.jsonObject(with: Data(a.utf8)) as? [String: Any])
    for key in [
      "strategy", "params", "symbol", "timeframe", "candles", "trades", "metrics", "equity",
      "refusals",
    ] {
      #expect(object[key] != nil, "missing \(key)")
    }
    let trades = try #require(object["trades"] as? [[String: Any]])
    for key in [
      "symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price", "qty", "fees",
      "pnl", "r", "exit_reason",
    ] {
      #expect(trades[0][key] != nil, "trade missing \(key)")
    }
    #expect(trades[0]["tag"] as? String == "a\"b\n</script>")
    #expect(trades[0]["entry_time"] as? String == "2024-01-01T00:00:00Z")
    #expect(!a.contains("</script>"))
    let equity = try #require(object["equity"] as? [[Any]])
    #expect(equity.first?.first as? String == "2024-01-01T00:00:00Z")
    #expect((object["params"] as? [String: Any])?["period"] as? Int == 60)
  }

  @Test func htmlIsSelfContainedAndEscaped() {
    var r = result(trades: [trade(30, r: 1.5, tag: "<b>x</b>")], daily: [1000, 990, 1030])
    r.strategy = "s<script>alert(1)</script>"
    r.logs = ["2024-01-01T00:00:00Z <img src=x>"]
    let html = HTMLReport.render(r, metrics: Metrics.compute(r))
    #expect(html.components(separatedBy: "<svg").count == 3)  // equity + drawdown
    #expect(!html.contains("<script>"))
    #expect(html.contains("&lt;b&gt;x&lt;/b&gt;"))
    #expect(!html.contains("http://") || html.contains("xmlns=\"http://www.w3.org/2000/svg\""))
    #expect(!html.contains("src=\"http") && !html.contains("href=\"http"))
    #expect(html.contains("2024-01-01T<wbr>01:00:00Z"))  // the trade's exit time
  }

  @Test func diffShowsSignedChanges() {
    let a = Metrics.compute(
      result(trades: [trade(30, r: 1), trade(-10, r: -1)], daily: [1000, 1020]))
    let b = Metrics.compute(result(trades: [trade(30, r: 1)], daily: [1000, 1030]))
    let text = MetricsDiff.render(old: a, new: b)
    #expect(text.contains("net return"))
    #expect(text.contains("2.00% → 3.00%   (+1.00 pp)"))
    #expect(text.contains("trades"))
    #expect(text.contains("(−1)"))
    #expect(MetricsDiff.render(old: a, new: a) == "no change")
  }

  @Test func summaryNamesEverything() {
    let r = result(trades: [trade(30, r: 1)], daily: [1000, 1030])
    let s = SummaryTable.render(r, metrics: Metrics.compute(r))
    for word in [
      "net return", "CAGR", "max drawdown", "Sharpe", "Sortino", "Calmar", "win rate",
      "profit factor", "expectancy", "average R", "exposure", "fees", "spread", "slippage",
      "missing_stop 2", "period=60",
    ] {
      #expect(s.contains(word), "\(word)")
    }
  }
}
