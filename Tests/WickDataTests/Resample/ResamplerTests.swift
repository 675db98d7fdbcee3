import Testing
import WickCore
import WickData

@Suite struct ResamplerTests {
  let fourHours = Timeframe(milliseconds: 14_400_000)

  @Test func oneMinuteToFourHoursIsAlignedWithCorrectOHLCV() throws {
    // Start at 02:00 so the first (partial) bucket 00:00–04:00 must be dropped as incomplete.
    let start: Int64 = 1_704_067_200_000 + 2 * 3_600_000
    let minutes = testCandles(count: 9 * 60, start: start)
    let (bars, resampler) = try Resampler.resample(
      ArrayCandleCursor(minutes), from: .oneMinute, to: fourHours)
    // 02:00–11:00 holds the complete 04:00 bucket and partial 00:00 and 08:00 buckets.
    #expect(bars.count == 1)
    #expect(resampler.incompleteBuckets == 2)
    #expect(resampler.firstIncompleteBucket == 1_704_067_200_000)
    let bucket = Array(minutes[120..<360])
    let bar = try #require(bars.first)
    #expect(bar.time == 1_704_067_200_000 + 4 * 3_600_000)
    #expect(bar.open == bucket.first?.open)
    #expect(bar.close == bucket.last?.close)
    #expect(bar.high == bucket.map(\.high).max())
    #expect(bar.low == bucket.map(\.low).min())
    #expect(bar.volume == bucket.reduce(0) { $0 + $1.volume })
  }

  @Test func aMissingCandleMakesTheBucketIncomplete() throws {
    var minutes = testCandles(count: 3 * 240)
    minutes.remove(at: 300)  // inside the second bucket
    let (bars, resampler) = try Resampler.resample(
      ArrayCandleCursor(minutes), from: .oneMinute, to: fourHours)
    #expect(bars.map(\.time) == [1_704_067_200_000, 1_704_067_200_000 + 8 * 3_600_000])
    #expect(resampler.incompleteBuckets == 1)
  }

  /// Daily candles resample into weeks that open on Mondays, as the exchanges' weekly candles.
  @Test func daysToWeeksGivesMondayWeeks() throws {
    let thursday: Int64 = 1_704_326_400_000  // 2024-01-04T00:00:00Z
    let days = testCandles(
      count: 21, start: thursday, timeframe: Timeframe(milliseconds: 86_400_000))
    let (bars, resampler) = try Resampler.resample(
      ArrayCandleCursor(days), from: Timeframe(milliseconds: 86_400_000), to: .week)
    // Thu 4 Jan – Wed 24 Jan: the weeks of Mon 8 and Mon 15 Jan are whole; those of Mon 1 and
    // Mon 22 Jan are not.
    #expect(bars.map { UTCTime.iso($0.time) } == ["2024-01-08T00:00:00Z", "2024-01-15T00:00:00Z"])
    #expect(resampler.incompleteBuckets == 2)
    #expect(resampler.firstIncompleteBucket == 1_704_067_200_000)  // Monday 1 Jan
    let week = Array(days[4..<11])  // Mon 8 – Sun 14 Jan
    #expect(bars[0].open == week.first?.open && bars[0].close == week.last?.close)
    #expect(bars[0].high == week.map(\.high).max() && bars[0].low == week.map(\.low).min())
  }

  /// A source whose candles do not open on Mondays cannot make Monday weeks.
  @Test func weeksNeedASourceThatOpensOnMondays() throws {
    #expect(
      throws: WickError.invalidArgument(
        "cannot resample 7h to 1w: 1w candles open on Mondays at 00:00 UTC, where no 7h candle opens"
      )
    ) { try Resampler(from: Timeframe(milliseconds: 7 * 3_600_000), to: .week) }
    _ = try Resampler(from: Timeframe(milliseconds: 8 * 3_600_000), to: .week)
    _ = try Resampler(from: .week, to: Timeframe(milliseconds: 2 * 604_800_000))
  }

  @Test func targetMustBeALargerMultiple() throws {
    #expect(throws: WickError.self) {
      try Resampler(from: Timeframe(milliseconds: 300_000), to: .oneMinute)
    }
    #expect(throws: WickError.self) {
      try Resampler(from: Timeframe(milliseconds: 420_000), to: Timeframe(milliseconds: 3_600_000))
    }
    #expect(throws: WickError.self) { try Resampler(from: .oneMinute, to: .oneMinute) }
  }
}
