import Foundation
import Testing
import WickCore
import WickData

@Suite struct CandleSynthesizerTests {
  func generate(seed: UInt64, count: Int, timeframe: Timeframe = .oneMinute) -> [Candle] {
    var synth = CandleSynthesizer(seed: seed, timeframe: timeframe)
    return (0..<count).map { _ in synth.next() }
  }

  @Test func sameSeedSameCandles() {
    #expect(generate(seed: 42, count: 5_000) == generate(seed: 42, count: 5_000))
  }

  @Test func differentSeedDifferentCandles() {
    let a = generate(seed: 1, count: 100)
    let b = generate(seed: 2, count: 100)
    #expect(zip(a, b).allSatisfy { $0.close != $1.close })
    #expect(a[0].open == b[0].open)
  }

  @Test(arguments: [
    Timeframe.oneMinute, Timeframe(milliseconds: 14_400_000), Timeframe(milliseconds: 86_400_000),
  ])
  func alwaysValidContinuousAndAligned(_ timeframe: Timeframe) {
    let candles = generate(seed: 9, count: 200_000, timeframe: timeframe)
    #expect(candles.first?.time == CandleSynthesizer.defaultStart)
    #expect(candles.first?.open == CandleSynthesizer.defaultStartPrice)
    var previous: Candle?
    for c in candles {
      #expect(c.invalidReason == nil)
      #expect(c.volume > 0)
      if let p = previous {
        #expect(c.time == p.time + timeframe.milliseconds)
        #expect(c.open == p.close)
      }
      previous = c
    }
  }

  @Test func volumeRisesWithTheMove() {
    let candles = generate(seed: 3, count: 100_000)
    let moves = candles.map { abs($0.close / $0.open - 1) }
    let sorted = moves.sorted()
    let quiet = sorted[moves.count / 4]
    let busy = sorted[moves.count * 3 / 4]
    func meanVolume(_ keep: (Double) -> Bool) -> Double {
      let picked = zip(candles, moves).filter { keep($0.1) }.map(\.0.volume)
      return picked.reduce(0, +) / Double(picked.count)
    }
    #expect(meanVolume { $0 >= busy } > 1.5 * meanVolume { $0 <= quiet })
  }

  @Test func volatilityClusters() {
    // GARCH: absolute returns are autocorrelated, unlike i.i.d. noise.
    let r = generate(seed: 5, count: 100_000).map { abs(log($0.close / $0.open)) }
    let mean = r.reduce(0, +) / Double(r.count)
    var num = 0.0
    var den = 0.0
    for i in 1..<r.count { num += (r[i] - mean) * (r[i - 1] - mean) }
    for x in r { den += (x - mean) * (x - mean) }
    #expect(num / den > 0.05)
  }
}
