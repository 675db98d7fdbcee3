import ArgumentParser
import Foundation
import WickCore
import WickLive
import WickRisk

/// `wick config …`: the risk and cost configuration (`wick.toml`).
public struct ConfigCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "config", abstract: "Validate the risk and cost configuration.",
    subcommands: [ConfigCheck.self])
  public init() {}
}

/// `wick config check [FILE]`: parses and validates a config, printing the limits it puts in force.
public struct ConfigCheck: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check a wick.toml: unknown keys and out-of-range values are errors with their line.")
  @Argument(help: "The config file.") var file: String = "wick.toml"
  public init() {}

  public func run() throws {
    try reportingErrors {
      let config = try WickConfig.load(path: file)
      // [[run]] entries are checked as `wick run --config` checks them (files, scripts, repeats).
      let runs =
        config.runs.isEmpty
        ? [] : try RunPlan.specs(config: config, configPath: file, dbPath: "", stopAfter: nil)
      let engine = RiskEngine(
        config: config, strategy: "*",
        symbols: config.accounts.map(\.symbol).isEmpty ? ["*"] : config.accounts.map(\.symbol),
        initialEquity: 10_000)
      print("\(file): ok")
      for line in engine.limitsInForce + config.schedule.summary { print("  \(line)") }
      for a in config.accounts {
        print(
          "  account \(a.name): \(a.strategy ?? "any strategy") × \(a.symbol), allocation \(formatNumber(a.allocation))"
        )
      }
      for (entry, spec) in zip(config.runs, runs) {
        print(
          "  run \(entry.index): \(entry.strategy) \(spec.symbols.joined(separator: ",")) \(spec.timeframe) \(spec.mode.rawValue)\(spec.mode == .live ? (spec.testnet ? " (testnet)" : " (MAINNET)") : ""), equity \(formatNumber(spec.initialEquity))"
        )
        // Its own [run.schedule], in place of [schedule].
        for line in entry.schedule?.summary ?? [] { print("    \(line)") }
      }
    }
  }
}
