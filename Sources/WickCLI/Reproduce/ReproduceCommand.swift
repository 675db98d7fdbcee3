import ArgumentParser
import Foundation
import WickCore

/// `wick reproduce RESULT.json`: re-runs the backtest a `--json` result describes and says
/// whether it gets the same metrics and trades, and which recorded input differs.
public struct ReproduceCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "reproduce",
    abstract: "Re-run a backtest from its --json result and check the metrics and trades match.",
    discussion: """
      Runs the script, params, range, costs and config the result's "reproduce" object records \
      (paths as recorded, relative to where the backtest ran), then compares. Exits 1 when the \
      metrics or trades differ; either way it names every input that is no longer the same: \
      the Wick version, the script's or a plugin's SHA-256, the config's, a param, a cost, or a \
      series' candles (count, range, fingerprint).

      Example:
        wick backtest strategies/ma_cross.lua --json out.json && wick reproduce out.json
      """)

  @Argument(help: "A result written by wick backtest --json.") var file: String
  @Option(help: "Candle cache to read instead of the one recorded.") var db: String?

  public init() {}

  public func run() throws {
    do {
      let r = try Reproduction.run(file: file, db: db)
      print(r.report)
      if !r.reproduced { throw ExitCode(1) }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }
}
