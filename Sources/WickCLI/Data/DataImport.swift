import ArgumentParser
import WickCore
import WickData

/// `wick data import FILE.csv`: validates a candle CSV and writes it in one transaction.
struct DataImport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Import a CSV (time,open,high,low,close,volume; time as epoch s/ms or ISO-8601 UTC).")

  @Argument(help: "The CSV file.")
  var file: String

  @OptionGroup var store: StoreOptions
  @OptionGroup var series: SeriesOptions

  @Flag(help: "Overwrite candles already stored at the same times.")
  var replace = false

  func run() throws {
    try reportingErrors {
      let began = ContinuousClock.now
      let timeframe = try series.parsedTimeframe()
      let key = SeriesKey(
        exchange: store.writeExchange, symbol: series.symbol, timeframe: timeframe)
      // Parse and validate everything before opening the cache: a bad file writes nothing.
      let candles = try CSVImporter(timeframe: timeframe).candles(fromFile: file)
      try store.openStore().write(candles, series: key, replace: replace)
      print(
        "import: \(candles.count) candles \(key.symbol) \(timeframe) \(UTCTime.iso(candles[0].time)) → \(UTCTime.iso(candles[candles.count - 1].time)) from \(file) into \(store.db) (\(elapsed(since: began)))"
      )
    }
  }
}
