/// How often a scheduled job (`[schedule]` in wick.toml) comes due, on the exchange's UTC clock:
/// a fixed duration counted like candles of that length (from the epoch; whole weeks from Monday
/// 00:00 UTC), or calendar months (00:00 UTC on the 1st).
///
///     let monthly = try ScheduleInterval(parsing: "1mo")
///     monthly.boundary(atOrBefore: UTCTime.parse("2024-02-10")!)   // 2024-02-01T00:00:00Z
///
/// Boundaries are compared with candle close times, which are the exchange's: a job is due on the
/// first candle closing at or after its boundary, whatever the local clock says.
public enum ScheduleInterval: Sendable, Equatable, CustomStringConvertible {
  case fixed(Timeframe)
  case months(Int)

  /// `"1mo"`, `"3mo"` (calendar months) or a duration `<n>s|m|h|d|w` such as `"7d"`.
  public init(parsing text: String) throws {
    if text.hasSuffix("mo") {
      guard let n = Int(text.dropLast(2)), n > 0, n <= 120 else {
        throw WickError.invalidArgument(
          "'\(text)': expected a number of months from 1 to 120, e.g. 1mo")
      }
      self = .months(n)
      return
    }
    do {
      self = .fixed(try Timeframe(parsing: text))
    } catch {
      throw WickError.invalidArgument(
        "'\(text)': expected a positive duration such as 15m, 4h, 7d, 1w, or months such as 1mo")
    }
  }

  public var description: String {
    switch self {
    case .fixed(let tf): return tf.description
    case .months(let n): return "\(n)mo"
    }
  }

  /// The latest boundary at or before `time` (epoch ms UTC).
  public func boundary(atOrBefore time: Int64) -> Int64 {
    switch self {
    case .fixed(let tf): return tf.floor(time)
    case .months(let n):
      let day: Int64 = 86_400_000
      let (y, m, _) = UTCTime.civil(fromDays: UTCTime.floorDiv(time, day))
      let index = UTCTime.floorDiv(y * 12 + (m - 1), Int64(n)) * Int64(n)
      let year = UTCTime.floorDiv(index, 12)
      return UTCTime.daysFromCivil(year, index - year * 12 + 1, 1) * day
    }
  }

  /// The boundary crossed by a candle closing at `close` when the previous one closed at
  /// `previous`: the latest boundary in `(previous, close]`, or nil. A candle that crosses several
  /// (the runner was down) yields only the latest: a job runs once, on the newest data.
  public func crossed(after previous: Int64, upTo close: Int64) -> Int64? {
    let b = boundary(atOrBefore: close)
    return b > previous ? b : nil
  }
}
