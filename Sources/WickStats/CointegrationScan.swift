import WickCore

/// The scan behind `wick pairs scan` and the runner's scheduled re-scan (`[schedule.pairs_rescan]`):
/// align the symbols' candles by time, test every pair, keep those at or below a p-value, and
/// write them as a params file for zscore_pairs.lua. One function, so the command and the
/// schedule cannot choose pairs differently.
///
///     let scan = try CointegrationScan.run(symbols: ["BTCUSDT", "ETHUSDT"], candles: [btc, eth], pvalue: 0.05)
///     try OutputFile.write(CointegrationScan.paramsJSON(scan.selected), to: "pairs.json")
public struct CointegrationScan: Sendable {
  /// Every tested pair, most significant first.
  public var scores: [PairScore]
  /// The pairs kept (p-value at or below the threshold; with `distinctSymbols` none sharing a
  /// symbol with a better-ranked kept pair; at most `maxPairs`), most significant first.
  public var selected: [PairScore]
  /// Times at which every symbol has a candle (what was tested).
  public var aligned: Int
  /// Per symbol, candles dropped because another symbol had none at that time.
  public var dropped: [Int]

  /// Fewer aligned candles than this and the test means nothing.
  public static let minimumAligned = 50

  /// - Parameter distinctSymbols: keep a pair only when neither symbol is in a better-ranked pair
  ///   already kept. A strategy holds one position per symbol, so such a pair would be refused
  ///   (`pair_open`) whenever the better one is open. Applied before `maxPairs`.
  public static func run(
    symbols: [String], candles: [[Candle]], pvalue: Double, maxPairs: Int? = nil,
    distinctSymbols: Bool = false
  ) throws -> CointegrationScan {
    precondition(symbols.count == candles.count)
    var closes: [[Int64: Double]] = []
    for series in candles {
      var byTime: [Int64: Double] = [:]
      for c in series { byTime[c.time] = c.close }
      closes.append(byTime)
    }
    let common = closes.dropFirst().reduce(Set(closes.first?.keys.map { $0 } ?? [])) {
      $0.intersection($1.keys)
    }.sorted()
    guard common.count >= minimumAligned else {
      throw WickError.data(
        "only \(common.count) times have a candle for every symbol; need at least \(minimumAligned)"
      )
    }
    let scores = PairScanner.scan(
      symbols: symbols, closes: closes.map { s in common.map { s[$0]! } })
    var selected = scores.filter { $0.pValue <= pvalue }
    if distinctSymbols { selected = Self.sharingNoSymbol(selected) }
    if let maxPairs { selected = Array(selected.prefix(maxPairs)) }
    return CointegrationScan(
      scores: scores, selected: selected, aligned: common.count,
      dropped: closes.map { $0.count - common.count })
  }

  /// The pairs, in their order, that share no symbol with an earlier pair kept (greedy: a pair
  /// dropped for overlap does not block the ones after it).
  static func sharingNoSymbol(_ ranked: [PairScore]) -> [PairScore] {
    var used: Set<String> = []
    return ranked.filter { p in
      guard !used.contains(p.a), !used.contains(p.b) else { return false }
      used.formUnion([p.a, p.b])
      return true
    }
  }

  /// `{"pairs": [...]}` — a params file for zscore_pairs.lua (its `pairs` param). `keeping` are
  /// other top-level entries (name, JSON text) written before it, e.g. the rest of a params file
  /// a re-scan rewrites.
  public static func paramsJSON(_ pairs: [PairScore], keeping: [(name: String, json: String)] = [])
    -> String
  {
    func n(_ v: Double?) -> String { v.map { $0.isFinite ? "\($0)" : "null" } ?? "null" }
    let items = pairs.map {
      "    {\"a\": \(JSONText.quoted($0.a)), \"b\": \(JSONText.quoted($0.b)), \"hedge_ratio\": \(n($0.hedgeRatio)), \"adf_stat\": \(n($0.adfStatistic)), \"pvalue\": \(n($0.pValue)), \"half_life\": \(n($0.halfLife))}"
    }
    let kept = keeping.filter { $0.name != "pairs" }.map {
      "  \(JSONText.quoted($0.name)): \($0.json),\n"
    }
    return "{\n" + kept.joined() + "  \"pairs\": [\n" + items.joined(separator: ",\n")
      + (items.isEmpty ? "" : "\n") + "  ]\n}\n"
  }
}
