import ArgumentParser
import WickCore
import WickData

/// `wick data ls`: one row per stored series with its range, size and gaps.
struct DataList: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "ls", abstract: "List the series in the cache with their ranges and gaps.")

  @OptionGroup var store: StoreOptions

  func run() throws {
    try reportingErrors {
      let cache = try store.openStore(mustExist: true)
      let summaries = try cache.seriesList().filter {
        store.exchange == nil || $0.exchange == store.exchange
      }
      let extras = try cache.extraSeriesList().filter {
        store.exchange == nil || $0.exchange == store.exchange
      }
      guard !summaries.isEmpty || !extras.isEmpty else {
        print("no series in \(store.db); run `wick data synth` or `wick data import` to add one")
        return
      }
      let rows = summaries.map { s in
        [
          s.exchange, s.symbol, s.timeframe.description, UTCTime.iso(s.first), UTCTime.iso(s.last),
          "\(s.count)",
          s.gapCount == 0 ? "0" : "\(s.gapCount) (\(s.missingCandles) missing)",
        ]
      }
      if !rows.isEmpty {
        print(
          TextTable(
            header: ["EXCHANGE", "SYMBOL", "TF", "FIRST", "LAST", "CANDLES", "GAPS"], rows: rows
          ).rendered,
          terminator: "")
      }
      if !extras.isEmpty {
        if !rows.isEmpty { print("") }
        print(
          TextTable(
            header: ["SERIES", "EXCHANGE", "SYMBOL", "EVERY", "FROM", "TO", "SAMPLES", "GAPS"],
            rows: extras.map { e in
              [
                e.kind, e.exchange, e.symbol, e.interval.description, UTCTime.iso(e.first),
                UTCTime.iso(e.last), "\(e.count)",
                e.gapCount == 0 ? "0" : "\(e.gapCount) (\(e.missing) missing)",
              ]
            }
          ).rendered,
          terminator: "")
      }
      for s in summaries {
        guard let time = s.firstOffGrid else { continue }
        print(
          "note: \(s.series) has candles on an older Wick's Thursday week grid from \(UTCTime.iso(time)) and cannot be read; rebuild it with `wick data resample --symbol \(s.symbol) --from-timeframe 1d --to-timeframe \(s.timeframe) --replace`"
        )
      }
    }
  }
}
