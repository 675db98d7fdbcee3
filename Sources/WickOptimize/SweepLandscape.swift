import Foundation
import WickCore

/// The objective over a sweep's grid, for the overfitting guards: each row of one window placed
/// on the grid (a rank per axis: numbers in ascending order, choices in their given order), the
/// winner's plateau score and the two-param heatmaps. Grid, random and TPE sweeps alike; a
/// point no row ran is simply absent.
struct SweepLandscape {
  struct Axis {
    var name: String
    /// Values in rank order, as results.csv writes them.
    var labels: [String]
    /// Numbers (ranks are ordered); false for choices and booleans.
    var ordered: Bool
    var rank: [String: Int]
  }

  let axes: [Axis]
  /// Each row's point and objective (nil when not a finite number).
  let points: [(point: [Int], objective: Double?)]
  let objectiveKey: String

  init(_ results: SweepResults, window: Int) {
    axes = results.spec.axes.map { axis in
      let numbers = axis.values.compactMap(Double.init)
      let ordered = numbers.count == axis.values.count
      let labels =
        ordered
        ? axis.values.indices.sorted { (numbers[$0], $0) < (numbers[$1], $1) }.map {
          axis.values[$0]
        } : axis.values
      var rank: [String: Int] = [:]
      for (i, l) in labels.enumerated() where rank[l] == nil { rank[l] = i }
      return Axis(name: axis.name, labels: labels, ordered: ordered, rank: rank)
    }
    let table = results.table
    let columns = axes.map { table.column($0.name)! }
    let objective = table.column(results.spec.objective.key)!
    let axes = self.axes
    points = results.rows.filter { $0.window == window }.compactMap { row in
      var point: [Int] = []
      for (a, c) in zip(axes, columns) {
        guard let r = a.rank[row.cells[c]] else { return nil }
        point.append(r)
      }
      let v = Double(row.cells[objective])
      return (point, v.flatMap { $0.isFinite ? $0 : nil })
    }
    objectiveKey = results.spec.objective.key
  }

  /// How the winner's grid neighbours compare with it (summary.json `plateau`).
  struct Plateau: Equatable {
    /// The winner's objective.
    var objective: Double
    /// Mean objective of its neighbours that ran and have a finite objective.
    var neighbourMean: Double?
    var neighbours: Int
    /// neighbourMean / objective, for a positive objective: 1 on a flat plateau, near 0 or
    /// below for a lone spike.
    var score: Double?
    var loneSpike: Bool
  }

  /// Below this score the winner is a lone spike: its neighbours keep less than half of it.
  static let spikeScore = 0.5

  /// The winner's neighbours are the grid points one step away (or none) on every numeric axis,
  /// at least one step on one, with the same choice on the others: up to 3^d − 1 of them.
  func plateau(of winner: [Int], objective: Double) -> Plateau {
    var values: [Double] = []
    for (point, v) in points where point != winner {
      let near = zip(zip(point, winner), axes).allSatisfy { pair, axis in
        axis.ordered ? abs(pair.0 - pair.1) <= 1 : pair.0 == pair.1
      }
      if near, let v { values.append(v) }
    }
    let mean = values.isEmpty ? nil : values.reduce(0, +) / Double(values.count)
    let score = mean.flatMap { objective > 0 ? $0 / objective : nil }
    return Plateau(
      objective: objective, neighbourMean: mean, neighbours: values.count, score: score,
      loneSpike: score.map { $0 < Self.spikeScore } ?? false)
  }

  /// The point of a row on this grid.
  func point(of row: SweepRow, table: ResultsTable) -> [Int]? {
    var point: [Int] = []
    for a in axes {
      guard let c = table.column(a.name), let r = a.rank[row.cells[c]] else { return nil }
      point.append(r)
    }
    return point
  }

  /// The objective over axes `y` (rows) × `x` (columns): the best over the other axes, as
  /// backtesting.py's `plot_heatmaps` aggregates; nil where no row ran.
  func heatmap(x: Int, y: Int) -> [[Double?]] {
    var grid = [[Double?]](
      repeating: [Double?](repeating: nil, count: axes[x].labels.count),
      count: axes[y].labels.count)
    for (p, v) in points {
      guard let v else { continue }
      let old = grid[p[y]][p[x]]
      grid[p[y]][p[x]] = old.map { max($0, v) } ?? v
    }
    return grid
  }
}

extension SweepResults {
  /// summary.json's `plateau` for the winner (null without one), and the lone-spike warning.
  func plateauSection() -> (json: JSONValue, warning: String?) {
    guard let w = winner else { return (.null, nil) }
    let landscape = SweepLandscape(self, window: w.window)
    guard let point = landscape.point(of: w, table: table),
      let objective = table.value(w, spec.objective.key), objective.isFinite
    else { return (.null, nil) }
    let p = landscape.plateau(of: point, objective: objective)
    let json = JSONValue.object([
      ("score", p.score.map(JSONValue.number) ?? .null),
      ("objective", .number(p.objective)),
      ("neighbour_mean", p.neighbourMean.map(JSONValue.number) ?? .null),
      ("neighbours", .number(Double(p.neighbours))),
      ("lone_spike", .bool(p.loneSpike)),
    ])
    guard p.loneSpike, let mean = p.neighbourMean else { return (json, nil) }
    let figures = String(
      format: "%.4g against its %.4g (plateau score %.2f)", mean, p.objective, p.score ?? 0)
    return (
      json,
      "the winner is a lone spike: its \(p.neighbours) grid neighbours average \(spec.objective.rawValue) \(figures); a small change of params loses most of it, so prefer a set whose neighbours do well too (heatmap.html)"
    )
  }
}
