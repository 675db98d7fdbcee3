import Foundation

/// A control a run applies between candles: what `wick stop`, the dashboard and a resumed run's
/// recorded `control` decisions ask for. Parsed from the decision's JSON (`{"command": "pause"}`)
/// as a whole: a detail that is not that object, or names a command the runner does not know, is
/// refused with the reason (never half-applied because a word appears somewhere in the text).
enum RunControl: String, CaseIterable, Sendable {
  case pause
  case resume
  case emergencyStop = "emergency_stop"

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
    guard let control = RunControl(rawValue: command) else {
      let known = allCases.map(\.rawValue).joined(separator: ", ")
      return .failure(Refused(reason: "unknown command '\(command)' (known: \(known))"))
    }
    return .success(control)
  }

  /// The decision detail recorded for this control.
  var detailJSON: String { DecisionJSON.object([("command", .string(rawValue))]) }

  struct Refused: Error, Sendable, Equatable {
    var reason: String
  }
}
