/// A candle interval such as `1m`, `5m`, `4h` or `1d`, aligned to UTC boundaries. Candles open at
/// whole multiples of the interval since 1970-01-01 00:00 UTC, except weeks: `1w` candles open on
/// Mondays at 00:00 UTC, as on Bybit, Binance and TradingView (pandas' `W-MON`), although the
/// epoch was a Thursday.
///
///     let tf = try Timeframe(parsing: "4h")   // tf.milliseconds == 14_400_000
///     Timeframe.week.floor(UTCTime.parse("2024-01-04T12:00:00Z")!)  // 2024-01-01T00:00:00Z, a Monday
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
  public static let week = Timeframe(milliseconds: 604_800_000)
  /// 1970-01-05 00:00 UTC, the first Monday after the epoch: where weeks start counting.
  static let firstMonday: Int64 = 4 * 86_400_000

  /// A time this timeframe's candles open at: 0 (the epoch), or the first Monday for whole weeks.
  public var origin: Int64 { milliseconds % Self.week.milliseconds == 0 ? Self.firstMonday : 0 }

  public var description: String {
    for (unit, scale) in [
      ("w", Int64(604_800_000)), ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000),
    ]
    where milliseconds % scale == 0 {
      return "\(milliseconds / scale)\(unit)"
    }
    return "\(milliseconds)ms"
  }

  /// The open time of the candle of this timeframe containing `time`. Every alignment check
  /// (fetching, importing, resampling) goes through here.
  public func floor(_ time: Int64) -> Int64 {
    // Both remainders are below one interval, so nothing overflows near the ends of Int64.
    var r = (time % milliseconds - origin) % milliseconds
    if r < 0 { r += milliseconds }
    return time - r
  }

  /// Whether a candle of this timeframe can open at `time`.
  public func isAligned(_ time: Int64) -> Bool { floor(time) == time }

  /// Where this timeframe's candles open, for error messages: "on Mondays at 00:00 UTC",
  /// "at multiples of 4h since 1970-01-01 00:00 UTC".
  public var alignment: String {
    if milliseconds == Self.week.milliseconds { return "on Mondays at 00:00 UTC" }
    if origin != 0 { return "every \(self) counted from Monday 1970-01-05 00:00 UTC" }
    return "at multiples of \(self) since 1970-01-01 00:00 UTC"
  }

  public static func < (a: Timeframe, b: Timeframe) -> Bool { a.milliseconds < b.milliseconds }
}
