import ArgumentParser
import Foundation
import WickCore
import WickLive
import WickRisk

/// `wick doctor`: what a new live user runs first. One line per check, ✓ or ✗ with the fix;
/// exit status 1 when any check failed.
public struct DoctorCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "doctor",
    abstract: "Check an exchange account before trading live: one line per check, ✓ or ✗.",
    discussion: """
      Checks REST and WebSocket reachability, the clock offset, the keys (from \
      WICK_<EXCHANGE>_API_KEY and WICK_<EXCHANGE>_API_SECRET) and their permissions (a key that \
      may withdraw is a loud warning), the account and position modes, each symbol's margin and \
      leverage, and whether the config's sizing can ever meet the exchange's minimum order. \
      Nothing is changed on the account. Exit status 1 when any check failed. \
      Example:
        wick doctor --exchange binance --config wick.toml
      """)

  @Option(help: "bybit or binance.") var exchange: String = "bybit"
  @Flag(help: "The exchange's testnet (the default).") var testnet = false
  @Flag(help: "The exchange's mainnet.") var mainnet = false
  @Option(help: "Risk config (TOML); its [[run]] entries on this exchange name the symbols.")
  var config: String?
  @Option(name: .customLong("symbol"), help: "Symbol to check (repeatable; default: the config's).")
  var symbols: [String] = []
  @Option(help: "REST base URL (e.g. a local mock).") var baseURL: String?
  @Option(help: "WebSocket base URL.") var wsURL: String?

  public init() {}

  func request() throws -> DoctorRequest {
    if testnet && mainnet {
      throw WickError.invalidArgument("give --testnet or --mainnet, not both")
    }
    guard LiveAdapters.doctors[exchange] != nil else {
      throw WickError.invalidArgument(
        "--exchange \(exchange): expected \(LiveAdapters.doctors.keys.sorted().joined(separator: " or "))"
      )
    }
    let file = try config.map { try WickConfig.load(path: $0) }
    var names = symbols
    if names.isEmpty, let file {
      for entry in file.runs where entry.exchange == exchange {
        for s in entry.symbols where !names.contains(s) { names.append(s) }
      }
      for s in file.instruments.keys.sorted() where !names.contains(s) { names.append(s) }
    }
    if names.isEmpty { names = ["BTCUSDT"] }
    var credentials: LiveCredentials?
    var problem: String?
    do { credentials = try LiveCredentials.fromEnvironment(exchange: exchange) } catch {
      problem = "\(error)"
    }
    return DoctorRequest(
      mainnet: mainnet, baseURL: baseURL, wsURL: wsURL, symbols: names, timeframe: .oneMinute,
      risk: file?.risk ?? RiskConfig(), credentials: credentials, credentialsProblem: problem)
  }

  public func run() throws {
    let request = try request()
    print(
      "wick doctor: \(exchange) \(mainnet ? "MAINNET" : "testnet")\(baseURL.map { " at \($0)" } ?? ""), symbols \(request.symbols.joined(separator: ", "))"
    )
    let (lines, failed) = Doctor.render(LiveAdapters.doctors[exchange]!(request))
    for line in lines { print(line) }
    fflush(nil)
    if failed { throw ExitCode(1) }
  }
}
