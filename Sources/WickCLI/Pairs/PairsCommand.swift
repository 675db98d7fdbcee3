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

/// `wick pairs scan --symbols A,B,C --timeframe 4h --from ISO --to ISO [--pvalue 0.05] [--max-pairs N]
/// [--distinct-symbols] [--out pairs.json]`
struct PairsScan: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "scan",
    abstract:
      "Engle-Granger test of every pair of symbols, ranked; writes a params file for zscore_pairs.lua.",
    discussion: """
      Each pair's first symbol (in --symbols order) is regressed on the second: a = α + β·b + spread. \
      The output JSON is {"pairs": [{"a", "b", "hedge_ratio", "adf_stat", "pvalue", "half_life"}, ...]}, \
      a valid --params file:
        wick backtest strategies/zscore_pairs.lua --symbols A,B,... --params pairs.json
      """)

  @OptionGroup var store: StoreOptions
  @Option(help: "Comma-separated symbols (at least two).") var symbols: String
  @Option(help: "Candle timeframe, e.g. 4h.") var timeframe: String
  @Option(help: "Start time (ISO-8601 UTC, inclusive).") var from: String?
  @Option(help: "End time (ISO-8601 UTC, exclusive).") var to: String?
  @Option(help: "Keep pairs with a p-value at or below this.") var pvalue: Double = 0.05
  @Option(help: "Write the selected pairs as a params file (JSON).") var out: String?
  @Option(
    help: "Keep at most this many pairs, the most significant (default: every one that passes).")
  var maxPairs: Int?
  @Flag(
    help:
      "Keep only pairs sharing no symbol with a better-ranked kept pair (the strategy would refuse them with pair_open while that one is open)."
  )
  var distinctSymbols = false

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
      if let maxPairs, maxPairs < 1 {
        throw WickError.invalidArgument("--max-pairs \(maxPairs): expected a whole number ≥ 1")
      }
      let tf = try Timeframe(parsing: timeframe)
      let cache = try store.openStore(mustExist: true)
      let start = try parseTime(from, option: "--from")
      let end = try parseTime(to, option: "--to")
      var candles: [[Candle]] = []
      for name in names {
        let key = try cache.resolveSeries(symbol: name, timeframe: tf, exchange: store.exchange)
        let cursor = try cache.cursor(series: key, from: start, to: end)
        var series: [Candle] = []
        while let c = try cursor.next() { series.append(c) }
        candles.append(series)
      }
      // Aligned by time: only times at which every symbol has a candle are tested.
      let scan = try CointegrationScan.run(
        symbols: names, candles: candles, pvalue: pvalue, maxPairs: maxPairs,
        distinctSymbols: distinctSymbols)
      if scan.dropped.contains(where: { $0 > 0 }) {
        printError(
          "aligned \(scan.aligned) times; dropped "
            + zip(names, scan.dropped).map { "\($0) \($1)" }.joined(separator: ", "))
      }
      print(table(scan.scores))
      print(summary(scan))
      if let out {
        try OutputFile.write(CointegrationScan.paramsJSON(scan.selected), to: out)
        print("wrote \(out)")
      }
    }
  }

  /// "2 of 3 pairs at p ≤ 0.05", and with a limit what it left out: "1 of 3 pairs kept (2 at
  /// p ≤ 0.05, sharing no symbol, at most 1)".
  private func summary(_ scan: CointegrationScan) -> String {
    let passing = "at p ≤ \(formatNumber(pvalue))"
    guard maxPairs != nil || distinctSymbols else {
      return "\(scan.selected.count) of \(scan.scores.count) pairs \(passing)"
    }
    let passed = scan.scores.filter { $0.pValue <= pvalue }.count
    let limits =
      (distinctSymbols ? [", sharing no symbol"] : [])
      + (maxPairs.map { [", at most \($0)"] } ?? [])
    return
      "\(scan.selected.count) of \(scan.scores.count) pairs kept (\(passed) \(passing)\(limits.joined()))"
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
}
