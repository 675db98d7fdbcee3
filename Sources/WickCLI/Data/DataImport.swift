import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick data import FILE.csv`: validates a candle CSV and writes it in one transaction, reading
/// it through a fixed buffer so memory stays flat whatever the file's size.
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

  /// Streams `file` into `cache` in one transaction (the cache is closed on return).
  static func stream(_ file: String, into cache: CandleStore, series: SeriesKey, replace: Bool)
    throws -> CSVImporter.Summary
  {
    var summary: CSVImporter.Summary?
    try cache.writeBatches(series: series, replace: replace) { write in
      summary = try CSVImporter(timeframe: series.timeframe).read(fromFile: file) { try write($0) }
    }
    return summary!
  }

  func run() throws {
    try reportingErrors {
      let began = ContinuousClock.now
      let timeframe = try series.parsedTimeframe()
      let key = SeriesKey(
        exchange: store.writeExchange, symbol: series.symbol, timeframe: timeframe)
      // One transaction around the whole stream: the file is read through a fixed buffer and
      // written batch by batch, and the first bad row (or a kill) rolls every batch back.
      let created = !FileManager.default.fileExists(atPath: store.db)
      let summary: CSVImporter.Summary
      do {
        summary = try Self.stream(file, into: store.openStore(), series: key, replace: replace)
      } catch {
        // A cache this failed import created holds nothing: leave no empty file behind.
        if created {
          for suffix in ["", "-wal", "-shm"] {
            try? FileManager.default.removeItem(atPath: store.db + suffix)
          }
        }
        throw error
      }
      print(
        "import: \(summary.count) candles \(key.symbol) \(timeframe) \(UTCTime.iso(summary.first)) → \(UTCTime.iso(summary.last)) from \(file) into \(store.db) (\(elapsed(since: began)))"
      )
    }
  }
}
