import Foundation
import GRDB
import WickCore
import WickLua

/// Turns a control request into a `run_commands` row: the dashboard's forms and the CLI's
/// `wick pause`, `wick resume`, `wick set-param` and `wick reset-account` share its checks. The
/// runner polls pending rows and writes the outcome. A request the dashboard refuses (a parameter
/// outside the script's declared range, a run that is not running) is recorded as `rejected`
/// with the reason, so the page's command list shows every attempt; the CLI prints the reason
/// and records nothing.
public struct CommandDesk: Sendable {
  let store: DashboardStore
  let catalog: ParamCatalog

  init(store: DashboardStore, catalog: ParamCatalog) {
    self.store = store
    self.catalog = catalog
  }

  public init(store: DashboardStore) { self.init(store: store, catalog: ParamCatalog()) }

  /// The command kinds the dashboard sends.
  public static let kinds: Set<String> = [
    "emergency_stop", "stop", "pause", "resume", "set_param", "reset_account",
  ]

  enum Outcome: Sendable, Equatable {
    /// Queued for the runner, with its `run_commands.id`.
    case queued(Int64)
    /// Refused by the dashboard with the reason (recorded with this id when the run exists).
    case rejected(id: Int64?, reason: String)
  }

  /// A command that passed the checks, ready to queue.
  public struct Checked: Sendable, Equatable {
    public var run: Int64
    public var kind: String
    public var payloadJSON: String
  }

  /// - Parameters:
  ///   - name, value: `set_param`'s parameter and value.
  ///   - account, reason: `reset_account`'s killed account and why it may trade again.
  func submit(
    run: Int64, kind: String, name: String?, value: String?, account: String? = nil,
    reason: String? = nil
  ) throws -> Outcome {
    guard Self.kinds.contains(kind) else {
      return .rejected(id: nil, reason: Self.unknownKind(kind))
    }
    guard let detail = try store.run(run, history: false) else {
      return .rejected(id: nil, reason: "there is no run \(run)")
    }
    let payload: String
    do {
      payload = try self.payload(
        detail, kind: kind, changes: [(name, value)], account: account, reason: reason,
        source: "dashboard")
    } catch {
      let why = (error as? WickError)?.description ?? "\(error)"
      let id = try store.recordCommand(
        run: run, kind: kind,
        payloadJSON: kind == "reset_account"
          ? JSONValue.object([
            ("account", .string(account ?? "")), ("reason", .string(reason ?? "")),
          ]).json
          : rejectedPayload(name: name, value: value, fallback: "{}"),
        status: "rejected", outcome: "rejected by the dashboard: \(why)")
      return .rejected(id: id, reason: why)
    }
    return .queued(
      try store.recordCommand(
        run: run, kind: kind, payloadJSON: payload, status: "pending", outcome: nil))
  }

  /// The dashboard's checks without its record of refusals: the checked command, or the reason
  /// it is refused (`WickError.invalidArgument`). `source` prefixes a parameter's error.
  public func check(
    run: Int64, kind: String, name: String? = nil, value: String? = nil, account: String? = nil,
    reason: String? = nil, source: String
  ) throws -> Checked {
    try check(
      run: run, kind: kind, changes: [(name, value)], account: account, reason: reason,
      source: source)
  }

  /// Several param changes as one `set_param` command: the runner swaps them in together (one
  /// reload), or none of them, so a script that checks params against each other (`fast <
  /// slow`) never sees half of the change. Each is checked as `check` does; one refusal refuses
  /// all.
  public func check(run: Int64, params: [(name: String, value: String)], source: String) throws
    -> Checked
  {
    try check(
      run: run, kind: "set_param", changes: params.map { ($0.name, $0.value) }, account: nil,
      reason: nil, source: source)
  }

  private func check(
    run: Int64, kind: String, changes: [(name: String?, value: String?)], account: String?,
    reason: String?, source: String
  ) throws -> Checked {
    guard Self.kinds.contains(kind) else { throw WickError.invalidArgument(Self.unknownKind(kind)) }
    guard let detail = try store.run(run, history: false) else {
      throw WickError.invalidArgument("there is no run \(run) in \(store.path)")
    }
    return Checked(
      run: run, kind: kind,
      payloadJSON: try payload(
        detail, kind: kind, changes: changes, account: account, reason: reason, source: source))
  }

  /// Queues a checked command for its runner; returns its `run_commands.id`.
  public func queue(_ c: Checked, source: String) throws -> Int64 {
    try store.recordCommand(
      run: c.run, kind: c.kind, payloadJSON: c.payloadJSON, status: "pending", outcome: nil,
      source: source)
  }

  private static func unknownKind(_ kind: String) -> String {
    "unknown command '\(kind)' (expected one of \(kinds.sorted().joined(separator: ", ")))"
  }

  /// The payload a runner reads, once the run is active and the command's details pass.
  private func payload(
    _ detail: RunDetail, kind: String, changes: [(name: String?, value: String?)],
    account: String?, reason: String?, source: String
  ) throws -> String {
    guard detail.summary.isActive else {
      throw WickError.invalidArgument(
        "run \(detail.summary.id) is \(detail.summary.status): commands go to running or paused runs"
      )
    }
    switch kind {
    case "set_param": return try paramPayload(detail, changes, source: source)
    case "reset_account": return try resetPayload(detail, account: account, reason: reason)
    default: return "{}"
    }
  }

  /// `{"name":"period","value":20}` for one change, `{"params":{"fast":5,"slow":8}}` for
  /// several (applied together), once every value passes the script's declaration.
  private func paramPayload(
    _ d: RunDetail, _ changes: [(name: String?, value: String?)], source: String
  ) throws -> String {
    guard !changes.isEmpty else { throw WickError.invalidArgument("choose a parameter") }
    var specs: [ParamSpec]?
    var seen: Set<String> = []
    let checked: [(key: String, value: JSONValue)] = try changes.map { change in
      guard let name = change.name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
        throw WickError.invalidArgument("choose a parameter")
      }
      guard let raw = change.value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
        throw WickError.invalidArgument("param '\(name)': enter a value")
      }
      guard seen.insert(name).inserted else {
        throw WickError.invalidArgument("param '\(name)' is given twice")
      }
      if specs == nil {
        specs = try catalog.specs(
          scriptPath: d.scriptPath,
          symbols: d.summary.symbols.split(separator: ",").map(String.init))
      }
      let declared = specs ?? []
      guard let spec = declared.first(where: { $0.name == name }) else {
        throw WickError.invalidArgument(
          "unknown param '\(name)' (the strategy declares: \(declared.map(\.name).joined(separator: ", ")))"
        )
      }
      if case .list = spec.kind {
        throw WickError.invalidArgument("param '\(name)' is a list: change it in the params file")
      }
      let typed: ParamValue = Double(raw).map(ParamValue.number) ?? .string(raw)
      return (name, JSONValue(try spec.validate(typed, source: source)))
    }
    if checked.count == 1, let (name, value) = checked.first {
      return JSONValue.object([("name", .string(name)), ("value", value)]).json
    }
    return JSONValue.object([("params", .object(checked))]).json
  }

  /// `{"account":"ma_cross:BTCUSDT","reason":"…"}` for an account the page shows killed, with
  /// the user's reason (recorded with the reset).
  private func resetPayload(_ d: RunDetail, account: String?, reason: String?) throws -> String {
    guard let name = account?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
      throw WickError.invalidArgument("choose the account to reset")
    }
    guard let row = d.accounts.first(where: { $0.name == name }) else {
      throw WickError.invalidArgument(
        "no account '\(name)' in run \(d.summary.id) (accounts: \(d.accounts.map(\.name).joined(separator: ", ")))"
      )
    }
    guard RiskSnapshot(stateJSON: d.stateJSON).kill(of: row) != nil else {
      throw WickError.invalidArgument("account '\(name)' is not killed")
    }
    guard let why = reason?.trimmingCharacters(in: .whitespacesAndNewlines), !why.isEmpty else {
      throw WickError.invalidArgument("say why account '\(name)' may trade again")
    }
    return JSONValue.object([("account", .string(name)), ("reason", .string(why))]).json
  }

  private func rejectedPayload(name: String?, value: String?, fallback: String) -> String {
    guard name != nil || value != nil else { return fallback }
    return JSONValue.object([("name", .string(name ?? "")), ("value", .string(value ?? ""))]).json
  }
}

extension JSONValue {
  init(_ p: ParamValue) {
    switch p {
    case .number(let d): self = .number(d)
    case .bool(let b): self = .bool(b)
    case .string(let s): self = .string(s)
    case .list(let items): self = .array(items.map(JSONValue.init))
    case .table(let kv): self = .object(kv.map { ($0.0, JSONValue($0.1)) })
    }
  }
}

extension DashboardStore {
  /// Inserts a `run_commands` row (from the dashboard unless `source` says otherwise) and returns
  /// its id.
  func recordCommand(
    run: Int64, kind: String, payloadJSON: String, status: String, outcome: String?,
    source: String = "dashboard"
  )
    throws -> Int64
  {
    try write { db in
      let now = nowMilliseconds()
      try db.execute(
        sql: """
          INSERT INTO run_commands (run_id, kind, payload_json, source, created_at, status, outcome, handled_at)
          VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          """,
        arguments: [
          run, kind, payloadJSON, source, now, status, outcome, status == "pending" ? nil : now,
        ])
      return db.lastInsertedRowID
    }
  }
}
