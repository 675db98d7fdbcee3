import ArgumentParser
import Foundation
import WickCore
import WickData

/// `--db` and `--exchange`, shared by every `wick data` command.
struct StoreOptions: ParsableArguments {
  @Option(name: .long, help: "The candle cache file.")
  var db: String = CandleStore.defaultPath

  @Option(
    name: .long,
    help:
      "The exchange the series belongs to (default: `local` when writing; the only one stored when reading)."
  )
  var exchange: String?

  /// The exchange new candles are written under.
  var writeExchange: String { exchange ?? "local" }

  /// Opens the cache; a command that only reads refuses to create a missing file.
  func openStore(mustExist: Bool = false) throws -> CandleStore {
    if mustExist && !FileManager.default.fileExists(atPath: db) {
      throw WickError.data(
        "no candle cache at \(db); run `wick data synth` or `wick data import` first, or pass --db")
    }
    return try CandleStore(path: db)
  }
}

/// `--symbol` and `--timeframe`: which series a command works on.
struct SeriesOptions: ParsableArguments {
  @Option(name: .long, help: "The symbol, e.g. BTCUSDT.")
  var symbol: String

  @Option(name: .long, help: "The candle timeframe, e.g. 1m, 5m, 4h, 1d.")
  var timeframe: String

  func parsedTimeframe() throws -> Timeframe { try Timeframe(parsing: timeframe) }
}

/// Parses an optional ISO-8601 UTC option value.
func parseTime(_ text: String?, option: String) throws -> Int64? {
  guard let text else { return nil }
  guard let t = UTCTime.parse(text) else {
    throw WickError.invalidArgument(
      "\(option) '\(text)': expected an ISO-8601 UTC time such as 2024-01-01 or 2024-01-01T12:00:00Z"
    )
  }
  return t
}
