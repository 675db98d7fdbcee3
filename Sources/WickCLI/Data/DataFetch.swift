import ArgumentParser
import Foundation
import WickCore
import WickData
import WickRisk

/// `--exchange`, `--category`, `--base-url`, `--testnet`: which exchange API a network command talks to.
struct ExchangeOptions: ParsableArguments {
  @Option(help: "bybit or binance.") var exchange: String
  @Option(help: "Bybit: linear (USDT perpetuals) or spot; Binance: futures (USDT-M) or spot.")
  var category: String?
  @Option(help: "Override the API base URL (a mirror, or a local test server).") var baseURL:
    String?
  @Flag(help: "Use the exchange's testnet URLs.") var testnet = false
  @Option(help: "Seconds to wait for a connection.") var connectTimeout: Double = 5
  @Option(help: "Seconds a whole request may take.") var timeout: Double = 30
  @Option(help: "Attempts per request (timeouts, 429 and 5xx are retried with backoff).")
  var attempts: Int = 5

  func api() throws -> ExchangeAPI {
    switch exchange.lowercased() {
    case "bybit":
      guard let c = BybitAPI.Category(rawValue: category ?? "linear") else {
        throw WickError.invalidArgument(
          "--category \(category ?? ""): Bybit categories are linear and spot")
      }
      return BybitAPI(category: c, baseURL: baseURL, testnet: testnet)
    case "binance":
      let name = category == "linear" ? "futures" : (category ?? "futures")
      guard let m = BinanceAPI.Market(rawValue: name) else {
        throw WickError.invalidArgument(
          "--category \(category ?? ""): Binance markets are futures and spot")
      }
      return BinanceAPI(market: m, baseURL: baseURL, testnet: testnet)
    default:
      throw WickError.invalidArgument("--exchange \(exchange): expected bybit or binance")
    }
  }

  func requester(for api: ExchangeAPI) throws -> ExchangeRequester {
    guard attempts >= 1, attempts <= 20 else {
      throw WickError.invalidArgument("--attempts \(attempts): expected 1 to 20")
    }
    let client = try CurlHTTPClient(connectTimeout: connectTimeout, totalTimeout: timeout)
    return ExchangeRequester(
      transport: client, limiter: RateLimiter(rate: api.requestsPerSecond),
      retry: RetryPolicy(maxAttempts: attempts))
  }
}

/// A one-line progress bar on a terminal; plain log lines every few seconds otherwise.
final class ProgressDisplay {
  private let isTTY = isatty(2) != 0
  private let started = Date()
  private var lastDraw = Date.distantPast
  private let label: String
  init(label: String) { self.label = label }

  func update(_ p: FetchProgress) {
    let now = Date()
    guard now.timeIntervalSince(lastDraw) >= (isTTY ? 0.1 : 5) else { return }
    lastDraw = now
    let elapsed = max(now.timeIntervalSince(started), 0.001)
    let rate = Double(p.stored) / elapsed
    let eta = p.fraction > 0 ? elapsed * (1 - p.fraction) / p.fraction : 0
    if isTTY {
      let width = 30
      let filled = Int(p.fraction * Double(width))
      let bar =
        String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
      FileHandle.standardError.write(
        Data(
          String(
            format: "\r%@ %@ %5.1f%%  %.0f candles/s  ETA %.0fs ", label, bar, p.fraction * 100,
            rate, eta
          ).utf8))
    } else {
      printError(
        String(
          format: "%@: %.1f%% (%d candles, %.0f/s, up to %@)", label, p.fraction * 100, p.stored,
          rate, UTCTime.iso(p.position)))
    }
  }

  func finish() { if isTTY { FileHandle.standardError.write(Data("\n".utf8)) } }
}

/// Stops a fetch cleanly on Ctrl-C: the page in flight completes, then the loop ends.
func installInterruptHandler() {
  signal(SIGINT) { _ in FetchInterrupt.requested = 1 }
}

/// `wick data fetch`: klines (and funding rates) from Bybit or Binance into the cache.
struct DataFetch: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "fetch",
    abstract:
      "Download closed candles and funding rates from Bybit v5 or Binance; resumable and incremental."
  )

  @OptionGroup var store: StoreDatabaseOption
  @OptionGroup var exchange: ExchangeOptions
  @Option(help: "The symbol, e.g. BTCUSDT.") var symbol: String
  @Option(help: "The candle timeframe, e.g. 1m, 5m, 4h.") var timeframe: String
  @Option(help: "Start time (ISO-8601 UTC).") var from: String
  @Option(
    help:
      "End time (ISO-8601 UTC, exclusive; default and limit: the last candle closed by the exchange's clock)."
  ) var to: String?
  @Flag(help: "Skip funding-rate history.") var noFunding = false
  @Flag(
    help:
      "Also store open interest on the --timeframe grid (Bybit: 5m 15m 30m 1h 4h 1d; Binance: 5m to 1d, last 30 days only)."
  )
  var openInterest = false
  @Flag(
    help:
      "Also store the account long/short ratio on the --timeframe grid (the same intervals as --open-interest)."
  )
  var longShort = false

  /// The metrics asked for, in fetch order.
  var metrics: [MarketMetric] {
    (openInterest ? [.openInterest] : []) + (longShort ? [.longShortRatio] : [])
  }

  func run() throws {
    try reportingErrors {
      let api = try exchange.api()
      let tf = try Timeframe(parsing: timeframe)
      guard let start = try parseTime(from, option: "--from") else { return }
      let end = try parseTime(to, option: "--to")
      let fetcher = MarketDataFetcher(
        api: api, store: try CandleStore(path: store.db),
        requester: try exchange.requester(for: api))
      let progress = ProgressDisplay(label: "\(api.storageName) \(symbol) \(tf)")
      fetcher.onProgress = progress.update
      // An interval the exchange does not offer is an error before anything is fetched.
      for metric in metrics { _ = try fetcher.metricInterval(metric, timeframe: tf) }
      installInterruptHandler()
      let began = ContinuousClock.now
      var summary = try fetcher.fetchKlines(symbol: symbol, timeframe: tf, from: start, to: end)
      progress.finish()
      if let clock = summary.clock { noteSkew(clock, exchange: api.storageName) }
      let lastClosedEnd = tf.floor(summary.closedBy)
      if start >= lastClosedEnd {
        printError(
          "note: no candle from --from \(UTCTime.iso(start)) has closed yet on \(api.storageName)'s clock (\(UTCTime.iso(summary.closedBy))); nothing to fetch"
        )
      } else if let end, end > lastClosedEnd {
        printError(
          "note: --to \(UTCTime.iso(end)) is past \(api.storageName)'s clock (\(UTCTime.iso(summary.closedBy))); stopping after its last closed candle, at \(UTCTime.iso(lastClosedEnd))"
        )
      }
      var line =
        "fetch: \(summary.candles) new candles \(api.storageName) \(symbol) \(tf) in \(summary.requests) requests (\(elapsed(since: began)))"
      if summary.to > summary.from { line += ", closed candles up to \(UTCTime.iso(summary.to))" }
      if !noFunding && !summary.interrupted {
        let rates = try fetcher.fetchFunding(symbol: symbol, from: start, to: end)
        line += ", \(rates) funding rates"
      }
      for metric in metrics where !summary.interrupted && FetchInterrupt.requested == 0 {
        let got = try fetcher.fetchMetric(
          metric, symbol: symbol, timeframe: tf, from: start, to: end)
        if let horizon = got.horizonStart {
          printError(
            "note: \(api.storageName) keeps \(metric) for the last 30 days only; --from \(UTCTime.iso(start)) is older, so \(metric) is stored from \(UTCTime.iso(horizon))"
          )
        }
        line += ", \(got.samples) \(metric) samples"
        if got.interrupted { summary.interrupted = true }
      }
      print(line)
      if summary.interrupted || FetchInterrupt.requested != 0 {
        printError("interrupted: whole windows are stored; run the same command again to continue")
        throw ExitCode(130)
      }
    }
  }
}

/// Tells the user when the exchange's clock is far from this machine's: candles are judged
/// closed by the exchange's, so the local clock being wrong changes nothing, but it is worth
/// knowing (signed requests would be refused with such a skew).
func noteSkew(_ clock: ServerClock, exchange: String) {
  let offset = clock.offsetMilliseconds
  guard abs(offset) >= 2_000 else { return }
  let seconds = Double(abs(offset)) / 1000
  let amount =
    seconds >= 3600
    ? String(format: "%.1f h", seconds / 3600)
    : seconds >= 60 ? String(format: "%.1f min", seconds / 60) : String(format: "%.1f s", seconds)
  printError(
    "note: \(exchange)'s clock is \(amount) \(offset > 0 ? "ahead of" : "behind") this machine's; candles are judged closed by the exchange's clock"
  )
}

/// `wick data repair`: re-fetches the gaps `wick data ls` reports.
struct DataRepair: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "repair",
    abstract: "Re-fetch missing candles of a cached series from its exchange.")
  @OptionGroup var store: StoreDatabaseOption
  @OptionGroup var exchange: ExchangeOptions
  @Option(help: "The symbol, e.g. BTCUSDT.") var symbol: String
  @Option(help: "The candle timeframe.") var timeframe: String

  func run() throws {
    try reportingErrors {
      let api = try exchange.api()
      let fetcher = MarketDataFetcher(
        api: api, store: try CandleStore(path: store.db),
        requester: try exchange.requester(for: api))
      installInterruptHandler()
      let summary = try fetcher.repair(symbol: symbol, timeframe: try Timeframe(parsing: timeframe))
      print("repair: \(summary.candles) candles filled in \(summary.requests) requests")
      for gap in summary.unfilledGaps {
        print(
          "  the exchange has no data for \(gap.missingCandles) candles from \(UTCTime.iso(gap.from)) to \(UTCTime.iso(gap.to))"
        )
      }
    }
  }
}

/// `wick data time`: the exchange's clock against ours.
struct DataTime: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "time", abstract: "Show the exchange's server time and our clock offset.")
  @OptionGroup var exchange: ExchangeOptions

  func run() throws {
    try reportingErrors {
      let api = try exchange.api()
      let clock = try ServerClock.measure(api: api, requester: try exchange.requester(for: api))
      print(
        "\(api.storageName): server \(UTCTime.iso(clock.now())), offset \(clock.offsetMilliseconds) ms (round trip \(clock.roundTripMilliseconds) ms)"
      )
    }
  }
}

/// `--db` alone (fetch commands name the exchange through ExchangeOptions).
struct StoreDatabaseOption: ParsableArguments {
  @Option(name: .long, help: "The candle cache file.") var db: String = CandleStore.defaultPath
}
