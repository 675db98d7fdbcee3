import Foundation
import WickCore

/// Which limit stopped a callback (read from the C runtime after its pcall returned).
struct LimitTrip: Equatable {
  enum Kind: Int32 {
    case memory = 1
    case time = 2
    /// The bounded matcher's step budget (catastrophic backtracking).
    case stuck = 3
    /// Still running past the hard deadline: the host gave up on the state.
    case abandoned = 100
  }
  var kind: Kind
  /// The C function that was running (e.g. "string.find"), when a limit tripped inside one.
  var stuckIn: String?
  /// file:line where the limit tripped, when known.
  var location: String?

  /// What happened, in the words the error message starts with.
  func describe(_ limits: LuaLimits, budget: Double) -> String {
    switch kind {
    case .memory:
      return
        "memory limit exceeded: the strategy allocated more than its \(limits.memoryBytes >> 20) MB cap"
    case .time:
      let stuck = stuckIn.map { ": stuck in \($0)" } ?? ""
      return "time limit exceeded\(stuck) (the budget is \(formatNumber(budget)) s per call)"
    case .stuck:
      return
        "stuck in \(stuckIn ?? "C code"): the pattern backtracks too much (anchor it or make it less ambiguous)"
    case .abandoned:
      return
        "time limit exceeded: still running \(formatNumber(limits.hardDeadlineSeconds)) s past its \(formatNumber(budget)) s budget inside C code that no limit reaches; the strategy's Lua state was abandoned"
    }
  }
}

extension LimitTrip {
  /// How each `describe` text starts: what marks an error message as a tripped limit.
  static let heads = ["memory limit exceeded", "time limit exceeded", "stuck in "]
}

/// Tells a sandbox limit (time, memory, a stuck pattern, a state abandoned at the hard deadline)
/// from the script's own error by the message, for failures while a script loads, before there
/// is a strategy to ask (afterwards `LuaStrategy.stoppedByLimit` knows it from the runtime).
/// `wick optimize` records a set the sandbox stopped as failed and goes on; the script's own
/// error still ends the sweep.
public enum SandboxLimit {
  public static func stopped(_ message: String) -> Bool {
    // The first line: "[file.lua[:line]: ]<what happened>".
    let head = message.prefix { $0 != "\n" }
    return LimitTrip.heads.contains { head.hasPrefix($0) || head.contains(": " + $0) }
  }
}

/// Formats a Lua error for a human: the message with its file:line first, then where the host
/// was (callback, symbol, candle time), then the Lua frames of the traceback.
enum ScriptFailure {
  static func message(
    _ raw: String, callback: String, symbol: String? = nil, time: Int64? = nil,
    trip: LimitTrip? = nil, limits: LuaLimits = LuaLimits(), budget: Double = 0
  ) -> String {
    var lines = raw.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    var head = lines.isEmpty ? "(no message)" : lines.removeFirst()
    // A tripped limit is the first failure: whatever the script's handlers raised after it
    // (including "error in error handling") is a later symptom.
    let limit = trip ?? (head == "not enough memory" ? LimitTrip(kind: .memory) : nil)
    if let limit {
      // Where it tripped; else where the message says; else the innermost script frame.
      let location =
        limit.location ?? scriptLocation(in: head)
        ?? lines.lazy.map { $0.trimmingCharacters(in: .whitespaces) }.compactMap(scriptLocation)
        .first
      head = (location.map { $0 + ": " } ?? "") + limit.describe(limits, budget: budget)
    }
    return head + "\n" + context(callback: callback, symbol: symbol, time: time)
      + traceback(lines)
  }

  /// "  in on_candle for BTCUSDT at candle 2024-01-01T00:00:00Z"
  static func context(callback: String, symbol: String?, time: Int64?) -> String {
    var context = "  in \(callback)"
    if let symbol { context += " for \(symbol)" }
    if let time { context += " at candle \(UTCTime.iso(time))" }
    return context
  }

  /// Keeps the script's own frames; drops the C and host frames of the traceback.
  private static func traceback(_ lines: [String]) -> String {
    let frames = lines.filter { $0.contains(".lua:") && !$0.contains("[C]") }.prefix(8)
      .map { "    " + $0.trimmingCharacters(in: .whitespaces) }
    return frames.isEmpty ? "" : "\n  traceback:\n" + frames.joined(separator: "\n")
  }

  /// "probe.lua:3" from "probe.lua:3: time limit exceeded", when the message starts with one.
  private static func scriptLocation(in head: String) -> String? {
    let parts = head.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
    guard parts.count == 3, parts[0].hasSuffix(".lua"), Int(parts[1]) != nil else { return nil }
    return "\(parts[0]):\(parts[1])"
  }
}
