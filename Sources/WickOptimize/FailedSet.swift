import WickCore

/// Thrown by a `TrialEvaluator` when the sandbox stopped a set: a time or memory limit, a stuck
/// pattern, or a Lua state the watchdog abandoned. A param value that makes the script too slow
/// or too big is an outcome of that value, so the sweep records the set as failed and goes on;
/// any other error (the script's own) still ends the sweep.
public struct TrialStopped: Error, Sendable, CustomStringConvertible {
  public var message: String
  public init(message: String) { self.message = message }
  public var description: String { message }
}

/// A set the sandbox stopped: in summary.json's `failed`, not in results.csv, so the same
/// command runs it again (a time limit depends on the machine's load).
public struct FailedSet: Sendable, Equatable {
  public var set: Int
  /// Walk-forward window (0 without walk-forward).
  public var window: Int
  /// `name=value` of each swept param, in axis order.
  public var params: [(name: String, value: ParamValue)]
  /// The sandbox's error, with file:line, the callback and the candle.
  public var error: String

  public init(set: Int, window: Int, params: [(name: String, value: ParamValue)], error: String) {
    self.set = set
    self.window = window
    self.params = params
    self.error = error
  }

  public static func == (a: FailedSet, b: FailedSet) -> Bool {
    a.set == b.set && a.window == b.window && a.error == b.error
      && a.params.map(\.name) == b.params.map(\.name)
      && a.params.map(\.value) == b.params.map(\.value)
  }

  /// "set 1 (x=2)", as errors name a set.
  public var name: String { Self.name(set: set, params: params) }

  static func name(set: Int, params: [(name: String, value: ParamValue)]) -> String {
    "set \(set) (" + params.map { "\($0.name)=\($0.value)" }.joined(separator: ", ") + ")"
  }

  /// The error's first line (what happened, and where).
  public var headline: String { String(error.prefix { $0 != "\n" }) }
}
