import Foundation

/// ISO-8601 UTC formatting and parsing of epoch-millisecond times, without Foundation formatters
/// on hot paths (they allocate and are slow).
public enum UTCTime {
  /// `2024-01-01T00:00:00Z` (milliseconds are shown only when not zero).
  public static func iso(_ ms: Int64) -> String {
    let secs = floorDiv(ms, 1000)
    let millis = ms - secs * 1000
    let days = floorDiv(secs, 86_400)
    let rem = secs - days * 86_400
    let (y, m, d) = civil(fromDays: days)
    var s =
      "\(pad(y, 4))-\(pad(m, 2))-\(pad(d, 2))T\(pad(rem / 3600, 2)):\(pad(rem / 60 % 60, 2)):\(pad(rem % 60, 2))"
    if millis != 0 { s += ".\(pad(millis, 3))" }
    return s + "Z"
  }

  /// Parses `YYYY-MM-DD`, `YYYY-MM-DDTHH:MM[:SS[.fff]]` with an optional `Z` or `+00:00`, or a space
  /// instead of `T`. Offsets other than UTC are converted. Returns epoch ms, or nil.
  public static func parse(_ text: String) -> Int64? {
    let b = Array(text.utf8)
    func num(_ from: Int, _ len: Int) -> Int64? {
      guard from + len <= b.count else { return nil }
      var v: Int64 = 0
      for i in from..<(from + len) {
        let c = b[i]
        guard c >= 48 && c <= 57 else { return nil }
        v = v * 10 + Int64(c - 48)
      }
      return v
    }
    guard b.count >= 10, let y = num(0, 4), b[4] == 45, let mo = num(5, 2), b[7] == 45,
      let d = num(8, 2),
      (1...12).contains(mo), (1...31).contains(d)
    else { return nil }
    var h: Int64 = 0
    var mi: Int64 = 0
    var s: Int64 = 0
    var ms: Int64 = 0
    var i = 10
    if i < b.count, b[i] == 84 || b[i] == 32 {  // 'T' or ' '
      guard let hh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58, let mm = num(i + 4, 2) else {
        return nil
      }
      h = hh
      mi = mm
      i += 6
      if i < b.count, b[i] == 58 {
        guard let ss = num(i + 1, 2) else { return nil }
        s = ss
        i += 3
        if i < b.count, b[i] == 46 {  // fraction
          var j = i + 1
          var frac: Int64 = 0
          var digits = 0
          while j < b.count, b[j] >= 48, b[j] <= 57 {
            if digits < 3 {
              frac = frac * 10 + Int64(b[j] - 48)
              digits += 1
            }
            j += 1
          }
          guard j > i + 1 else { return nil }
          while digits < 3 {
            frac *= 10
            digits += 1
          }
          ms = frac
          i = j
        }
      }
      guard h < 24, mi < 60, s < 61 else { return nil }
    }
    var offset: Int64 = 0
    if i < b.count {
      if b[i] == 90 && i + 1 == b.count {  // Z
        i += 1
      } else if b[i] == 43 || b[i] == 45, let oh = num(i + 1, 2), i + 3 < b.count, b[i + 3] == 58,
        let om = num(i + 4, 2), i + 6 == b.count
      {
        offset = (oh * 60 + om) * 60_000 * (b[i] == 43 ? 1 : -1)
        i += 6
      } else {
        return nil
      }
    }
    let days = daysFromCivil(y, mo, d)
    return ((days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms) - offset
  }

  /// Midnight UTC of the day containing `ms`.
  public static func dayStart(_ ms: Int64) -> Int64 { floorDiv(ms, 86_400_000) * 86_400_000 }

  /// Integer division rounding toward negative infinity.
  public static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
    let q = a / b
    return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
  }

  private static func pad(_ v: Int64, _ width: Int) -> String {
    let s = String(v)
    return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
  }

  // Howard Hinnant's civil-from-days algorithms (proleptic Gregorian).
  static func daysFromCivil(_ y0: Int64, _ m: Int64, _ d: Int64) -> Int64 {
    let y = m <= 2 ? y0 - 1 : y0
    let era = floorDiv(y, 400)
    let yoe = y - era * 400
    let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
    return era * 146_097 + doe - 719_468
  }

  /// (year, month, day) of the day `z0` days after 1970-01-01 (negative before it).
  public static func civil(fromDays z0: Int64) -> (Int64, Int64, Int64) {
    let z = z0 + 719_468
    let era = floorDiv(z, 146_097)
    let doe = z - era * 146_097
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
    let y = yoe + era * 400
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
    let mp = (5 * doy + 2) / 153
    let d = doy - (153 * mp + 2) / 5 + 1
    let m = mp < 10 ? mp + 3 : mp - 9
    return (m <= 2 ? y + 1 : y, m, d)
  }
}
