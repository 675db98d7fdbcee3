import Foundation
import NIOHTTP1
import Testing
import WickCore
import WickData

@testable import WickServer

@Suite struct PageTests {
  func dashboard(_ f: LedgerFixture, token: String? = nil) -> Dashboard {
    Dashboard(store: f.store, settings: DashboardSettings(token: token))
  }

  @Test func runsPageLinksEveryRunByIdWithModeStatusEquityAndTodaysPnl() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs")
      #expect(page.status == .ok)
      #expect(page.body.contains("<a href=\"/runs/\(f.paperRun)\">\(f.paperRun)</a>"))
      #expect(page.body.contains("<a href=\"/runs/\(f.backtestRun)\">\(f.backtestRun)</a>"))
      // The paper run: running, latest equity 9964, today's PnL -40, one open position.
      let row = try #require(
        page.body.components(separatedBy: "<tr>").first { $0.contains("/runs/\(f.paperRun)\"") })
      for text in ["paper", "s-running", "9964.00", "-40.00", "<td>1</td>"] {
        #expect(row.contains(text), "\(text) missing from \(row)")
      }
      let backtest = try #require(
        page.body.components(separatedBy: "<tr>").first { $0.contains("/runs/\(f.backtestRun)\"") })
      #expect(backtest.contains("backtest") && backtest.contains("10009.80"))
    }
  }

  @Test func runPageShowsPositionsWithStopsEquityRiskSignalsAndParams() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      #expect(page.status == .ok)
      let b = page.body
      #expect(b.contains("<b>BTCUSDT</b> <span class=\"pos\">long</span> 0.25 @ 50000.00"))
      #expect(b.contains("stop <b class=\"stop\">49000.00</b> · take <b>52000.00</b>"))
      #expect(b.contains("aria-label=\"Equity\"") && b.contains("aria-label=\"Drawdown\""))
      #expect(b.contains("cooling down after a loss"))  // refusal
      #expect(b.contains("side=long · stop=49000"))  // signal
      #expect(b.contains("websocket dropped, resynced"))  // incident
      #expect(b.contains("daily loss 40 of 200"))  // governor event
      #expect(b.contains("40.00 <small>(20% of 200.00)</small>"))  // daily loss used
      #expect(b.contains("×0.50"))  // size decay
      #expect(b.contains("period=60 · threshold=0.001"))  // params in force
      #expect(b.contains("data-stream=\"/runs/\(f.paperRun)/events?after="))
      // Read-only: no controls at all.
      #expect(!b.contains("Emergency stop"))
      #expect(b.contains("Read-only"))
    }
  }

  @Test func todaysPnlIsTheDaysEquityChangeAndAStrategyErrorIsShown() async throws {
    let f = try LedgerFixture()
    // Another trade closed today and equity fell by 5 more: today's PnL follows equity.
    try f.execute(
      """
      INSERT INTO daily_pnl (run_id, account, day, pnl, trades) VALUES (?, NULL, ?, -5, 1)
      ON CONFLICT (run_id, IFNULL(account, ''), day)
      DO UPDATE SET pnl = pnl + excluded.pnl, trades = trades + 1
      """,
      [f.paperRun, String(UTCTime.iso(f.now).prefix(10))])
    try f.execute(
      "INSERT INTO equity_snapshots (run_id, account, time, equity) VALUES (?, NULL, ?, 9959)",
      [f.paperRun, f.now])
    try f.execute(
      #"UPDATE runs SET state_json = '{"strategy_error":"ma_cross.lua:40: attempt to index a nil value"}' WHERE id = ?"#,
      [f.paperRun])
    try await dashboard(f).onLoopback { client in
      let runs = try await Browser(client).get("/runs")
      #expect(runs.body.contains("-45.00"))
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      #expect(
        page.body.contains("The strategy is halted: ma_cross.lua:40: attempt to index a nil value"))
    }
  }

  /// The "killed accounts" count and the account table give one answer: a runner's state (its
  /// risk engine, which kills and resets) over the accounts row it inserted at start.
  @Test func killedAccountsCountAgreesWithTheAccountTable() async throws {
    let f = try LedgerFixture()
    func killed(_ page: String) -> (count: String, row: String)? {
      guard let stat = page.range(of: "killed accounts"),
        let row = page.components(separatedBy: "<tr>").first(where: {
          $0.contains("<td class=\"l\">main</td>")
        })
      else { return nil }
      return (String(page[stat.upperBound...].prefix(80)), row)
    }
    // The runner's engine killed the account; the row still says 0.
    try f.execute(
      #"UPDATE runs SET state_json = '{"accounts":[{"account":"main","decay_factor":1,"daily_loss_used":0,"killed":true,"kill_reason":"drawdown 31% from peak 10400"}]}' WHERE id = ?"#,
      [f.paperRun])
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      let k = try #require(killed(page.body))
      #expect(k.count.contains("<b class=\"neg\">1</b>"), "\(k.count)")
      #expect(
        k.row.contains("<b class=\"neg\">killed</b> drawdown 31% from peak 10400"), "\(k.row)")
    }
    // Reset since: the runner's state says live again, whatever the row says.
    try f.execute(
      #"UPDATE runs SET state_json = '{"accounts":[{"account":"main","decay_factor":1,"daily_loss_used":0,"killed":false}]}' WHERE id = ?"#,
      [f.paperRun])
    try f.execute(
      "UPDATE accounts SET killed = 1, kill_reason = 'old' WHERE run_id = ?", [f.paperRun])
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      let k = try #require(killed(page.body))
      #expect(!k.count.contains("neg"), "\(k.count)")
      #expect(k.row.contains("<td>no</td>") && !k.row.contains("killed"), "\(k.row)")
    }
  }

  @Test func unknownRunIs404() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let missing = try await Browser(client).get("/runs/999")
      #expect(missing.status == .notFound)
      let malformed = try await Browser(client).get("/runs/abc")
      #expect(malformed.status == .notFound)
    }
  }

  @Test func sweepResultsSortByAnyColumnAndMarkTheWinner() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let browser = Browser(client)
      let list = try await browser.get("/sweeps")
      #expect(list.body.contains("<a href=\"/sweeps/\(f.sweep)\">\(f.sweep)</a>"))
      #expect(list.body.contains("period=40"))
      let byObjective = try await browser.get("/sweeps/\(f.sweep)")
      func rows(_ page: Browser.Page) -> Substring {
        page.body[page.body.range(of: "<tbody>")!.upperBound...]
      }
      let table = rows(byObjective)
      let order = ["period=40", "period=60", "period=20"].map { table.range(of: $0)!.lowerBound }
      #expect(order == order.sorted())
      #expect(byObjective.body.contains("<tr class=\"winner\"><td>1 ★</td>"))
      let byReturnAscending = try await browser.get("/sweeps/\(f.sweep)?sort=net_return&dir=asc")
      let table2 = rows(byReturnAscending)
      let order2 = ["period=20", "period=40", "period=60"].map { table2.range(of: $0)!.lowerBound }
      #expect(order2 == order2.sorted())
    }
  }

  @Test func savedBacktestReportIsServedFromTheLedger() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let report = try await Browser(client).get("/runs/\(f.backtestRun)/report")
      #expect(report.status == .ok)
      #expect(report.body.contains("<h1>ma_cross</h1>"))
      #expect(report.body.contains("<h2>Metrics</h2>"))
      #expect(report.body.contains("10009.80"))
      // A paper run has no backtest report.
      let paper = try await Browser(client).get("/runs/\(f.paperRun)/report")
      #expect(paper.status == .notFound)
    }
  }

  @Test func savedBacktestReportShowsWhatReproducesIt() {
    let stored = #"{"net_return": 0.1, "reproduce": {"version": "0.12.0", "script_sha256": "ab"}}"#
    let text = DashboardStore.reproduceText(metricsJSON: stored)
    #expect(text?.contains("\"script_sha256\" : \"ab\"") == true, "\(text ?? "nil")")
    // A run saved before Wick recorded it has no section.
    #expect(DashboardStore.reproduceText(metricsJSON: #"{"net_return": 0.1}"#) == nil)
  }

  @Test func assetsAreServedByWickItself() async throws {
    let f = try LedgerFixture()
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      for external in ["src=\"http", "href=\"http", "src=\"//", "href=\"//", "@import"] {
        #expect(!page.body.contains(external))
      }
      let js = try await Browser(client).get("/assets/dashboard.js")
      #expect(js.body.contains("EventSource"))
      let css = try await Browser(client).get("/assets/dashboard.css")
      #expect(css.body.contains(".stopbar"))
    }
  }

  /// Candles of `series` every minute over [from, to).
  func writeCandles(_ f: LedgerFixture, exchange: String, from: Int64, to: Int64) throws {
    let candles = stride(from: from, to: to, by: 60_000).map { t in
      Candle(time: t, open: 50_000, high: 50_100, low: 49_900, close: 50_050, volume: 1)
    }
    try CandleStore(path: f.path).write(
      candles, series: SeriesKey(exchange: exchange, symbol: "BTCUSDT", timeframe: .oneMinute),
      replace: true)
  }

  /// A paper run's page has the report's interactive chart: the run's candles from the cache,
  /// its open position's entry marked, the equity linked below; the scripts come from Wick's
  /// own assets (the page's Content-Security-Policy runs no inline script).
  @Test func runPageHasTheInteractiveChartWithItsScriptsLinked() async throws {
    let f = try LedgerFixture()
    let start = (f.now - 3_600_000) / 60_000 * 60_000
    try writeCandles(f, exchange: "mock", from: start, to: f.now)
    try await dashboard(f).onLoopback { client in
      let page = try await Browser(client).get("/runs/\(f.paperRun)")
      let b = page.body
      #expect(b.contains("<h2>Price</h2>"))
      #expect(b.contains("id=\"wick-chart-data\""))
      #expect(b.contains("<script src=\"/assets/lightweight-charts.js\"></script>"))
      #expect(b.contains("<script src=\"/assets/wick-chart.js\"></script>"))
      #expect(!b.contains("<script>"), "no inline script")
      // The open long's entry: a long-entry marker (kind 0) at 50000.
      #expect(b.contains(",0,50000]"))
      // The candles from the run's start (created an hour ago), the first one's time in seconds.
      let first = (f.now - 3_600_000 + 59_999) / 60_000 * 60
      #expect(b.contains("\"t\": [\(first),"))
      for external in ["src=\"http", "src=\"//", "@import"] { #expect(!b.contains(external)) }
      let csp = page.headers.first(name: "Content-Security-Policy") ?? ""
      #expect(csp.contains("default-src 'self'") && !csp.contains("unsafe-inline'; script"))
      let library = try await Browser(client).get("/assets/lightweight-charts.js")
      #expect(library.status == .ok && library.body.contains("window.LightweightCharts"))
      let glue = try await Browser(client).get("/assets/wick-chart.js")
      #expect(glue.body.contains("wick-chart-data"))
      let css = try await Browser(client).get("/assets/dashboard.css")
      #expect(css.body.contains(".ichart"))
    }
    // Without the run's candles in the cache there is no chart (and no empty box).
    let bare = try LedgerFixture()
    try await dashboard(bare).onLoopback { client in
      let b = try await Browser(client).get("/runs/\(bare.paperRun)").body
      #expect(!b.contains("<h2>Price</h2>") && !b.contains("wick-chart-data"))
    }
  }

  /// The saved backtest's report on the dashboard gets the same chart, scripts linked.
  @Test func savedBacktestReportHasTheInteractiveChart() async throws {
    let f = try LedgerFixture()
    try writeCandles(
      f, exchange: "local", from: 1_700_000_000_000, to: 1_700_000_000_000 + 86_400_000)
    try await dashboard(f).onLoopback { client in
      let b = try await Browser(client).get("/runs/\(f.backtestRun)/report").body
      #expect(b.contains("id=\"wick-chart-data\""))
      #expect(b.contains("<script src=\"/assets/lightweight-charts.js\"></script>"))
      #expect(!b.contains("<script>"), "no inline script")
      // The trade's entry (long, 100) and winning exit (110) are marked.
      #expect(b.contains(",0,100]") && b.contains(",2,110]"))
    }
  }
}
