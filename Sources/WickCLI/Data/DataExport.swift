import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick data export`: writes a stored series as CSV to a file or stdout.
struct DataExport: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export", abstract: "Export a series as CSV (epoch-millisecond times).")

  @OptionGroup var store: StoreOptions
  @OptionGroup var series: SeriesOptions

  @Option(help: "First open time to export (inclusive), ISO-8601 UTC.")
  var from: String?

  @Option(help: "Open time to stop before (exclusive), ISO-8601 UTC.")
  var to: String?

  @Option(help: "Output file (default: stdout).")
  var out: String?

  func run() throws {
    try reportingErrors {
      let cache = try store.openStore(mustExist: true)
      let key = try cache.resolveSeries(
        symbol: series.symbol, timeframe: series.parsedTimeframe(), exchange: store.exchange)
      let cursor = try cache.cursor(
        series: key, from: parseTime(from, option: "--from"), to: parseTime(to, option: "--to"))
      guard let out else {
        _ = try CSVExporter.export(cursor, to: FileHandle.standardOutput)
        return
      }
      guard FileManager.default.createFile(atPath: out, contents: nil),
        let handle = FileHandle(forWritingAtPath: out)
      else {
        throw WickError.invalidArgument("--out '\(out)': cannot create the file")
      }
      defer { try? handle.close() }
      let count = try CSVExporter.export(cursor, to: handle)
      printError("export: \(count) candles \(key) → \(out)")
    }
  }
}
