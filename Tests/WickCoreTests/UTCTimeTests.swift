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
}
