import ArgumentParser
import Foundation
import WickCore
import WickReport

/// `wick report …`: reading backtest results after the fact.
public struct ReportCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "report",
    abstract: "Read and compare backtest results (the files of wick backtest --json).",
    subcommands: [ReportCompare.self])
  public init() {}
}

/// `wick report compare A.json B.json [--html OUT]`.
public struct ReportCompare: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "compare",
    abstract: "Two backtests side by side: every metric with its change, equity overlaid.",
    discussion: """
      Example:
        wick backtest strategies/ma_cross.lua --param period=60 --json a.json
        wick backtest strategies/ma_cross.lua --param period=120 --json b.json
        wick report compare a.json b.json --html compare.html
      """)

  @Argument(help: "The first result (wick backtest --json).") var a: String
  @Argument(help: "The second result.") var b: String
  @Option(help: "Also write a self-contained HTML comparison here.") var html: String?

  public init() {}

  public func run() throws {
    do {
      let comparison = ResultComparison(
        a: try ResultComparison.Run(path: a), b: try ResultComparison.Run(path: b))
      print(comparison.text())
      if let html {
        try OutputFile.write(comparison.html(), to: html, durable: false)
        print("html: \(html)")
      }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }
}
