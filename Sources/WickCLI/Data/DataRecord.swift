import ArgumentParser
import Foundation
import WickCore
import WickData
import WickLive

/// Set by SIGINT/SIGTERM: the recorder writes the closed minutes and stops.
nonisolated(unsafe) private var recordStop: sig_atomic_t = 0

/// `wick data record --liquidations`: liquidations from the exchanges' public streams, per minute.
struct DataRecord: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "record",
    abstract: "Record liquidations from Bybit's or Binance's public stream into the cache.",
    discussion: """
      Liquidations have no REST history on either exchange: this records them as they happen \
      (Bybit allLiquidation.{symbol}, Binance <symbol>@forceOrder), per 1m candle (count, long \
      and short liquidated notional), until Ctrl-C or SIGTERM. Minutes while disconnected are \
      recorded as a gap, never as zero.

      Example:
        wick data record --exchange bybit --symbol BTCUSDT --symbol ETHUSDT --liquidations
      """)

  @OptionGroup var store: StoreDatabaseOption
  @Option(help: "bybit or binance (USDT perpetuals).") var exchange: String
  @Option(name: .customLong("symbol"), help: "Symbol to record (repeatable).") var symbols:
    [String] = []
  @Flag(help: "Record liquidations (the only stream recorded so far).") var liquidations = false
  @Option(help: "REST base URL, for the exchange's clock (a mirror, or a local test server).")
  var baseURL: String?
  @Option(help: "WebSocket base URL (a mirror, or a local test server).") var wsURL: String?
  @Flag(help: "Use the exchange's testnet.") var testnet = false

  func run() throws {
    try reportingErrors {
      guard liquidations else {
        throw WickError.invalidArgument("nothing to record: pass --liquidations")
      }
      guard !symbols.isEmpty else {
        throw WickError.invalidArgument("--symbol: name at least one symbol to record")
      }
      let (api, dialect, ws): (ExchangeAPI, LiquidationDialect, String)
      switch exchange.lowercased() {
      case "bybit":
        api = BybitAPI(baseURL: baseURL, testnet: testnet)
        dialect = BybitLiquidations()
        ws = wsURL ?? (testnet ? BybitKlines.testnet : BybitKlines.mainnet)
      case "binance":
        api = BinanceAPI(baseURL: baseURL, testnet: testnet)
        dialect = BinanceLiquidations()
        ws = wsURL ?? (testnet ? "wss://stream.binancefuture.com" : BinanceKlines.mainnet)
      default:
        throw WickError.invalidArgument("--exchange \(exchange): expected bybit or binance")
      }
      let cache = try CandleStore(path: store.db)
      // Minutes are judged closed by the exchange's clock, as candles are.
      let requester = ExchangeRequester(
        transport: try CurlHTTPClient(connectTimeout: 5, totalTimeout: 30),
        limiter: RateLimiter(rate: api.requestsPerSecond), retry: RetryPolicy(maxAttempts: 5))
      let clock = try ServerClock.measure(api: api, requester: requester)
      noteSkew(clock, exchange: api.storageName)
      let recorder = LiquidationRecorder(
        dialect: dialect, base: ws, exchange: api.storageName, symbols: symbols, store: cache,
        now: { clock.now() })
      recorder.onState = { state in
        switch state {
        case .connected: printError("record: connected to \(recorder.url)")
        case .disconnected(let why):
          printError("record: disconnected (\(why)); the minutes until reconnected are a gap")
        }
      }
      for s in [SIGINT, SIGTERM] { signal(s) { _ in recordStop = 1 } }
      printError(
        "record: \(api.storageName) liquidations of \(symbols.joined(separator: ", ")) into \(store.db); Ctrl-C to stop"
      )
      let summary = try recorder.run { recordStop != 0 }
      print(
        "record: \(summary.minutes / symbols.count) minutes recorded, \(summary.liquidations) liquidations, \(summary.disconnects) disconnects"
          + (summary.malformed > 0 ? ", \(summary.malformed) malformed messages skipped" : ""))
    }
  }
}
