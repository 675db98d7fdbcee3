import Testing

@testable import WickCore

@Suite struct UTCTimeTests {
  @Test func formatsAndParsesRoundTrip() {
    #expect(UTCTime.iso(1_704_067_200_000) == "2024-01-01T00:00:00Z")
    #expect(UTCTime.iso(1_704_067_200_123) == "2024-01-01T00:00:00.123Z")
    #expect(UTCTime.parse("2024-01-01T00:00:00Z") == 1_704_067_200_000)
    #expect(UTCTime.parse("2024-01-01") == 1_704_067_200_000)
    #expect(UTCTime.parse("2024-02-29 12:30") == 1_709_209_800_000)
    #expect(UTCTime.parse("2024-01-01T02:00:00+02:00") == 1_704_067_200_000)
    #expect(UTCTime.parse("2024-01-01T00:00:00.5Z") == 1_704_067_200_500)
  }

  @Test func rejectsMalformedTimes() {
    for bad in ["2024-13-01", "2024-01-01T25:00", "yesterday", "2024-01-01T00:00:00Q", ""] {
      #expect(UTCTime.parse(bad) == nil, "\(bad)")
    }
  }

  @Test func timeframeParsingAndAlignment() throws {
    #expect(try Timeframe(parsing: "4h").milliseconds == 14_400_000)
    #expect(try Timeframe(parsing: "1m").description == "1m")
    #expect(throws: WickError.self) { try Timeframe(parsing: "4x") }
    let tf = try Timeframe(parsing: "4h")
    #expect(tf.floor(1_704_067_200_000 + 5 * 3_600_000) == 1_704_067_200_000 + 4 * 3_600_000)
  }

  /// Weeks open on Monday 00:00 UTC, as the exchanges' weekly candles do (the epoch was a
  /// Thursday, so counting weeks from it would open them on Thursdays).
  @Test func weeksOpenOnMondays() throws {
    let week = try Timeframe(parsing: "1w")
    func t(_ iso: String) -> Int64 { UTCTime.parse(iso) ?? .min }
    let monday = t("2024-01-01T00:00:00Z")
    #expect(week.floor(t("2024-01-04T12:34:56Z")) == monday)  // a Thursday
    #expect(week.floor(monday) == monday)
    #expect(week.floor(t("2024-01-07T23:59:59Z")) == monday)  // the Sunday after
    #expect(week.floor(t("2024-01-08T00:00:00Z")) == t("2024-01-08T00:00:00Z"))
    #expect(week.floor(t("2023-12-31T23:59:59Z")) == t("2023-12-25T00:00:00Z"))
    // Before the first Monday after the epoch, and before the epoch itself.
    #expect(week.floor(0) == t("1969-12-29T00:00:00Z"))
    #expect(week.floor(t("1969-12-20T06:00:00Z")) == t("1969-12-15T00:00:00Z"))
    #expect(week.isAligned(monday) && !week.isAligned(t("2024-01-04T00:00:00Z")))
    #expect(week.alignment == "on Mondays at 00:00 UTC")
    // Two-week candles open on Mondays too; days and hours still count from the epoch.
    let twoWeeks = try Timeframe(parsing: "2w").floor(t("2024-01-10T00:00:00Z"))
    #expect(twoWeeks.isMultiple(of: 86_400_000) && (twoWeeks / 86_400_000 + 3) % 7 == 0)
    #expect(
      try Timeframe(parsing: "1d").floor(t("2024-01-04T12:00:00Z")) == t("2024-01-04T00:00:00Z"))
    #expect(try Timeframe(parsing: "3d").floor(0) == 0)
  }
}
