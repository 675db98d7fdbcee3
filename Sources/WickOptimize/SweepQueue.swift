import Foundation
import WickCore

/// `queue.json`: seed 000's optimisation queue, the sweeps to run next. A sweep queues a finer
/// grid around its winner; `wick optimize --queue FILE` runs the entries in order and removes
/// each one once it has finished.
///
///     {"queue": [{"reason": "finer grid around set 12 of out/sweep", "args": ["strategies/ma_cross.lua", …]}]}
public struct SweepQueue: Sendable, Equatable {
  public struct Entry: Sendable, Equatable {
    public var reason: String
    /// Arguments of `wick optimize`.
    public var args: [String]

    public init(reason: String, args: [String]) {
      self.reason = reason
      self.args = args
    }
  }

  public var entries: [Entry]

  public init(entries: [Entry]) { self.entries = entries }

  /// A finer grid around the winner: each numeric axis spans the winner ± one of its steps with
  /// a quarter of the step (kept on the declared step); other axes are held at the winner's value.
  /// Empty when no axis can be refined.
  public static func refining(_ results: SweepResults, outDir: String) -> SweepQueue {
    guard let winner = results.winner else { return SweepQueue(entries: []) }
    var params: [String] = []
    var refined = false
    for axis in results.spec.axes {
      let cell = winner.cells[results.table.column(axis.name)!]
      let numbers = axis.values.compactMap(Double.init).sorted()
      guard let w = Double(cell), numbers.count == axis.values.count, numbers.count >= 2 else {
        params.append("\(axis.name)=\(cell)")
        continue
      }
      let gaps = zip(numbers.dropFirst(), numbers).map { $0 - $1 }.filter { $0 > 0 }
      let spacing = gaps.min() ?? 0
      var step = spacing / 4
      if let declared = axis.step, declared > 0 {
        step = max(declared, (step / declared).rounded(.down) * declared)
      }
      guard spacing > 0, step < spacing else {
        params.append("\(axis.name)=\(cell)")
        continue
      }
      let lo = max(w - spacing, axis.min ?? -.infinity)
      let hi = min(w + spacing, axis.max ?? .infinity)
      params.append("\(axis.name)=\(clean(lo)):\(clean(hi)):\(clean(step))")
      refined = true
    }
    guard refined else { return SweepQueue(entries: []) }
    let out = (outDir as NSString).appendingPathComponent("refine")
    let args =
      results.spec.arguments + params.flatMap { ["--param", $0] } + ["--grid", "--out", out]
    return SweepQueue(entries: [
      Entry(
        reason:
          "finer grid around set \(winner.set) of \(outDir) (\(results.spec.objective.rawValue))",
        args: args)
    ])
  }

  /// 12 significant digits: a range computed from a winner prints as people would write it.
  static func clean(_ v: Double) -> String {
    formatNumber(Double(String(format: "%.12g", v)) ?? v)
  }

  public var json: JSONValue {
    .object([
      (
        "queue",
        .array(
          entries.map {
            .object([
              ("reason", .string($0.reason)), ("args", .array($0.args.map(JSONValue.string))),
            ])
          })
      )
    ])
  }

  public static func load(path: String) throws -> SweepQueue {
    guard let data = FileManager.default.contents(atPath: path) else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the queue file")
    }
    guard let top = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
      let list = top["queue"] as? [Any]
    else {
      throw WickError.invalidFile(
        path: path, line: nil, reason: "expected {\"queue\": [{\"reason\": …, \"args\": […]}]}")
    }
    return SweepQueue(
      entries: try list.enumerated().map { i, item in
        guard let e = item as? [String: Any], let args = e["args"] as? [String] else {
          throw WickError.invalidFile(
            path: path, line: nil,
            reason: "queue entry \(i + 1): expected an \"args\" list of strings")
        }
        return Entry(reason: e["reason"] as? String ?? "", args: args)
      })
  }

  public func save(path: String) throws {
    try OutputFile.write(json.text, to: path)
  }
}
