import Foundation

/// A daily window of UTC time, `[start, end)` in minutes after midnight. A window whose end is
/// not after its start wraps midnight (`22:00-08:00`).
public struct SessionWindow: Sendable, Equatable, CustomStringConvertible {
  /// Minutes after 00:00 UTC, 0 ..< 1440.
  public let start: Int
  /// Minutes after 00:00 UTC, 0 ... 1440 (1440 = midnight at the end of the day).
  public let end: Int

  /// nil unless `0 <= start < 1440`, `0 <= end <= 1440` and `start != end`.
  public init?(start: Int, end: Int) {
    guard (0..<1440).contains(start), (0...1440).contains(end), start != end else { return nil }
    self.start = start
    self.end = end
  }

  /// Parses `"HH:MM-HH:MM"` (UTC; `24:00` allowed as an end). nil when malformed.
  public init?(parsing text: String) {
    let parts = text.split(separator: "-", omittingEmptySubsequences: false)
    guard parts.count == 2, let a = Self.minutes(parts[0]), let b = Self.minutes(parts[1]) else {
      return nil
    }
    self.init(start: a, end: b)
  }

  private static func minutes(_ s: Substring) -> Int? {
    let hm = s.trimmingCharacters(in: .whitespaces).split(
      separator: ":", omittingEmptySubsequences: false)
    guard hm.count == 2, hm[0].count == 2, hm[1].count == 2, let h = Int(hm[0]), let m = Int(hm[1]),
      (0...24).contains(h), (0..<60).contains(m), h < 24 || m == 0
    else { return nil }
    return h * 60 + m
  }

  /// Whether the minute of the UTC day `minute` (0 ..< 1440) falls in the window.
  @inline(__always) public func contains(minute: Int) -> Bool {
    start < end ? (minute >= start && minute < end) : (minute >= start || minute < end)
  }

  public var description: String {
    func hm(_ m: Int) -> String {
      let h = m / 60
      let mm = m % 60
      return (h < 10 ? "0" : "") + String(h) + ":" + (mm < 10 ? "0" : "") + String(mm)
    }
    return hm(start) + "-" + hm(end)
  }
}

/// The trading session a moment falls in: which of the Asian, London and New York windows are
/// open. Overlaps are sessions of their own (`london_new_york` is the busiest hours of the
/// day); a moment outside every window is `off` (never with the standard windows).
public enum TradingSession: Int, Sendable, CaseIterable, CustomStringConvertible {
  // The raw value is a bit set: asia 1, london 2, new_york 4.
  case off = 0
  case asia = 1
  case london = 2
  case asiaLondon = 3
  case newYork = 4
  case asiaNewYork = 5
  case londonNewYork = 6
  case asiaLondonNewYork = 7

  /// The name scripts and reports use: "asia", "london", "new_york", "asia_london",
  /// "london_new_york", "asia_new_york", "asia_london_new_york" or "off".
  public var name: String {
    switch self {
    case .off: return "off"
    case .asia: return "asia"
    case .london: return "london"
    case .asiaLondon: return "asia_london"
    case .newYork: return "new_york"
    case .asiaNewYork: return "asia_new_york"
    case .londonNewYork: return "london_new_york"
    case .asiaLondonNewYork: return "asia_london_new_york"
    }
  }

  public var description: String { name }
}

/// The session windows (`[sessions]` in wick.toml) and the classifier built on them: O(1), no
/// state, the same answer in backtest, paper and live.
///
/// Standard windows, in UTC all year (no daylight saving, so a time's session never depends on
/// the date): Asia (Sydney and Tokyo) 22:00–08:00, London 07:00–16:00, New York 13:00–22:00. So
/// a day reads asia → asia_london (07–08) → london → london_new_york (13–16) → new_york.
///
///     TradingSessions.standard.session(at: 1_704_114_000_000)  // 2024-01-01T13:00Z: .londonNewYork
public struct TradingSessions: Sendable, Equatable {
  public var asia: SessionWindow
  public var london: SessionWindow
  public var newYork: SessionWindow

  public init(asia: SessionWindow, london: SessionWindow, newYork: SessionWindow) {
    self.asia = asia
    self.london = london
    self.newYork = newYork
  }

  public static let standard = TradingSessions(
    asia: SessionWindow(start: 22 * 60, end: 8 * 60)!,
    london: SessionWindow(start: 7 * 60, end: 16 * 60)!,
    newYork: SessionWindow(start: 13 * 60, end: 22 * 60)!)

  /// The config keys of the three windows, in the order overlap names list them.
  public static let keys = ["asia", "london", "new_york"]

  /// The session of the epoch-millisecond UTC time `time` (a candle's open time `c.t`).
  @inline(__always) public func session(at time: Int64) -> TradingSession {
    // Floor division, so times before 1970 land in the right minute too.
    var minutes = time / 60_000
    if time % 60_000 < 0 { minutes -= 1 }
    let m = Int((minutes % 1440 + 1440) % 1440)
    let bits =
      (asia.contains(minute: m) ? 1 : 0) | (london.contains(minute: m) ? 2 : 0)
      | (newYork.contains(minute: m) ? 4 : 0)
    return TradingSession(rawValue: bits)!
  }
}
