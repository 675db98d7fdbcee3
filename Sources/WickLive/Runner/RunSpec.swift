import Foundation
import WickCore
import WickData
import WickRisk
import WickSim

/// Everything `wick run` was asked for. Its `argsJSON` identifies the session: the same command
/// after a crash resumes the same run (`--stop-after` is not part of it).
public struct RunSpec: Sendable, Equatable {
  public enum Mode: String, Sendable { case paper, live }
  public var strategyPath: String
  public var symbols: [String]
  public var timeframe: Timeframe
  public var paramsFile: String?
  public var configPath: String?
  public var mode: Mode = .paper
  public var exchange: String = "bybit"
  public var testnet: Bool = false
  public var baseURL: String?
  public var wsURL: String?
  public var dbPath: String = CandleStore.defaultPath
  public var stopAfter: Int?
  /// Also record the symbols' liquidations from the exchange's public stream into the cache
  /// while the run listens (`wick run --record-liquidations`), for `c.liquidations_long/_short`.
  public var recordLiquidations = false
  public var initialEquity: Double = 10_000
  /// One of a process's `[[run]]` entries (under one shared governor): part of its identity,
  /// and `wick replay` re-applies its recorded shared verdicts.
  public var group = false
  /// Waits before each new REST request for a stream gap REST could not fill yet (ms); not part
  /// of the session's identity.
  public var gapRetryDelays: [Int64] = ConfirmedCandles.defaultRetryDelays

  public init(strategyPath: String, symbols: [String], timeframe: Timeframe) {
    self.strategyPath = strategyPath
    self.symbols = symbols
    self.timeframe = timeframe
  }

  /// Canonical JSON of the arguments that define the session (paths made absolute).
  public var argsJSON: String {
    func abs(_ p: String?) -> DecisionJSON.Value? {
      p.map { .string(URL(fileURLWithPath: $0).standardizedFileURL.path) }
    }
    return DecisionJSON.object([
      ("strategy", abs(strategyPath)),
      ("symbols", .raw("[" + symbols.map(DecisionJSON.quote).joined(separator: ",") + "]")),
      ("timeframe", .string(timeframe.description)), ("params", abs(paramsFile)),
      ("config", abs(configPath)), ("mode", .string(mode.rawValue)),
      ("exchange", .string(exchange)),
      ("testnet", .bool(testnet)), ("base_url", baseURL.map { .string($0) }),
      ("ws_url", wsURL.map { .string($0) }), ("equity", .number(initialEquity)),
      ("group", group ? .bool(true) : nil),
    ])
  }

  /// The exchange's REST market-data API for this run.
  public func marketAPI() throws -> ExchangeAPI {
    switch exchange {
    case "bybit": return BybitAPI(category: .linear, baseURL: baseURL, testnet: testnet)
    case "binance": return BinanceAPI(market: .futures, baseURL: baseURL, testnet: testnet)
    default:
      throw WickError.invalidArgument("--exchange \(exchange): expected bybit or binance")
    }
  }

  /// The public kline stream's dialect and WebSocket base for this run.
  public func stream() throws -> (dialect: KlineDialect, base: String) {
    switch exchange {
    case "bybit":
      return (BybitKlines(), wsURL ?? (testnet ? BybitKlines.testnet : BybitKlines.mainnet))
    case "binance":
      return (BinanceKlines(), wsURL ?? (testnet ? BinanceKlines.testnet : BinanceKlines.mainnet))
    default:
      throw WickError.invalidArgument("--exchange \(exchange): expected bybit or binance")
    }
  }
}

/// The one place that decides which venue a run trades on: paper runs get the backtest's
/// `SimulatedVenue`; live runs get the exchange adapter registered under `--exchange`
/// (`LiveExchanges`).
public enum VenueFactory {
  /// Replaces the live venue (tests); nil: the registered adapter's.
  nonisolated(unsafe) public static var liveVenue:
    ((_ spec: RunSpec, _ credentials: LiveCredentials, _ leverage: Double) throws -> Venue)? = nil

  /// - Parameter costs: the config's `[costs]`: a paper venue fills with its fees, spread and
  ///   slippage and rejects orders at random with its `reject_probability`, seeded with its
  ///   `seed` as a backtest is (so a paper run, its resume and its replay draw the same rejects).
  ///   Nil (no config): the default fill model and no rejects.
  public static func make(spec: RunSpec, costs: CostsConfig?, leverage: Double) throws -> Venue {
    switch spec.mode {
    case .paper:
      let fills =
        costs.map {
          FillModel(
            takerFeeBps: $0.takerFeeBps, makerFeeBps: $0.makerFeeBps, spreadBps: $0.spreadBps,
            slippageBps: $0.slippageBps)
        } ?? FillModel()
      return SimulatedVenue(
        fills: fills, margin: MarginModel(), funding: nil, leverage: leverage,
        rejectProbability: costs?.rejectProbability ?? 0, rejectSeed: costs?.seed ?? 0)
    case .live:
      if let liveVenue {
        return try liveVenue(
          spec, try LiveCredentials.fromEnvironment(exchange: spec.exchange), leverage)
      }
      guard let exchange = LiveExchanges.named(spec.exchange) else {
        let known = LiveExchanges.names
        throw WickError.invalidArgument(
          "--live --exchange \(spec.exchange): this build trades live on \(known.isEmpty ? "no exchange" : known.joined(separator: ", "))"
        )
      }
      let credentials = try LiveCredentials.fromEnvironment(exchange: spec.exchange)
      return try exchange.makeVenue(spec: spec, credentials: credentials, leverage: leverage)
    }
  }
}

/// API keys for live trading, from the environment only (`WICK_<EXCHANGE>_API_KEY` and
/// `WICK_<EXCHANGE>_API_SECRET`). Never printed, logged or stored.
public struct LiveCredentials: Sendable, CustomStringConvertible {
  public let apiKey: String
  public let apiSecret: String

  public init(apiKey: String, apiSecret: String) {
    self.apiKey = apiKey
    self.apiSecret = apiSecret
  }

  /// `WICK_BYBIT_API_KEY` for `bybit`.
  public static func keyVariable(_ exchange: String) -> String {
    "WICK_\(exchange.uppercased())_API_KEY"
  }
  public static func secretVariable(_ exchange: String) -> String {
    "WICK_\(exchange.uppercased())_API_SECRET"
  }

  public static func fromEnvironment(
    exchange: String, _ env: [String: String] = ProcessInfo.processInfo.environment
  ) throws -> LiveCredentials {
    let keyVariable = keyVariable(exchange)
    let secretVariable = secretVariable(exchange)
    guard let key = env[keyVariable], !key.isEmpty, let secret = env[secretVariable],
      !secret.isEmpty
    else {
      throw WickError.invalidArgument(
        "--live needs API keys in \(keyVariable) and \(secretVariable) (the environment, never a file or flag)"
      )
    }
    return LiveCredentials(apiKey: key, apiSecret: secret)
  }

  /// Redacted: a key must never reach a log or an error message.
  public var description: String { "LiveCredentials(redacted)" }
}
