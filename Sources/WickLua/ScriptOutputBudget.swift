import WickCore

/// Caps on what a script may write with `ctx:log` and `print`: lines per callback and bytes per
/// hour of candle time. Other people's scripts run unattended under systemd or with their output
/// in a file; without caps one `for` loop fills the disk the ledger lives on.
///
/// The hour is candle time, not wall time, so a backtest drops the same lines on every run.
/// Drops are said once: after a callback that went over its line cap, and at the first line over
/// an hour's byte budget (with the hour's count once a later hour's first line arrives).
struct ScriptOutputBudget {
  let linesPerCallback: Int
  let bytesPerHour: Int
  /// Lines asked for in the current callback (kept or dropped); 0 between callbacks.
  private(set) var linesThisCallback = 0
  private var droppedThisCallback = 0
  private var hour: Int64 = .min
  private var bytesThisHour = 0
  private var droppedThisHour = 0
  private var droppedBytesThisHour = 0

  init(limits: LuaLimits) {
    linesPerCallback = limits.logLinesPerCallback
    bytesPerHour = limits.logBytesPerHour
  }

  /// Whether one more line fits this callback's cap; counts it either way.
  mutating func admitLine() -> Bool {
    linesThisCallback += 1
    if linesThisCallback > linesPerCallback {
      droppedThisCallback += 1
      return false
    }
    return true
  }

  /// Whether a line of `bytes` fits the byte budget of the hour holding `now`; notices to write
  /// first (the previous hour's drops, or the budget just running out), in order.
  mutating func admitBytes(_ bytes: Int, now: Int64, notices: inout [String]) -> Bool {
    let lineHour = UTCTime.floorDiv(now, 3_600_000)
    if lineHour != hour {
      if droppedThisHour > 0 {
        notices.append(
          "… \(droppedThisHour) log lines (\(droppedBytesThisHour) bytes) dropped in the hour"
            + " from \(UTCTime.iso(hour * 3_600_000)) (log_bytes_per_hour = \(bytesPerHour))")
      }
      hour = lineHour
      bytesThisHour = 0
      droppedThisHour = 0
      droppedBytesThisHour = 0
    }
    guard bytesThisHour + bytes > bytesPerHour else {
      bytesThisHour += bytes
      return true
    }
    if droppedThisHour == 0 {
      notices.append(
        "… script output reached log_bytes_per_hour (\(bytesPerHour) bytes) in the hour from"
          + " \(UTCTime.iso(hour * 3_600_000)): its lines are dropped until"
          + " \(UTCTime.iso((hour + 1) * 3_600_000))")
    }
    droppedThisHour += 1
    droppedBytesThisHour += bytes
    return false
  }

  /// Ends a callback that logged: the notice of the lines its cap dropped, if any.
  mutating func endCallback(_ callback: String) -> String? {
    defer {
      linesThisCallback = 0
      droppedThisCallback = 0
    }
    guard droppedThisCallback > 0 else { return nil }
    return "… \(droppedThisCallback) log lines dropped \(callback)"
      + " (log_lines_per_callback = \(linesPerCallback))"
  }

}
