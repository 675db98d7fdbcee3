import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick stop [--flatten]`: halts every running run from another terminal (seed 004's emergency
/// stop), through the `run_commands` table, and waits for each runner's answer.
public struct StopCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "stop",
    abstract: "Halt running paper/live runs (with --flatten: close every position first).")

  @Flag(help: "Close every position at market before halting (emergency stop).") var flatten = false
  @Option(name: .customLong("run"), help: "Only this run (default: every running run).") var runID:
    Int64?
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Option(help: "Seconds to wait for the runners' answers.") var timeout: Double = 15

  public init() {}

  public func run() throws {
    do {
      let ledger = try RunLedger(store: try CandleStore(path: db))
      let targets = try ledger.runs().filter {
        ["running", "paused"].contains($0.status) && (runID == nil || $0.id == runID)
      }
      guard !targets.isEmpty else {
        print("no running run in \(db)")
        return
      }
      let kind = flatten ? "emergency_stop" : "stop"
      let ids = try targets.map {
        ($0.id, try ledger.insertCommand(run: $0.id, kind: kind, source: "wick stop"))
      }
      let deadline = Date().addingTimeInterval(timeout)
      var unanswered = 0
      for (runID, command) in ids {
        if let a = try awaitAnswer(ledger, command: command, until: deadline) {
          print("run \(runID): \(a.status): \(a.outcome ?? "")")
        } else {
          unanswered += 1
          print(
            "run \(runID): no answer within \(Int(timeout)) s (is its runner alive?); the command stays pending"
          )
        }
      }
      if unanswered > 0 { throw ExitCode(1) }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }
}
