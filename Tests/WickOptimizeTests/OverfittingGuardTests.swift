import Foundation
import Testing
import WickCore

@testable import WickOptimize

/// The plateau score in summary.json and heatmap.html, on sweeps whose landscape is known.
@Suite struct OverfittingGuardTests {
  /// A sweep over `axes` whose rows have the objective `f` gives (nil: the set did not run).
  static func results(
    _ axes: [SweepAxis], mode: SweepPlan.Mode = .grid, f: ([ParamValue]) -> Double?
  ) throws -> SweepResults {
    let plan = try SweepPlan(axes: axes, mode: mode)
    let spec = SweepSpec(
      strategy: "s.lua", strategyName: "s", symbols: ["X"], timeframe: "1m", from: nil, to: nil,
      plan: plan, specs: [], objective: .sharpe, minTrades: 1, walkForward: nil, windows: 0,
      shard: .whole, arguments: [])
    let table = spec.table
    var rows: [SweepRow] = []
    for set in 0..<plan.count {
      let values = plan.values(of: set)
      guard let objective = f(values) else { continue }
      var cells = table.header.map { _ in "" }
      cells[0] = String(set)
      for (axis, v) in zip(axes, values) { cells[table.column(axis.name)!] = ResultsTable.cell(v) }
      cells[table.column("trades")!] = "10"
      cells[table.column("sharpe")!] = formatNumber(objective)
      rows.append(SweepRow(set: set, window: 0, cells: cells))
    }
    return SweepResults(spec: spec, rows: rows)
  }

  static func numbers(_ name: String, _ values: [Double]) -> SweepAxis {
    SweepAxis(name: name, values: values.map(ParamValue.number), range: "")
  }

  static func number(_ v: ParamValue) -> Double {
    if case .number(let d) = v { return d }
    return .nan
  }

  /// 5 × 5: values listed out of order, to show neighbours are by value, not by list position.
  static let axes = [
    numbers("a", [30, 10, 20, 50, 40]), numbers("b", [1, 2, 3, 4, 5]),
  ]

  static func plateau(_ r: SweepResults) -> [String: Any]? {
    let (json, _) = r.summary(selected: [], seconds: 0, complete: true)
    let object = try? JSONSerialization.jsonObject(with: Data(json.text.utf8)) as? [String: Any]
    return object?["plateau"] as? [String: Any]
  }

  @Test func aBroadHillIsAPlateau() throws {
    let r = try Self.results(Self.axes) { v in
      2 - 0.001 * pow(Self.number(v[0]) - 30, 2) - 0.01 * pow(Self.number(v[1]) - 3, 2)
    }
    let p = try #require(Self.plateau(r))
    #expect(p["neighbours"] as? Int == 8)
    #expect(p["objective"] as? Double == 2)
    let score = try #require(p["score"] as? Double)
    #expect(score > 0.9 && score < 1)
    #expect(p["lone_spike"] as? Bool == false)
    #expect(r.summary(selected: [], seconds: 0, complete: true).warnings.isEmpty)
  }

  @Test func aLoneSpikeIsFlaggedAndWarned() throws {
    // The peak is at a=50 (listed 4th) and b=1: a corner, so it has three neighbours.
    let r = try Self.results(Self.axes) { v in
      Self.number(v[0]) == 50 && Self.number(v[1]) == 1 ? 3 : 0.3
    }
    let p = try #require(Self.plateau(r))
    #expect(p["neighbours"] as? Int == 3)
    #expect(abs((p["score"] as? Double ?? 0) - 0.1) < 1e-12)
    #expect(p["neighbour_mean"] as? Double == 0.3)
    #expect(p["lone_spike"] as? Bool == true)
    let warnings = r.summary(selected: [], seconds: 0, complete: true).warnings
    #expect(
      warnings.count == 1
        && warnings[0].hasPrefix("the winner is a lone spike: its 3 grid neighbours"))
  }

  /// Choices are not neighbours of each other; sets that did not run (a random or TPE sweep) are
  /// left out; a winner with no positive objective gets no score.
  @Test func choicesHeldAndMissingSetsSkipped() throws {
    let axes = [
      Self.numbers("a", [1, 2, 3]),
      SweepAxis(name: "mode", values: [.string("x"), .string("y")], range: ""),
    ]
    let r = try Self.results(axes) { v in
      let a = Self.number(v[0])
      if a == 3 { return nil }
      return v[1] == .string("x") ? (a == 2 ? 1 : 0.9) : 5 - 5 * (a - 1)
    }
    // Winner: a=1, mode=y (5); its only run neighbour is a=2, mode=y (0).
    let p = try #require(Self.plateau(r))
    #expect(p["neighbours"] as? Int == 1 && p["score"] as? Double == 0)
    let negative = try Self.results([Self.numbers("a", [1, 2, 3])]) { _ in -1 }
    let q = try #require(Self.plateau(negative))
    #expect(q["score"] is NSNull && q["lone_spike"] as? Bool == false)
  }

  @Test func heatmapShowsEveryPairWithTheBestOverTheRest() throws {
    let axes = [
      Self.numbers("period", [10, 20, 30]), Self.numbers("stop", [0.01, 0.02]),
      SweepAxis(name: "exit", values: [.string("<fixed>"), .string("trail")], range: ""),
    ]
    let r = try Self.results(axes) { v in
      if Self.number(v[0]) == 30 && Self.number(v[1]) == 0.02 { return nil }
      return Self.number(v[0]) / 10 + Self.number(v[1]) * 100 + (v[2] == .string("trail") ? 0.5 : 0)
    }
    let html = try #require(SweepHeatmap.html(r))
    #expect(html.components(separatedBy: "<table>").count - 1 == 3, "3 pairs")
    #expect(html.contains("sharpe by period (rows) × stop (columns)"))
    #expect(html.contains("sharpe by stop (rows) × exit (columns)"))
    // period=20, stop=0.02: the best over exit is 2 + 2 + 0.5.
    #expect(html.contains("title=\"period=20 stop=0.02: 4.5\">4.5</td>"))
    // The winner (period 20, stop 0.02, trail: 4.5; 30/0.02 did not run) is outlined.
    #expect(
      html.contains(
        "class=\"win\" style=\"background:#fde725;color:#111827\" title=\"period=20 stop=0.02"))
    #expect(html.contains("<td class=\"none\">·</td>"), "the set that did not run")
    #expect(html.contains("&lt;fixed&gt;") && !html.contains("<fixed>"))
    #expect(!html.contains("<script") && !html.contains("http"), "self-contained")
    #expect(html.contains("name=\"viewport\"") && html.contains("overflow-x:auto"))
    // One varying param: no heatmap.
    #expect(
      SweepHeatmap.html(try Self.results([Self.numbers("a", [1, 2])]) { Self.number($0[0]) }) == nil
    )
  }
}
