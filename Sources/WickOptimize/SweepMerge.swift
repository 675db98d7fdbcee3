import Foundation
import WickCore

/// `wick optimize merge DIR... --out DIR`: the shard directories of one sweep into the
/// directory a single unsharded run would have written (results.csv byte for byte, the same
/// winner). Needs no candles: each shard kept its winners' runs in `selected.json`.
public enum SweepMerge {
  public static func merge(_ dirs: [String], into outDir: String) throws -> (
    results: SweepResults, summary: JSONValue, warnings: [String]
  ) {
    guard !dirs.isEmpty else {
      throw WickError.invalidArgument("merge: give the shard directories to merge")
    }
    var shards: [(dir: String, spec: SweepSpec)] = []
    for dir in dirs {
      let specPath = (dir as NSString).appendingPathComponent("sweep.json")
      guard let spec = try SweepSpec.load(path: specPath) else {
        throw WickError.invalidFile(
          path: specPath, line: nil, reason: "missing: \(dir) is not a sweep directory")
      }
      shards.append((dir, spec))
    }
    shards.sort { $0.spec.shard.index < $1.spec.shard.index }
    var whole = shards[0].spec
    whole.shard = .whole
    let count = shards[0].spec.shard.count
    for s in shards {
      var unsharded = s.spec
      unsharded.shard = .whole
      guard unsharded == whole, s.spec.shard.count == count else {
        throw WickError.invalidArgument(
          "merge: \(s.dir) is a shard of a different sweep than \(shards[0].dir) (their sweep.json differ)"
        )
      }
    }
    let indices = shards.map(\.spec.shard.index)
    guard indices == Array(0..<count) else {
      let missing = Set(0..<count).subtracting(indices).sorted().map { "\($0)/\(count)" }
      throw WickError.invalidArgument(
        "merge: need each of the \(count) shards exactly once; "
          + (missing.isEmpty
            ? "a shard is given twice" : "missing \(missing.joined(separator: ", "))"))
    }
    let decoder = JSONDecoder()
    var rows: [SweepRow] = []
    var selected: [SelectedRun] = []
    var seconds = 0.0
    for s in shards {
      func path(_ name: String) -> String { (s.dir as NSString).appendingPathComponent(name) }
      let expected = s.spec.shard.range(of: s.spec.trials).count
      let shardRows = try s.spec.table.parse(
        OutputFile.read(path("results.csv")) ?? "", path: path("results.csv"))
      guard shardRows.count == expected,
        let data = FileManager.default.contents(atPath: path("selected.json"))
      else {
        throw WickError.invalidArgument(
          "merge: shard \(s.spec.shard.description) in \(s.dir) is not finished (\(shardRows.count) of \(expected) rows): run its command again to complete it"
        )
      }
      rows += shardRows
      selected += try decoder.decode([SelectedRun].self, from: data)
      if let text = OutputFile.read(path("summary.json")),
        let top = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any],
        let s = top["seconds"] as? Double
      {
        seconds += s
      }
    }
    let results = SweepResults(spec: whole, rows: rows)
    // Each global winner is its own shard's winner, so its run is among the shards' selections.
    let chosen = results.winners.compactMap { w in
      selected.first { $0.window == w.window && $0.set == w.set }
    }
    try FileManager.default.createDirectory(atPath: outDir, withIntermediateDirectories: true)
    try OutputFile.write(
      String(decoding: try whole.encoded(), as: UTF8.self) + "\n",
      to: (outDir as NSString).appendingPathComponent("sweep.json"))
    try OutputFile.write(
      results.table.csv(results.rows),
      to: (outDir as NSString).appendingPathComponent("results.csv"))
    let out = try SweepRunner.writeOutputs(
      results: results, selected: chosen, outDir: outDir, seconds: seconds)
    return (results, out.summary, out.warnings)
  }
}
