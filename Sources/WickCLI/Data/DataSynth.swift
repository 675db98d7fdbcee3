import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick data synth`: writes a deterministic synthetic series into the cache.
struct DataSynth: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "synth",
    abstract: "Generate a deterministic synthetic series (regimes, volatility clustering, jumps).")

  @OptionGroup var store: StoreOptions
  @Option(help: "The symbol, e.g. BTCUSDT (or --pair A,B for a cointegrated pair).")
  var symbol: String?

  @Option(help: "The candle timeframe, e.g. 1m, 5m, 4h, 1d.")
  var timeframe: String

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

  @Option(
    help:
      "Generate a cointegrated pair instead, as two symbols A,B (A = hedge × B + a mean-reverting spread)."
  )
  var pair: String?

  @Option(help: "With --pair: candles for a spread deviation to halve.")
  var halfLife: Double = 10

  @Option(help: "With --pair: units of B per unit of A.")
  var hedge: Double = 20

  func validate() throws {
    guard candles > 0 else { throw ValidationError("--candles must be positive") }
    guard (symbol == nil) != (pair == nil) else {
      throw ValidationError("give --symbol S, or --pair A,B for a cointegrated pair")
    }
    guard price > 0, price.isFinite else {
      throw ValidationError("--price must be a positive number")
    }
  }

  func run() throws {
    if let pair { return try runPair(pair) }
    try reportingErrors {
      let began = ContinuousClock.now
      let timeframe = try Timeframe(parsing: timeframe)
      let startTime = try parseTime(start, option: "--start") ?? CandleSynthesizer.defaultStart
      let key = SeriesKey(
        exchange: store.writeExchange, symbol: symbol ?? "", timeframe: timeframe)
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

  /// `--pair A,B`: both legs in one transaction each, from one seeded generator.
  private func runPair(_ text: String) throws {
    try reportingErrors {
      let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
      guard names.count == 2, !names[0].isEmpty, !names[1].isEmpty, names[0] != names[1] else {
        throw WickError.invalidArgument(
          "--pair '\(text)': expected two different symbols, e.g. --pair AAAUSDT,BBBUSDT")
      }
      guard halfLife > 0, halfLife.isFinite, hedge > 0, hedge.isFinite else {
        throw WickError.invalidArgument("--half-life and --hedge must be positive numbers")
      }
      let timeframe = try Timeframe(parsing: timeframe)
      let startTime = try parseTime(start, option: "--start") ?? CandleSynthesizer.defaultStart
      var synth = PairSynthesizer(
        seed: seed, timeframe: timeframe, start: startTime, priceB: price / hedge, hedge: hedge,
        halfLife: halfLife)
      var a: [Candle] = []
      var b: [Candle] = []
      for _ in 0..<candles {
        let (x, y) = synth.next()
        a.append(x)
        b.append(y)
      }
      let cache = try store.openStore()
      try cache.write(
        a, series: SeriesKey(exchange: store.writeExchange, symbol: names[0], timeframe: timeframe),
        replace: replace)
      try cache.write(
        b, series: SeriesKey(exchange: store.writeExchange, symbol: names[1], timeframe: timeframe),
        replace: replace)
      print(
        "synth: cointegrated pair \(names[0]) = \(formatNumber(hedge)) × \(names[1]) + spread (half-life \(formatNumber(halfLife)) candles), \(candles) \(timeframe) candles each into \(store.db)"
      )
    }
  }
}
