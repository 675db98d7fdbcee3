import Foundation
import Testing
import WickCore

@testable import WickReport

@Suite struct ResultComparisonTests {
  static func run(final: Double, trades: Int) -> ResultComparison.Run {
    let t0 = TearsheetTests.jan1
    let day = TearsheetTests.day
    let list = (0..<trades).map { i in
      TearsheetTests.trade(
        from: t0 + Int64(i) * 3_600_000, to: t0 + Int64(i) * 3_600_000 + 60_000,
        pnl: (final - 1000) / Double(trades))
    }
    let r = TearsheetTests.result(
      first: t0, last: t0 + day - 60_000, initial: 1000, final: final,
      daily: [EquityPoint(time: t0, equity: 1000), EquityPoint(time: t0 + day, equity: final)],
      trades: list)
    let text = ResultJSON.encode(r, metrics: Metrics.compute(r))
    return try! ResultComparison.Run(path: "r\(trades).json", data: Data(text.utf8))
  }

  @Test func everyMetricWithItsChange() {
    let c = ResultComparison(
      a: Self.run(final: 1100, trades: 4), b: Self.run(final: 1050, trades: 2))
    let rows = Dictionary(uniqueKeysWithValues: c.rows.map { ($0.label, $0) })
    #expect(rows.count == MetricField.all.count)
    #expect(rows["net return"]!.a == "10.00%" && rows["net return"]!.b == "5.00%")
    #expect(rows["net return"]!.change == "(−5.00 pp)")
    #expect(rows["trades"]!.change == "(−2)")
    #expect(rows["net pnl"]!.change == "(−50.00)")
    let text = c.text()
    #expect(text.contains("net return") && text.contains("(−5.00 pp)"))
    let html = c.html()
    #expect(html.contains("aria-label=\"Equity A and B\""))
    #expect(html.contains("stroke=\"#ea580c\""))  // B's line overlaid on A's axes
    #expect(!html.contains("<script"))
  }

  @Test func attributionTablesSitSideBySide() throws {
    let json = """
      {"strategy": "s", "metrics": {"net_return": 0.1}, "equity": [["2024-01-01T00:00:00Z", 1000]],
       "attribution": {"by_session": {"asia": {"trades": 3, "net_pnl": 12.5, "win_rate": 0.5}}}}
      """
    let a = try ResultComparison.Run(path: "a.json", data: Data(json.utf8))
    #expect(a.attribution["by_session"]?["asia"]?.trades == 3)
    let html = ResultComparison(a: a, b: a).html()
    #expect(html.contains("<h2>Attribution</h2>"))
    #expect(html.components(separatedBy: "<td class=\"l\">asia</td>").count == 3)
  }

  @Test func badFilesAreNamedWithWhatIsMissing() {
    func message(_ text: String) -> String {
      do {
        _ = try ResultComparison.Run(path: "x.json", data: Data(text.utf8))
        return "no error"
      } catch { return "\(error)" }
    }
    #expect(message("not json").contains("x.json: not a Wick backtest result (not a JSON object)"))
    #expect(message("{\"strategy\": \"s\"}").contains("no \"metrics\" object"))
    #expect(
      message("{\"strategy\": \"s\", \"metrics\": {\"sharpe\": \"high\"}, \"equity\": []}")
        .contains("metric \"sharpe\" is not a number"))
    #expect(
      message("{\"strategy\": \"s\", \"metrics\": {}, \"equity\": [[1, 2]]}").contains(
        "equity point 0 is not [ISO time, number]"))
    #expect(throws: WickError.self) { try ResultComparison.Run(path: "/nonexistent/a.json") }
  }
}
