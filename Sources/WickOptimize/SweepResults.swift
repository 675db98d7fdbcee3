import Foundation
import WickCore
import WickReport

/// A finished sweep's rows and what follows from them: the winner of each window, the summary,
/// the winner's params file and the queue of follow-up sweeps. A single run and `merge` both
/// end here, so their outputs cannot drift apart.
public struct SweepResults: Sendable {
  public let spec: SweepSpec
  public let table: ResultsTable
  /// Rows in sweep order (window, then set).
  public let rows: [SweepRow]
  /// The best row of each window that has one with at least `minTrades` trades, by window.
  public let winners: [SweepRow]

  public init(spec: SweepSpec, rows: [SweepRow]) {
    self.spec = spec
    table = spec.table
    self.rows = rows.sorted { ($0.window, $0.set) < ($1.window, $1.set) }
    let column = table.column(spec.objective.key)!
    var best: [Int: (row: SweepRow, score: Double)] = [:]
    for row in self.rows where table.trades(row) >= spec.minTrades {
      let score = spec.objective.score(cell: row.cells[column])
      // Rows arrive in set order, so a tie keeps the earlier set.
      if let current = best[row.window], current.score >= score { continue }
      best[row.window] = (row, score)
    }
    winners = best.keys.sorted().map { best[$0]!.row }
  }

  /// The parameter set to use from now on: the winner, or with walk-forward the last window's.
  public var winner: SweepRow? { winners.last }

  /// The winner's full params as a params file, from its selected run.
  public func bestParams(_ selected: [SelectedRun]) -> String? {
    guard let w = winner,
      let run = selected.first(where: { $0.window == w.window && $0.set == w.set })
    else { return nil }
    return run.paramsJSON + "\n"
  }

  /// The axis values of a row as a JSON object (numbers as numbers, booleans as booleans).
  public func params(_ row: SweepRow) -> JSONValue {
    .object(table.axisNames.map { ($0, Self.param(cell: row.cells[table.column($0)!])) })
  }

  /// A failed set's axis values, as `params(_:)` writes a row's.
  static func params(_ failed: FailedSet) -> JSONValue {
    .object(failed.params.map { ($0.name, param(cell: ResultsTable.cell($0.value))) })
  }

  /// A results.csv cell of an axis as JSON.
  static func param(cell: String) -> JSONValue {
    if let d = Double(cell) { return .number(d) }
    if cell == "true" || cell == "false" { return .bool(cell == "true") }
    return .string(cell)
  }

  public func metrics(_ row: SweepRow) -> JSONValue {
    .object(
      (["trades"] + ResultsTable.metricKeys).map { ($0, .number(table.value(row, $0))) })
  }

  static func metrics(_ m: Metrics) -> JSONValue {
    .object(m.fields.map { ($0.key, .number($0.value)) })
  }

  /// `summary.json`; `warnings` are also printed by the command. `failed`: the sets the sandbox
  /// stopped (`complete` is then false: results.csv lacks them).
  public func summary(
    selected: [SelectedRun], seconds: Double, complete: Bool, failed: [FailedSet] = []
  ) -> (json: JSONValue, warnings: [String]) {
    var warnings: [String] = []
    let qualified = rows.filter { table.trades($0) >= spec.minTrades }.count
    if complete && winners.isEmpty && !rows.isEmpty {
      warnings.append(
        "no parameter set made at least \(spec.minTrades) trades (--min-trades): there is no winner"
      )
    }
    if let warning = Self.failureWarning(failed) { warnings.append(warning) }
    var fields: [(String, JSONValue)] = [
      ("strategy", .string(spec.strategyName)),
      ("script", .string(spec.strategy)),
      ("symbols", .array(spec.symbols.map(JSONValue.string))),
      ("timeframe", .string(spec.timeframe)),
      ("from", spec.from.map(JSONValue.string) ?? .null),
      ("to", spec.to.map(JSONValue.string) ?? .null),
      (
        "sweep",
        .object([
          ("mode", .string(spec.mode)),
          ("seed", spec.seed.map { .number(Double($0)) } ?? .null),
          ("batch", spec.batch.map { .number(Double($0)) } ?? .null),
          ("ranges", .object(spec.axes.map { ($0.name, .string($0.range)) })),
          ("walk_forward", spec.walkForward.map(JSONValue.string) ?? .null),
          ("shard", .string(spec.shard.description)),
        ])
      ),
      ("objective", .string(spec.objective.rawValue)),
      ("min_trades", .number(Double(spec.minTrades))),
      (
        "counts",
        .object([
          ("sets", .number(Double(spec.sets))),
          ("windows", .number(Double(max(spec.windows, 1)))),
          ("rows", .number(Double(rows.count))),
          ("qualified", .number(Double(qualified))),
          ("failed", .number(Double(failed.count))),
        ])
      ),
      ("complete", .bool(complete && failed.isEmpty)),
      (
        "failed",
        .array(
          failed.map { f in
            .object([
              ("set", .number(Double(f.set))),
              ("window", spec.walkForward == nil ? .null : .number(Double(f.window))),
              ("params", Self.params(f)),
              ("error", .string(f.error)),
            ])
          })
      ),
      ("seconds", .number((seconds * 1000).rounded() / 1000)),
    ]
    if let w = winner {
      fields.append(
        (
          "winner",
          .object([
            ("set", .number(Double(w.set))),
            ("window", spec.walkForward == nil ? .null : .number(Double(w.window))),
            ("params", params(w)),
            ("objective", .number(table.value(w, spec.objective.key))),
            ("metrics", metrics(w)),
          ])
        ))
    } else {
      fields.append(("winner", .null))
    }
    let (plateau, spike) = plateauSection()
    fields.append(("plateau", plateau))
    if let spike { warnings.append(spike) }
    let perPeriod = 365.0.squareRoot()
    if spec.walkForward != nil {
      let (section, warning, dsr) = walkForward(selected: selected, perPeriod: perPeriod)
      fields.append(("deflated_sharpe", dsr))
      fields.append(("walk_forward", section))
      if let warning { warnings.append(warning) }
    } else {
      var dsr = JSONValue.null
      if let w = winner, let run = selected.first(where: { $0.set == w.set }) {
        let sharpes = rows.compactMap { table.value($0, "sharpe") }.map { $0 / perPeriod }
        dsr = Self.deflated(
          DeflatedSharpe.compute(
            returns: run.dailyReturns, trials: spec.sets,
            trialSharpeVariance: Self.variance(sharpes)))
      }
      fields.append(("deflated_sharpe", dsr))
    }
    fields.append(("warnings", .array(warnings.map(JSONValue.string))))
    return (.object(fields), warnings)
  }

  private func walkForward(selected: [SelectedRun], perPeriod: Double) -> (
    JSONValue, String?, JSONValue
  ) {
    let test = (try? WalkForward(parsing: spec.walkForward!))?.test ?? 0
    var windows: [JSONValue] = []
    var chosen: [SelectedRun] = []
    for w in winners {
      guard let run = selected.first(where: { $0.window == w.window && $0.set == w.set }) else {
        continue
      }
      chosen.append(run)
      let trainTo = UTCTime.parse(w.cells[3]) ?? 0
      let oos = SelectedRun.stitch([run]).map(Metrics.compute)
      windows.append(
        .object([
          ("window", .number(Double(w.window))),
          ("train_from", .string(w.cells[2])), ("train_to", .string(w.cells[3])),
          ("test_from", .string(UTCTime.iso(trainTo))),
          ("test_to", .string(UTCTime.iso(trainTo + test))),
          ("set", .number(Double(w.set))),
          ("params", params(w)),
          ("in_sample", metrics(w)),
          ("out_of_sample", oos.map(Self.metrics) ?? .null),
        ]))
    }
    // In-sample: the mean over windows of each winner's training metrics.
    let keys = ["trades"] + ResultsTable.metricKeys
    let inSample: [(String, Double?)] = keys.map { key in
      let values = winners.compactMap { table.value($0, key) }
      return (key, values.isEmpty ? nil : values.reduce(0, +) / Double(values.count))
    }
    let stitched = SelectedRun.stitch(chosen)
    let outOfSample = stitched.map(Metrics.compute)
    var warning: String? = nil
    let isSharpe = inSample.first { $0.0 == "sharpe" }?.1
    if let isSharpe, let oos = outOfSample, isSharpe > 0, oos.sharpe < isSharpe / 2 {
      warning = String(
        format:
          "out-of-sample Sharpe %.2f is far below the in-sample %.2f: the chosen params fit their training windows much better than the periods after them, so expect live results nearer the out-of-sample figure",
        oos.sharpe, isSharpe)
    }
    // Deflated Sharpe of the stitched out-of-sample returns, for the sets tried per window.
    var variances: [Double] = []
    for w in Set(rows.map(\.window)).sorted() {
      let sharpes = rows.filter { $0.window == w }.compactMap { table.value($0, "sharpe") }
      variances.append(Self.variance(sharpes.map { $0 / perPeriod }))
    }
    var dsr = JSONValue.null
    if let stitched {
      let returns = zip(stitched.dailyEquity.dropFirst(), stitched.dailyEquity).compactMap {
        now, before -> Double? in before.equity > 0 ? now.equity / before.equity - 1 : nil
      }
      dsr = Self.deflated(
        DeflatedSharpe.compute(
          returns: returns, trials: spec.sets,
          trialSharpeVariance: variances.isEmpty
            ? 0 : variances.reduce(0, +) / Double(variances.count)))
    }
    let section = JSONValue.object([
      ("spec", .string(spec.walkForward!)),
      ("windows", .array(windows)),
      ("in_sample", .object(inSample.map { ($0.0, .number($0.1)) })),
      ("out_of_sample", outOfSample.map(Self.metrics) ?? .null),
      ("warning", warning.map(JSONValue.string) ?? .null),
    ])
    return (section, warning, dsr)
  }

  /// "2 sets failed …": how many the sandbox stopped, the first few with what stopped them.
  static func failureWarning(_ failed: [FailedSet]) -> String? {
    guard !failed.isEmpty else { return nil }
    let one = failed.count == 1
    let shown = failed.prefix(3).map { "\($0.name): \($0.headline)" }.joined(separator: "; ")
    return
      "\(failed.count) set\(one ? "" : "s") failed (stopped by the sandbox) and \(one ? "is" : "are") not ranked; "
      + "the same command runs \(one ? "it" : "them") again: \(shown)\(failed.count > 3 ? "; …" : "")"
  }

  static func deflated(_ d: DeflatedSharpe?) -> JSONValue {
    guard let d else { return .null }
    return .object([
      ("probability", .number(d.probability)),
      ("daily_sharpe", .number(d.sharpe)),
      ("expected_max_daily_sharpe", .number(d.expectedMaxSharpe)),
      ("trials", .number(Double(d.trials))),
      ("observations", .number(Double(d.observations))),
      ("skewness", .number(d.skewness)),
      ("kurtosis", .number(d.kurtosis)),
    ])
  }

  static func variance(_ xs: [Double]) -> Double {
    guard xs.count >= 2 else { return 0 }
    let mean = xs.reduce(0, +) / Double(xs.count)
    return xs.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(xs.count - 1)
  }
}
