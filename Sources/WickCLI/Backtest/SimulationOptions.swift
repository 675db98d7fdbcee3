import ArgumentParser
import Foundation
import WickCore
import WickRisk
import WickSim

/// The costs, sizing and risk flags of a simulated run, shared by `wick backtest` and
/// `wick optimize` so that a sweep's row and a backtest of the same params cannot differ.
struct SimulationOptions: ParsableArguments {
  // Costs are optional so that a config's [costs] apply unless a flag is given explicitly.
  @Option(help: "Taker fee in basis points of notional (default 5.5, or the config's).")
  var feeBps: Double?
  @Option(
    help:
      "Maker fee in basis points, paid by limit-order fills (default 2.0, Bybit's; or the config's)."
  )
  var makerFeeBps: Double?
  @Option(help: "Bid-ask spread in basis points, half paid per fill (default 1, or the config's).")
  var spreadBps: Double?
  @Option(help: "Slippage in basis points per market fill (default 2, or the config's).")
  var slippageBps: Double?
  @Option(help: "Initial equity in quote currency.") var equity: Double = 10_000
  @Option(help: "Fraction of equity risked to the stop per trade.") var risk: Double = 0.01
  @Option(help: "Leverage cap used for sizing and margin.") var leverage: Double = 3
  @Option(help: "Funding rate per 8h for funding times without a stored rate (e.g. 0.0001).")
  var fundingRate: Double?
  @Option(help: "Probability that the venue rejects an order (seeded).") var rejectProb: Double = 0
  @Option(help: "Risk and cost config (TOML). Default: ./wick.toml when present.") var config:
    String?
  @Flag(help: "Ignore ./wick.toml: sizing and the mandatory stop only.") var noConfig = false

  /// Checks the values and applies them, and the config file's limits and costs, to `job`.
  func apply(to job: inout BacktestJob) throws {
    for case (let name, let v?) in [
      ("--fee-bps", feeBps), ("--spread-bps", spreadBps), ("--slippage-bps", slippageBps),
    ] where !(v >= 0 && v < 1_000) {
      throw WickError.invalidArgument(
        "\(name) \(v): expected a number of basis points between 0 and 1000")
    }
    // A maker rebate is a negative fee (as the config's maker_fee_bps allows).
    if let v = makerFeeBps, !(v > -100 && v < 1_000) {
      throw WickError.invalidArgument(
        "--maker-fee-bps \(v): expected a number of basis points between -100 and 1000")
    }
    guard equity > 0, equity.isFinite else {
      throw WickError.invalidArgument("--equity \(equity): must be positive")
    }
    guard risk > 0, risk <= 0.05 else {
      throw WickError.invalidArgument("--risk \(risk): expected a fraction in (0, 0.05]")
    }
    guard leverage >= 1, leverage <= 100 else {
      throw WickError.invalidArgument("--leverage \(leverage): expected 1 to 100")
    }
    guard rejectProb >= 0, rejectProb < 1 else {
      throw WickError.invalidArgument("--reject-prob \(rejectProb): expected [0, 1)")
    }
    if let f = fundingRate, !(abs(f) < 0.05) {
      throw WickError.invalidArgument("--funding-rate \(f): expected a per-8h rate such as 0.0001")
    }
    // A config file enables the account, governor and absolute limits; its [costs] replace the
    // cost flags' defaults (flags given explicitly on the command line still win).
    var loaded: WickConfig? = nil
    if !noConfig, let path = configPath {
      loaded = try WickConfig.load(path: path)
    }
    let defaults = FillModel()
    job.fills = FillModel(
      takerFeeBps: feeBps ?? loaded?.costs.takerFeeBps ?? defaults.takerFeeBps,
      makerFeeBps: makerFeeBps ?? loaded?.costs.makerFeeBps ?? defaults.makerFeeBps,
      spreadBps: spreadBps ?? loaded?.costs.spreadBps ?? defaults.spreadBps,
      slippageBps: slippageBps ?? loaded?.costs.slippageBps ?? defaults.slippageBps)
    job.initialEquity = equity
    job.riskPerTrade = risk
    job.leverage = leverage
    job.riskConfig = loaded
    job.riskConfigPath = loaded == nil ? nil : configPath
    job.fundingRate = fundingRate ?? loaded?.costs.fundingRate
    job.rejectProbability = loaded?.costs.rejectProbability ?? rejectProb
    if let seed = loaded?.costs.seed { job.seed = seed }
  }

  /// `--config`, else ./wick.toml when present.
  var configPath: String? {
    config ?? (FileManager.default.fileExists(atPath: "wick.toml") ? "wick.toml" : nil)
  }

  /// The flags as they would be typed, to repeat this simulation in a queued command.
  var arguments: [String] {
    var args = [
      "--equity", formatNumber(equity), "--risk", formatNumber(risk), "--leverage",
      formatNumber(leverage), "--reject-prob", formatNumber(rejectProb),
    ]
    for case (let flag, let v?) in [
      ("--fee-bps", feeBps), ("--maker-fee-bps", makerFeeBps), ("--spread-bps", spreadBps),
      ("--slippage-bps", slippageBps),
    ] {
      args += [flag, formatNumber(v)]
    }
    if let fundingRate { args += ["--funding-rate", formatNumber(fundingRate)] }
    if let config { args += ["--config", config] }
    if noConfig { args.append("--no-config") }
    return args
  }
}
