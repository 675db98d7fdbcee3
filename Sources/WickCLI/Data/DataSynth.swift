import ArgumentParser
import WickCore
import WickData

/// `wick data synth`: writes a deterministic synthetic series into the cache.
struct DataSynth: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Generate a deterministic synthetic series (regimes, volatility clustering, jumps).")

  @OptionGroup var store: StoreOptions
  @OptionGroup var series: SeriesOptions

  @Option(help: "How many candles to generate.")
  var candles: Int

  @Option(help: "The random seed; the same seed gives the same candles.")
  var seed: UInt64 = 1

  @Option(help: "Open time of the first candle, ISO-8601 UTC.")
  var start: String = "2024-01-01T00:00:00Z"

  @Option(help: "Open price of the first candle.")
  var price: Double = CandleSynthesizer.defaultStartPrice

  @Flag(help: "Overwrite candles already stored at the same times.")
  var replace = false

  func validate() throws {
    guard candles > 0 else { throw ValidationError("--candles must be positive") }
    guard price > 0, price.isFinite else {
      throw ValidationError("--price must be a positive number")
    }
  }

  func run() throws {
    try reportingErrors {
      let began = ContinuousClock.now
      let timeframe = try series.parsedTimeframe()
      let startTime = try parseTime(start, option: "--start") ?? CandleSynthesizer.defaultStart
      let key = SeriesKey(
        exchange: store.writeExchange, symbol: series.symbol, timeframe: timeframe)
      let cache = try store.openStore()
      var synth = CandleSynthesizer(
        seed: seed, timeframe: timeframe, start: startTime, startPrice: price)
      var first: Int64?
      var last: Int64?
      try cache.writeBatches(series: key, replace: replace) { write in
        var remaining = candles
        var batch: [Candle] = []
        batch.reserveCapacity(min(remaining, 100_000))
        while remaining > 0 {
          batch.removeAll(keepingCapacity: true)
          for _ in 0..<min(remaining, 100_000) { batch.append(synth.next()) }
          try write(batch)
          first = first ?? batch.first?.time
          last = batch.last?.time
          remaining -= batch.count
        }
      }
      print(
        "synth: \(candles) candles \(key.symbol) \(timeframe) \(UTCTime.iso(first ?? startTime)) → \(UTCTime.iso(last ?? startTime)) into \(store.db) (\(elapsed(since: began)))"
      )
    }
  }
}
