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
