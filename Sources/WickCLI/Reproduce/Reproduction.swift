import Foundation
import WickCore
import WickLua
import WickReport

/// A backtest re-run from the `"reproduce"` object of its `--json` result, and how it compares:
/// the metrics and trades it got, and which recorded input (version, script, plugins, config,
/// params, costs, candles) is no longer what it was.
///
///     let r = try Reproduction.run(file: "out.json")
///     r.reproduced        // same metrics and trades
///     r.inputDifferences  // ["script strategies/ma.lua changed (sha256 3f0a… → 9b1c…)"]
struct Reproduction {
  /// Which inputs differ from the recorded ones, one line each (empty: all the same).
  var inputDifferences: [String] = []
  /// Which results differ (metrics by key, the trades), one line each.
  var outputDifferences: [String] = []
  var trades = 0

  var reproduced: Bool { outputDifferences.isEmpty }

  /// The report `wick reproduce` prints.
  var report: String {
    var lines: [String] = []
    if reproduced {
      lines.append("reproduced: the same metrics and \(trades) trades")
    } else {
      lines.append("not reproduced:")
      lines += outputDifferences.map { "  " + $0 }
    }
    if inputDifferences.isEmpty {
      lines.append("inputs: the same version, script, plugins, config, params, costs and candles")
    } else {
      lines.append("inputs that differ:")
      lines += inputDifferences.map { "  " + $0 }
    }
    return lines.joined(separator: "\n")
  }

  /// Re-runs the backtest `file` describes; `db` replaces the candle cache it recorded.
  static func run(file: String, db: String? = nil) throws -> Reproduction {
    let recorded = try document(Data(contentsOf: URL(fileURLWithPath: file)), path: file)
    guard let inputs = recorded["reproduce"] as? [String: Any] else {
      throw WickError.invalidFile(
        path: file, line: nil,
        reason:
          "no \"reproduce\" object: it is written by `wick backtest --json` since Wick 0.12.0")
    }
    guard let arguments = inputs["arguments"] as? [String], !arguments.isEmpty,
      let params = inputs["params"] as? [String: Any]
    else {
      throw WickError.invalidFile(
        path: file, line: nil,
        reason: "\"reproduce\" needs \"arguments\" (a list of strings) and \"params\" (an object)")
    }
    let command: BacktestCommand
    do { command = try BacktestCommand.parse(arguments) } catch {
      throw WickError.invalidFile(
        path: file, line: nil,
        reason:
          "reproduce.arguments: \(BacktestCommand.message(for: error)) (recorded by another Wick?)")
    }
    var job = try command.job()
    job.paramsFile = nil
    job.paramAssignments = []
    job.paramOverrides = try ParamsFile.parseJSON(
      JSONSerialization.data(withJSONObject: params), path: "\(file) reproduce.params")
    job.onLog = nil
    job.save = false
    job.recordPrices = false
    job.streamTradesJSON = false
    if let db { job.dbPath = db }
    let outcome = try job.run()
    let again = try document(
      Data(
        ResultJSON.encodeUTF8(
          outcome.result, metrics: outcome.metrics, reproduce: outcome.reproduce)),
      path: "the re-run's result")
    var r = Reproduction()
    r.trades = outcome.result.trades.count
    r.compareOutputs(recorded, again)
    r.compareInputs(inputs, again["reproduce"] as? [String: Any] ?? [:])
    return r
  }

  private static func document(_ data: Data, path: String) throws -> [String: Any] {
    guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
      throw WickError.invalidFile(
        path: path, line: nil, reason: "not a JSON object (a `wick backtest --json` result)")
    }
    return object
  }

  private mutating func compareOutputs(_ old: [String: Any], _ new: [String: Any]) {
    let oldMetrics = old["metrics"] as? [String: Any] ?? [:]
    let newMetrics = new["metrics"] as? [String: Any] ?? [:]
    for key in Set(oldMetrics.keys).union(newMetrics.keys).sorted()
    where !Self.same(oldMetrics[key], newMetrics[key]) {
      outputDifferences.append(
        "metric \(key): \(Self.show(oldMetrics[key])) → \(Self.show(newMetrics[key]))")
    }
    let oldTrades = old["trades"] as? [Any] ?? []
    let newTrades = new["trades"] as? [Any] ?? []
    if let i = zip(oldTrades, newTrades).enumerated().first(where: { !Self.same($1.0, $1.1) })?
      .offset
    {
      outputDifferences.append(
        "trades: trade \(i + 1) differs (\(oldTrades.count) trades recorded, \(newTrades.count) now)"
      )
    } else if oldTrades.count != newTrades.count {
      outputDifferences.append("trades: \(oldTrades.count) recorded, \(newTrades.count) now")
    }
  }

  private mutating func compareInputs(_ old: [String: Any], _ new: [String: Any]) {
    func changed(_ key: String, _ what: String) {
      guard !Self.same(old[key], new[key]) else { return }
      inputDifferences.append("\(what) (\(key) \(Self.show(old[key])) → \(Self.show(new[key])))")
    }
    changed("version", "Wick version differs")
    changed("script_sha256", "script \(Self.show(old["script"])) changed")
    let oldPlugins = old["plugins"] as? [String: Any] ?? [:]
    let newPlugins = new["plugins"] as? [String: Any] ?? [:]
    for name in Set(oldPlugins.keys).union(newPlugins.keys).sorted()
    where !Self.same(oldPlugins[name], newPlugins[name]) {
      inputDifferences.append(
        "plugin \(name) "
          + (oldPlugins[name] == nil
            ? "is new" : newPlugins[name] == nil ? "is no longer required" : "changed")
          + " (sha256 \(Self.show(oldPlugins[name])) → \(Self.show(newPlugins[name])))")
    }
    changed("config_sha256", "config \(Self.show(old["config"])) changed")
    nested("params", "param", old, new)
    nested("costs", "cost", old, new)
    let oldCandles = old["candles"] as? [[String: Any]] ?? []
    let newCandles = new["candles"] as? [[String: Any]] ?? []
    for i in 0..<max(oldCandles.count, newCandles.count) {
      let o = i < oldCandles.count ? oldCandles[i] : [:]
      let n = i < newCandles.count ? newCandles[i] : [:]
      let keys = ["exchange", "symbol", "timeframe", "first", "last", "count", "fingerprint"]
      let differing = keys.filter { !Self.same(o[$0], n[$0]) }
      guard !differing.isEmpty else { continue }
      let series = [o["exchange"], o["symbol"], o["timeframe"]].map { Self.show($0) }
      inputDifferences.append(
        "candles \(series.joined(separator: " ")) differ: "
          + differing.map { "\($0) \(Self.show(o[$0])) → \(Self.show(n[$0]))" }
          .joined(separator: ", "))
    }
  }

  /// Each key of the object `key` that differs, as "`what` name old → new".
  private mutating func nested(
    _ key: String, _ what: String, _ old: [String: Any], _ new: [String: Any]
  ) {
    let o = old[key] as? [String: Any] ?? [:]
    let n = new[key] as? [String: Any] ?? [:]
    for k in Set(o.keys).union(n.keys).sorted() where !Self.same(o[k], n[k]) {
      inputDifferences.append("\(what) \(k): \(Self.show(o[k])) → \(Self.show(n[k]))")
    }
  }

  /// Equal as JSON: compared in the canonical text (sorted keys), which Foundation's bridged
  /// types give the same way on every platform.
  private static func same(_ a: Any?, _ b: Any?) -> Bool {
    switch (a, b) {
    case (nil, nil): return true
    case (let x?, let y?): return show(x) == show(y)
    default: return false
    }
  }

  private static func show(_ v: Any?) -> String {
    guard let v, !(v is NSNull) else { return "null" }
    if let s = v as? String { return s }
    if let data = try? JSONSerialization.data(
      withJSONObject: v, options: [.fragmentsAllowed, .sortedKeys])
    {
      return String(decoding: data, as: UTF8.self)
    }
    return "\(v)"
  }
}
