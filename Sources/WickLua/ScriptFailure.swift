import Foundation
import WickCore

/// Formats a Lua error for a human: the message with its file:line first, then where the host
/// was (callback, symbol, candle time), then the Lua frames of the traceback.
enum ScriptFailure {
  static func message(
    _ raw: String, callback: String, symbol: String? = nil, time: Int64? = nil, limitHit: Int32 = 0
  )
    -> String
  {
    var lines = raw.split(separator: "\n", omittingEmptySubsequences: true).map(String.init)
    var head = lines.isEmpty ? "(no message)" : lines.removeFirst()
    if limitHit == 1 || head == "not enough memory" {
      head = "memory limit exceeded: the strategy allocated more than its cap"
    }
    var context = "in \(callback)"
    if let symbol { context += " for \(symbol)" }
    if let time { context += " at candle \(UTCTime.iso(time))" }
    // Keep the script's own frames; drop the C and host frames of the traceback.
    let frames = lines.filter { $0.contains(".lua:") && !$0.contains("[C]") }.prefix(8)
      .map { "    " + $0.trimmingCharacters(in: .whitespaces) }
    return ([head, "  " + context] + (frames.isEmpty ? [] : ["  traceback:"] + frames)).joined(
      separator: "\n")
  }
}
