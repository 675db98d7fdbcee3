import ArgumentParser
import Foundation
import WickCore
import WickData
import WickLive

/// `wick replay RUN_ID`: parity of a recorded paper/live session with the backtest kernel.
public struct ReplayCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "replay",
    abstract:
      "Re-run a recorded session's candles through the backtest kernel and compare decisions.")

  @Argument(help: "The run id (see wick runs ls).") var runID: Int64
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Option(help: "Write {identical, decisions, first_divergence} here.") var json: String?
  @Option(
    help: ArgumentHelp(
      "Replay with this config instead of the one the run recorded.",
      discussion:
        "For a live run recorded before the ledger kept the exchange's instrument rules: a copy of its config with [instrument.SYMBOL] tables."
    )) var config: String?

  public init() {}

  public func run() throws {
    let report: ReplayReport
    // A live run replays with its adapter's capabilities (which intents it refused).
    LiveAdapters.install()
    do {
      report = try Runner.replay(run: runID, dbPath: db, configPath: config)
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
    if let json {
      do { try Data(report.json.utf8).write(to: URL(fileURLWithPath: json)) } catch {
        printError("error: \(json): cannot write: \(error.localizedDescription)")
        throw ExitCode(1)
      }
    }
    if let d = report.firstDivergence {
      print("divergence at \(UTCTime.iso(d.time)) (decision \(d.seq))")
      print("  expected: \(d.expected)")
      print("  got:      \(d.got)")
      throw ExitCode(1)
    }
    print("identical: \(report.decisions) decisions")
  }
}
