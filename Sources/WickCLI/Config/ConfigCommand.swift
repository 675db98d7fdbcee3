import ArgumentParser
import Foundation
import WickCore
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
    }
  }
}
