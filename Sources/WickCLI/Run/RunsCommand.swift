import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick runs ls`: paper and live runs with their mode, status, equity and open positions;
/// `wick runs show ID` and `wick runs trades ID`: one run's metrics and closed trades.
public struct RunsCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "runs", abstract: "Paper and live runs in the ledger.",
    subcommands: [RunsList.self, RunsShow.self, RunsTrades.self])
  public init() {}
}

public struct RunsList: ParsableCommand {
  /// A run still marked running whose runner has not written a heartbeat for a minute has most
  /// likely crashed: the same `wick run` command resumes it.
  static func status(
    _ status: String, heartbeatAt: Int64?, now: Int64 = Int64(Date().timeIntervalSince1970 * 1000)
  ) -> String {
    guard ["running", "paused"].contains(status), let beat = heartbeatAt, now - beat > 60_000
    else { return status }
    return "stale"
  }

  public static let configuration = CommandConfiguration(
    commandName: "ls", abstract: "List runs: mode, status, equity, open positions.")
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  public init() {}

  public func run() throws {
    do {
      let ledger = try RunLedger(store: try CandleStore(path: db))
      let rows = try ledger.runs()
      guard !rows.isEmpty else {
        print("no paper or live runs in \(db)")
        return
      }
      func pad(_ s: String, _ n: Int) -> String {
        s.padding(toLength: max(n, s.count), withPad: " ", startingAt: 0)
      }
      print(
        [
          pad("id", 5), pad("mode", 6), pad("status", 8), pad("strategy", 14), pad("symbols", 18),
          pad("tf", 4), pad("equity", 12), pad("open", 5), "last candle",
        ].joined(separator: " "))
      for r in rows {
        print(
          [
            pad("\(r.id)", 5), pad(r.kind, 6),
            pad(Self.status(r.status, heartbeatAt: r.heartbeatAt), 8), pad(r.strategy, 14),
            pad(r.symbols.joined(separator: ","), 18), pad(r.timeframe, 4),
            pad(String(format: "%.2f", r.finalEquity ?? r.initialEquity), 12),
            pad("\(r.openPositions)", 5),
            r.lastTime.map(UTCTime.iso) ?? "-",
          ].joined(separator: " "))
      }
    } catch let error as WickError {
      printError("error: \(error)")
      throw ExitCode(1)
    }
  }
}
