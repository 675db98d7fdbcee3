/// A candle interval such as `1m`, `5m`, `4h` or `1d`, aligned to UTC boundaries.
///
///     let tf = try Timeframe(parsing: "4h")   // tf.milliseconds == 14_400_000
public struct Timeframe: Hashable, Sendable, CustomStringConvertible, Comparable {
  public let milliseconds: Int64

  public init(milliseconds: Int64) {
    precondition(milliseconds > 0)
    self.milliseconds = milliseconds
  }

  /// Accepts `<n>s`, `<n>m`, `<n>h`, `<n>d`, `<n>w`.
  public init(parsing text: String) throws {
    let units: [Character: Int64] = [
      "s": 1_000, "m": 60_000, "h": 3_600_000, "d": 86_400_000, "w": 604_800_000,
    ]
    guard let unit = text.last, let scale = units[unit], let n = Int64(text.dropLast()), n > 0
    else {
      throw WickError.invalidArgument(
        "timeframe '\(text)': expected a number and a unit s, m, h, d or w (e.g. 1m, 5m, 4h, 1d)")
    }
    self.init(milliseconds: n * scale)
  }

  public static let oneMinute = Timeframe(milliseconds: 60_000)

  public var description: String {
    for (unit, scale) in [
      ("w", Int64(604_800_000)), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000),
    ]
    where milliseconds % scale == 0 {
      return "\(milliseconds / scale)\(unit)"
    }
    return "\(milliseconds)ms"
  }

  /// The open time of the candle of this timeframe containing `time` (UTC-aligned).
  public func floor(_ time: Int64) -> Int64 {
    let r = time % milliseconds
    return r >= 0 ? time - r : time - r - milliseconds
  }

  public static func < (a: Timeframe, b: Timeframe) -> Bool { a.milliseconds < b.milliseconds }
}
