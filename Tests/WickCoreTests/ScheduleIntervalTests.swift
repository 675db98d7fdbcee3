import Testing

@testable import WickCore

@Suite struct ScheduleIntervalTests {
  func t(_ iso: String) -> Int64 { UTCTime.parse(iso)! }

  @Test func monthsStartAtMidnightUTCOnTheFirst() throws {
    let monthly = try ScheduleInterval(parsing: "1mo")
    #expect(monthly == .months(1))
    #expect(monthly.boundary(atOrBefore: t("2024-02-10T13:00Z")) == t("2024-02-01"))
    #expect(monthly.boundary(atOrBefore: t("2024-02-01")) == t("2024-02-01"))
    #expect(monthly.boundary(atOrBefore: t("2024-01-31T23:59:59Z")) == t("2024-01-01"))
    #expect(monthly.boundary(atOrBefore: t("2024-03-01T00:00:00Z") - 1) == t("2024-02-01"))
    // Quarters: January, April, July, October.
    let quarterly = try ScheduleInterval(parsing: "3mo")
    #expect(quarterly.boundary(atOrBefore: t("2024-05-20")) == t("2024-04-01"))
    #expect(quarterly.boundary(atOrBefore: t("2023-12-31")) == t("2023-10-01"))
  }

  @Test func aJobIsDueOnTheFirstCandleClosingAtOrAfterItsBoundary() throws {
    let monthly = try ScheduleInterval(parsing: "1mo")
    // The 1m candle 23:59–00:00 closes on the boundary: it is the one.
    #expect(
      monthly.crossed(after: t("2024-01-31T23:59Z"), upTo: t("2024-02-01T00:00Z"))
        == t("2024-02-01"))
    #expect(monthly.crossed(after: t("2024-02-01T00:00Z"), upTo: t("2024-02-01T00:01Z")) == nil)
    #expect(monthly.crossed(after: t("2024-01-31T23:58Z"), upTo: t("2024-01-31T23:59Z")) == nil)
    // Down from mid-December to March: one run, for the latest boundary.
    #expect(monthly.crossed(after: t("2023-12-15"), upTo: t("2024-03-03")) == t("2024-03-01"))
  }

  @Test func fixedDurationsFollowTheCandleGridWeeksFromMonday() throws {
    let week = try ScheduleInterval(parsing: "7d")
    // 2024-01-10 is a Wednesday; weeks start on Monday 2024-01-08, as weekly candles do.
    #expect(week.boundary(atOrBefore: t("2024-01-10T12:00Z")) == t("2024-01-08"))
    let fourHours = try ScheduleInterval(parsing: "4h")
    #expect(fourHours.boundary(atOrBefore: t("2024-01-10T11:59Z")) == t("2024-01-10T08:00Z"))
    #expect(fourHours.description == "4h")
  }

  @Test(arguments: ["0mo", "-1mo", "mo", "1.5mo", "0m", "-15m", "15", "15x", "", "monthly"])
  func badIntervalsAreRefused(text: String) {
    #expect(throws: WickError.self) { try ScheduleInterval(parsing: text) }
  }
}
