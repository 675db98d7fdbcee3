import ArgumentParser
import WickCore
import WickData

/// `wick data resample`: builds a larger timeframe from a stored series.
struct DataResample: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "resample",
    abstract:
      "Aggregate a series into a larger UTC-aligned timeframe (only complete buckets are written).")

  @OptionGroup var store: StoreOptions

  @Option(help: "The symbol, e.g. BTCUSDT.")
  var symbol: String

  @Option(name: .customLong("from-timeframe"), help: "The stored timeframe to read, e.g. 1m.")
  var fromTimeframe: String

  @Option(name: .customLong("to-timeframe"), help: "The timeframe to write, e.g. 4h.")
  var toTimeframe: String

  @Flag(help: "Overwrite candles already stored at the same times.")
  var replace = false

  func run() throws {
    try reportingErrors {
      let began = ContinuousClock.now
      let cache = try store.openStore(mustExist: true)
      let source = try cache.resolveSeries(
        symbol: symbol, timeframe: Timeframe(parsing: fromTimeframe), exchange: store.exchange)
      let target = SeriesKey(
        exchange: source.exchange, symbol: symbol, timeframe: try Timeframe(parsing: toTimeframe))
      let (bars, resampler) = try Resampler.resample(
        cache.cursor(series: source), from: source.timeframe, to: target.timeframe)
      try cache.write(bars, series: target, replace: replace)
      var skipped = ""
      if let first = resampler.firstIncompleteBucket {
        skipped =
          "; skipped \(resampler.incompleteBuckets) incomplete bucket(s), first at \(UTCTime.iso(first))"
      }
      print(
        "resample: \(source) → \(target): \(bars.count) candles written\(skipped) (\(elapsed(since: began)))"
      )
    }
  }
}
