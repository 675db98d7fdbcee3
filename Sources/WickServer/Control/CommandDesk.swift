import Foundation
import GRDB
import WickCore
import WickLua

/// Turns a control request from the page into a `run_commands` row. The runner polls pending
/// rows and writes the outcome; a request the dashboard refuses (a parameter outside the
/// script's declared range, a run that is not running) is recorded as `rejected` with the
/// reason, so the page's command list shows every attempt.
struct CommandDesk: Sendable {
  let store: DashboardStore
  let catalog: ParamCatalog

  /// The command kinds the dashboard sends.
  static let kinds: Set<String> = [
    "emergency_stop", "stop", "pause", "resume", "set_param", "reset_account",
  ]

  enum Outcome: Sendable, Equatable {
    /// Queued for the runner, with its `run_commands.id`.
    case queued(Int64)
    /// Refused by the dashboard with the reason (recorded with this id when the run exists).
    case rejected(id: Int64?, reason: String)
  }

  /// - Parameters:
  ///   - name, value: `set_param`'s parameter and value.
  ///   - account, reason: `reset_account`'s killed account and why it may trade again.
  func submit(
    run: Int64, kind: String, name: String?, value: String?, account: String? = nil,
    reason: String? = nil
  ) throws -> Outcome {
    guard Self.kinds.contains(kind) else {
      return .rejected(
        id: nil,
        reason:
          "unknown command '\(kind)' (expected one of \(Self.kinds.sorted().joined(separator: ", ")))"
      )
    }
    guard let detail = try store.run(run) else {
      return .rejected(id: nil, reason: "there is no run \(run)")
    }
    var payload = "{}"
    do {
      guard detail.summary.isActive else {
        throw WickError.invalidArgument(
          "run \(run) is \(detail.summary.status): commands go to running or paused runs")
      }
      if kind == "set_param" {
        payload = try paramPayload(detail, name: name, value: value)
      } else if kind == "reset_account" {
        payload = try resetPayload(detail, account: account, reason: reason)
      }
    } catch {
      let reason = (error as? WickError)?.description ?? "\(error)"
      let id = try store.recordCommand(
        run: run, kind: kind,
        payloadJSON: kind == "reset_account"
          ? JSONValue.object([
            ("account", .string(account ?? "")), ("reason", .string(reason ?? "")),
          ]).json
          : rejectedPayload(name: name, value: value, fallback: payload),
        status: "rejected", outcome: "rejected by the dashboard: \(reason)")
      return .rejected(id: id, reason: reason)
    }
    return .queued(
      try store.recordCommand(
        run: run, kind: kind, payloadJSON: payload, status: "pending", outcome: nil))
  }

  /// `{"name":"period","value":20}` once the value passes the script's declaration.
  private func paramPayload(_ d: RunDetail, name: String?, value: String?) throws -> String {
    guard let name = name?.trimmingCharacters(in: .whitespaces), !name.isEmpty else {
      throw WickError.invalidArgument("choose a parameter")
    }
    guard let raw = value?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else {
      throw WickError.invalidArgument("param '\(name)': enter a value")
    }
    let specs = try catalog.specs(
      scriptPath: d.scriptPath, symbols: d.summary.symbols.split(separator: ",").map(String.init))
    guard let spec = specs.first(where: { $0.name == name }) else {
      throw WickError.invalidArgument(
        "unknown param '\(name)' (the strategy declares: \(specs.map(\.name).joined(separator: ", ")))"
      )
    }
    if case .list = spec.kind {
      throw WickError.invalidArgument("param '\(name)' is a list: change it in the params file")
    }
    let typed: ParamValue = Double(raw).map(ParamValue.number) ?? .string(raw)
    let checked = try spec.validate(typed, source: "dashboard")
    return JSONValue.object([("name", .string(name)), ("value", JSONValue(checked))]).json
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
  /// Inserts a `run_commands` row from the dashboard and returns its id.
  func recordCommand(
    run: Int64, kind: String, payloadJSON: String, status: String, outcome: String?
  )
    throws -> Int64
  {
    try write { db in
      let now = nowMilliseconds()
      try db.execute(
        sql: """
          INSERT INTO run_commands (run_id, kind, payload_json, source, created_at, status, outcome, handled_at)
          VALUES (?, ?, ?, 'dashboard', ?, ?, ?, ?)
          """,
        arguments: [run, kind, payloadJSON, now, status, outcome, status == "pending" ? nil : now])
      return db.lastInsertedRowID
    }
  }
}
