import ArgumentParser
import Foundation
import WickCore
import WickData

/// `wick check SCRIPT...`: loads each script in the sandbox, runs init and synthetic candles,
/// and reports problems with file:line. Exit status 1 on any problem (pre-commit hooks).
public struct CheckCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "check",
    abstract: "Check strategy scripts without a backtest: load, params, init, synthetic candles.",
    discussion: """
      Each script is loaded in the sandbox (syntax, unknown fields in the module table, params \
      and their defaults), then init and a few hundred synthetic candles run through the \
      backtest kernel, so a wrongly typed intent or a runtime error is reported with its \
      file:line. With --db, the script's symbols at its timeframe must be in the cache. \
      Exit status 1 when any script has a problem. Example (a git pre-commit hook):
        wick check strategies/*.lua --db wick.sqlite
      """)

  @Argument(help: "The strategy scripts (.lua).") var scripts: [String]
  @Option(help: "Comma-separated symbols (default: each script's own).") var symbols: String?
  @Option(name: .customLong("param"), help: "Check with a param override: name=value (repeatable).")
  var params: [String] = []
  @Option(name: .customLong("params"), help: "Check with a params file (JSON or TOML).")
  var paramsFile: String?
  @Option(help: "Candle cache: check that each script's series are stored in it.") var db: String?
  @Option(help: "Exchange of the cached series (with --db).") var exchange: String?
  @Flag(help: "Print the scripts' log lines.") var verbose = false

  public init() {}

  public func run() throws {
    let list = symbols.map {
      $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter {
        !$0.isEmpty
      }
    }
    var failed = 0
    for script in scripts {
      let check = ScriptCheck(
        path: script, symbols: list, paramsFile: paramsFile, paramAssignments: params,
        dbPath: db, exchange: exchange,
        onLog: verbose ? { print("  log \($0)") } : nil)
      let report = check.run()
      if report.problems.isEmpty {
        let refused = report.refusals.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
        print(
          "\(script): ok (\(report.candles) synthetic candles, \(report.trades) trades"
            + (refused.isEmpty ? "" : "; refused: \(refused.joined(separator: ", "))") + ")")
      } else {
        failed += 1
        for p in report.problems { printError("error: \(p)") }
      }
    }
    if failed > 0 {
      printError("\(failed) of \(scripts.count) scripts have problems")
      throw ExitCode(1)
    }
  }
}
