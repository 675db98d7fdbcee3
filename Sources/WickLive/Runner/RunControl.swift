import Foundation

/// A control a run applies between candles: what `wick stop`, the dashboard and a resumed run's
/// recorded `control` decisions ask for. Parsed from the decision's JSON (`{"command": "pause"}`)
/// as a whole: a detail that is not that object, or names a command the runner does not know, is
/// refused with the reason (never half-applied because a word appears somewhere in the text).
enum RunControl: Equatable, Sendable {
  case pause
  case resume
  case emergencyStop
  /// The user's reset of a killed virtual account, by its name (`{"command": "reset_account",
  /// "account": "ma_cross:BTCUSDT", "reason": "…"}`): it may open positions again.
  case resetAccount(account: String, reason: String)

  /// The `command` values, as the runner and the dashboard name them.
  static let commands = ["pause", "resume", "emergency_stop", "reset_account"]

  var command: String {
    switch self {
    case .pause: "pause"
    case .resume: "resume"
    case .emergencyStop: "emergency_stop"
    case .resetAccount: "reset_account"
    }
  }

  /// The control a recorded detail asks for, or why it is refused.
  static func parse(detailJSON: String) -> Result<RunControl, Refused> {
    guard
      let object = try? JSONSerialization.jsonObject(with: Data(detailJSON.utf8))
        as? [String: Any]
    else {
      return .failure(
        Refused(reason: "control detail is not a JSON object: \(detailJSON.prefix(80))"))
    }
    guard let command = object["command"] as? String else {
      return .failure(
        Refused(reason: "control detail has no \"command\" string: \(detailJSON.prefix(80))"))
    }
    switch command {
    case "pause": return .success(.pause)
    case "resume": return .success(.resume)
    case "emergency_stop": return .success(.emergencyStop)
    case "reset_account":
      guard let account = object["account"] as? String, !account.isEmpty else {
        return .failure(
          Refused(reason: "reset_account needs the \"account\" to reset, by name"))
      }
      return .success(.resetAccount(account: account, reason: object["reason"] as? String ?? ""))
    default:
      let known = commands.joined(separator: ", ")
      return .failure(Refused(reason: "unknown command '\(command)' (known: \(known))"))
    }
  }

  /// The decision detail recorded for this control.
  var detailJSON: String {
    guard case .resetAccount(let account, let reason) = self else {
      return DecisionJSON.object([("command", .string(command))])
    }
    return DecisionJSON.object([
      ("command", .string(command)), ("account", .string(account)),
      ("reason", reason.isEmpty ? nil : .string(reason)),
    ])
  }

  struct Refused: Error, Sendable, Equatable {
    var reason: String
  }
}
