import ArgumentParser
import Foundation
import WickCore
import WickData
import WickServer

/// `wick pause`, `wick resume`, `wick set-param` and `wick reset-account`: the dashboard's run
/// controls from a terminal. They go through the dashboard's `CommandDesk` (the same checks:
/// an active run, a declared param within its range, a killed account and a reason) into the
/// `run_commands` table, which the runner polls between candles. A refused request prints why
/// and queues nothing.

/// `--db` and `--wait`, shared by the control commands.
struct ControlOptions: ParsableArguments {
  @Option(help: "Candle cache and ledger (SQLite).") var db: String = CandleStore.defaultPath
  @Option(
    help: ArgumentHelp(
      "Wait up to this many seconds for the runner to apply the command and print its outcome.",
      valueName: "seconds"))
  var wait: Double?

  func validate() throws {
    if let wait, !(wait > 0 && wait.isFinite) {
      throw ValidationError("--wait \(wait): expected a positive number of seconds")
    }
  }

  /// The desk over the existing ledger (never creates one: a typo in --db is an error).
  func desk() throws -> CommandDesk {
    guard FileManager.default.fileExists(atPath: db) else {
      throw WickError.data("no ledger at \(db); pass --db with the file `wick run` writes")
    }
    return CommandDesk(store: try DashboardStore(path: db))
  }

  /// Queues every checked command (all were checked first: one refusal queues none), then with
  /// `--wait` prints each runner's answer; exits 1 when a runner refused one or did not answer.
  func send(_ commands: [(CommandDesk.Checked, label: String)], desk: CommandDesk, source: String)
    throws
  {
    let ids = try commands.map { ($0, try desk.queue($0.0, source: source)) }
    guard let wait else {
      for ((c, label), id) in ids {
        print(
          "run \(c.run): \(label): queued (command \(id)); the runner applies it between candles")
      }
      return
    }
    let ledger = try RunLedger(store: try CandleStore(path: db))
    let deadline = Date().addingTimeInterval(wait)
    var failed = false
    for ((c, label), id) in ids {
      if let answer = try awaitAnswer(ledger, command: id, until: deadline) {
        print("run \(c.run): \(label): \(answer.status): \(answer.outcome ?? "")")
        failed = failed || answer.status != "done"
      } else {
        failed = true
        print(
          "run \(c.run): \(label): no answer within \(formatNumber(wait)) s (is its runner alive?); the command stays pending"
        )
      }
    }
    if failed { throw ExitCode(1) }
  }
}

/// The runner's answer to command `id` (its row once it is no longer pending), or nil when none
/// came by `deadline`.
func awaitAnswer(_ ledger: RunLedger, command id: Int64, until deadline: Date) throws
  -> RunLedger.Command?
{
  while true {
    if let answer = try ledger.command(id), answer.status != "pending" { return answer }
    if Date() >= deadline { return nil }
    Thread.sleep(forTimeInterval: 0.2)
  }
}

extension ControlOptions {
  /// Checks and queues a command that carries nothing but its kind (pause, resume) for `run`,
  /// with `wick KIND` as its source.
  func queue(_ kind: String, run: Int64) throws {
    let source = "wick \(kind)"
    let desk = try desk()
    let checked = try desk.check(run: run, kind: kind, source: source)
    try send([(checked, kind)], desk: desk, source: source)
  }
}

/// `wick pause RUN`: no new entries; open positions keep their stops and exits.
public struct PauseCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "pause",
    abstract: "Pause a running run: no new entries; open positions keep their stops and exits.")

  @Argument(help: ArgumentHelp("The run's id (wick runs ls).", valueName: "run")) var runID: Int64
  @OptionGroup var control: ControlOptions

  public init() {}

  public func run() throws {
    try reportingErrors { try control.queue("pause", run: runID) }
  }
}

/// `wick resume RUN`: entries allowed again after a pause.
public struct ResumeCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "resume", abstract: "Resume a paused run: entries are allowed again.")

  @Argument(help: ArgumentHelp("The run's id (wick runs ls).", valueName: "run")) var runID: Int64
  @OptionGroup var control: ControlOptions

  public init() {}

  public func run() throws {
    try reportingErrors { try control.queue("resume", run: runID) }
  }
}

/// `wick set-param RUN NAME=VALUE…`: a params-only change of a running run, swapped in between
/// candles through hot reload, as the dashboard's parameter form does.
public struct SetParamCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "set-param",
    abstract: "Change a running run's params (checked against the script's declaration).",
    discussion: """
      Each NAME=VALUE must name a param the script declares, with a value of its type within its \
      declared range; if any is refused, none is queued. The runner swaps them all in together \
      between candles (one command, one reload that replays the warmup), or none of them when the \
      script refuses the new combination.
      """)

  @Argument(help: ArgumentHelp("The run's id (wick runs ls).", valueName: "run")) var runID: Int64
  @Argument(help: ArgumentHelp("Param changes, e.g. every=5.", valueName: "name=value"))
  var assignments: [String] = []
  @OptionGroup var control: ControlOptions

  public init() {}

  /// `NAME=VALUE` pairs, split at the first `=` (a name given twice is the desk's refusal).
  static func parse(_ assignments: [String]) throws -> [(name: String, value: String)] {
    guard !assignments.isEmpty else {
      throw WickError.invalidArgument("give at least one NAME=VALUE, e.g. every=5")
    }
    return try assignments.map { text in
      guard let eq = text.firstIndex(of: "=") else {
        throw WickError.invalidArgument("'\(text)': expected NAME=VALUE, e.g. every=5")
      }
      let name = text[..<eq].trimmingCharacters(in: .whitespaces)
      let value = text[text.index(after: eq)...].trimmingCharacters(in: .whitespaces)
      guard !name.isEmpty, !value.isEmpty else {
        throw WickError.invalidArgument("'\(text)': expected NAME=VALUE with both parts")
      }
      return (name, value)
    }
  }

  public func run() throws {
    try reportingErrors {
      let changes = try Self.parse(assignments)
      let desk = try control.desk()
      // One command for all the pairs: the runner swaps them in together, or none.
      let checked = try desk.check(run: runID, params: changes, source: "wick set-param")
      let label = "set_param " + changes.map { "\($0.name)=\($0.value)" }.joined(separator: " ")
      try control.send([(checked, label)], desk: desk, source: "wick set-param")
    }
  }
}

/// `wick reset-account RUN ACCOUNT --reason TEXT`: a killed virtual account may trade again.
public struct ResetAccountCommand: ParsableCommand {
  public static let configuration = CommandConfiguration(
    commandName: "reset-account",
    abstract: "Let a killed virtual account of a running run open positions again.",
    discussion: """
      The account must be killed (its drawdown limit hit); the reason is recorded with the reset \
      (an account_reset incident) and a resumed run re-applies it.
      """)

  @Argument(help: ArgumentHelp("The run's id (wick runs ls).", valueName: "run")) var runID: Int64
  @Argument(help: "The killed account, by name (e.g. ma_cross:BTCUSDT).") var account: String
  @Option(help: "Why the account may trade again (recorded with the reset).") var reason: String
  @OptionGroup var control: ControlOptions

  public init() {}

  public func run() throws {
    try reportingErrors {
      let desk = try control.desk()
      let checked = try desk.check(
        run: runID, kind: "reset_account", account: account, reason: reason,
        source: "wick reset-account")
      try control.send(
        [(checked, "reset_account \(account)")], desk: desk, source: "wick reset-account")
    }
  }
}
