import ArgumentParser
import Foundation
import WickCore
import WickData
import WickStats

/// `wick pairs …`: pairs research.
public struct PairsCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "pairs", abstract: "Find cointegrated pairs for zscore_pairs.lua.",
    subcommands: [PairsScan.self])
  public init() {}
}

/// `wick pairs scan --symbols A,B,C --timeframe 4h --from ISO --to ISO [--pvalue 0.05] [--out pairs.json]`
struct PairsScan: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract:
      "Engle-Granger test of every pair of symbols, ranked; writes a params file for zscore_pairs.lua.",
    discussion: """
      Each pair's first symbol (in --symbols order) is regressed on the second: a = α + β·b + spread.
      The output JSON is {"pairs": [{"a", "b", "hedge_ratio", "adf_stat", "pvalue", "half_life"}, ...]},
      a valid --params file: wick backtest strategies/zscore_pairs.lua --symbols A,B,... --params pairs.json
      """)

  @OptionGroup var store: StoreOptions
  @Option(help: "Comma-separated symbols (at least two).") var symbols: String
  @Option(help: "Candle timeframe, e.g. 4h.") var timeframe: String
  @Option(help: "Start time (ISO-8601 UTC, inclusive).") var from: String?
  @Option(help: "End time (ISO-8601 UTC, exclusive).") var to: String?
  @Option(help: "Keep pairs with a p-value at or below this.") var pvalue: Double = 0.05
  @Option(help: "Write the selected pairs as a params file (JSON).") var out: String?

  func run() throws {
    try reportingErrors {
      let names = symbols.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        .filter { !$0.isEmpty }
      guard names.count >= 2, Set(names).count == names.count else {
        throw WickError.invalidArgument(
          "--symbols '\(symbols)': expected at least two different symbols")
      }
      guard pvalue > 0, pvalue <= 1 else {
        throw WickError.invalidArgument("--pvalue \(pvalue): expected (0, 1]")
      }
      let tf = try Timeframe(parsing: timeframe)
      let cache = try store.openStore(mustExist: true)
      let start = try parseTime(from, option: "--from")
      let end = try parseTime(to, option: "--to")
      // Align by time: keep only times at which every symbol has a candle.
      var series: [[Int64: Double]] = []
      for name in names {
        let key = try cache.resolveSeries(symbol: name, timeframe: tf, exchange: store.exchange)
        let cursor = try cache.cursor(series: key, from: start, to: end)
        var closes: [Int64: Double] = [:]
        while let c = try cursor.next() { closes[c.time] = c.close }
        series.append(closes)
      }
      let common = series.dropFirst().reduce(Set(series[0].keys)) { $0.intersection($1.keys) }
        .sorted()
      let dropped = series.map { $0.count - common.count }
      guard common.count >= 50 else {
        throw WickError.data(
          "only \(common.count) times have a candle for every symbol; need at least 50")
      }
      if dropped.contains(where: { $0 > 0 }) {
        printError(
          "aligned \(common.count) times; dropped "
            + zip(names, dropped).map { "\($0) \($1)" }.joined(separator: ", "))
      }
      let closes = series.map { s in common.map { s[$0]! } }
      let scores = PairScanner.scan(symbols: names, closes: closes)
      print(table(scores))
      let selected = scores.filter { $0.pValue <= pvalue }
      print("\(selected.count) of \(scores.count) pairs at p ≤ \(formatNumber(pvalue))")
      if let out { try writeAtomically(json(selected), to: out) }
    }
  }

  private func table(_ scores: [PairScore]) -> String {
    var rows = [["a", "b", "hedge", "ADF", "p-value", "half-life", "n"]]
    for s in scores {
      rows.append([
        s.a, s.b, String(format: "%.4f", s.hedgeRatio), String(format: "%.3f", s.adfStatistic),
        String(format: "%.4f", s.pValue), s.halfLife.map { String(format: "%.1f", $0) } ?? "–",
        "\(s.observations)",
      ])
    }
    let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max()! }
    return rows.map { r in
      zip(r, widths).map { $0.padding(toLength: $1, withPad: " ", startingAt: 0) }.joined(
        separator: "  ")
    }
    .joined(separator: "\n")
  }

  /// `{"pairs": [...]}`: a params file for zscore_pairs.lua (its `pairs` param).
  private func json(_ scores: [PairScore]) -> String {
    func n(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    let items = scores.map {
      "    {\"a\": \"\($0.a)\", \"b\": \"\($0.b)\", \"hedge_ratio\": \(n($0.hedgeRatio)), \"adf_stat\": \(n($0.adfStatistic)), \"pvalue\": \(n($0.pValue)), \"half_life\": \(n($0.halfLife))}"
    }
    return "{\n  \"pairs\": [\n" + items.joined(separator: ",\n") + (items.isEmpty ? "" : "\n")
      + "  ]\n}\n"
  }

  private func writeAtomically(_ text: String, to path: String) throws {
    let tmp = path + ".tmp"
    do {
      try Data(text.utf8).write(to: URL(fileURLWithPath: tmp))
      guard rename(tmp, path) == 0 else {
        throw WickError.invalidFile(path: path, line: nil, reason: "cannot rename into place")
      }
    } catch {
      try? FileManager.default.removeItem(atPath: tmp)
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot write: \(error)")
    }
    print("wrote \(path)")
  }
}
