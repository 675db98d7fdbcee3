import Foundation
import Testing
import WickCore
import WickData
import WickLua

@testable import WickStats

@Suite struct ScannerTests {
  func randomWalk(_ n: Int, seed: UInt64) -> [Double] {
    var rng = Xoshiro256StarStar(seed: seed)
    var p = 100.0
    return (0..<n).map { _ in
      p *= 1 + 0.01 * rng.nextNormal()
      return p
    }
  }

  func plantedPair(_ n: Int, halfLife: Double, seed: UInt64 = 5) -> (a: [Double], b: [Double]) {
    var s = PairSynthesizer(
      seed: seed, timeframe: try! Timeframe(parsing: "4h"), hedge: 20, halfLife: halfLife)
    var a: [Double] = []
    var b: [Double] = []
    for _ in 0..<n {
      let (x, y) = s.next()
      a.append(x.close)
      b.append(y.close)
    }
    return (a, b)
  }

  @Test func findsThePlantedPairAndRejectsRandomWalks() {
    let (a, b) = plantedPair(1_500, halfLife: 8)
    let walks = (0..<5).map { randomWalk(1_500, seed: UInt64(100 + $0)) }
    let names = ["AAA", "W1", "W2", "BBB", "W3", "W4", "W5"]
    let closes = [a, walks[0], walks[1], b, walks[2], walks[3], walks[4]]
    let scores = PairScanner.scan(symbols: names, closes: closes)
    #expect(scores.count == 21)
    let top = scores[0]
    #expect(top.a == "AAA" && top.b == "BBB")
    #expect(top.pValue < 0.01)
    #expect(abs(top.hedgeRatio - 20) < 1)
    let walkPairs = scores.filter {
      !($0.a == "AAA" && $0.b == "BBB") && !["AAA", "BBB"].contains($0.a)
        && !["AAA", "BBB"].contains($0.b)
    }
    #expect(walkPairs.count == 10)
    // Independent walks are rejected: none comes near the planted pair's significance.
    #expect(walkPairs.allSatisfy { $0.pValue > 0.01 }, "\(walkPairs.map(\.pValue))")
  }

  /// On independent random walks the test's false-positive rate is about its level.
  @Test func falsePositiveRateIsNearTheNominalLevel() {
    let walks = (0..<12).map { randomWalk(300, seed: UInt64(1_000 + $0)) }
    let scores = PairScanner.scan(symbols: (0..<12).map { "W\($0)" }, closes: walks)
    #expect(scores.count == 66)
    let rejected = scores.filter { $0.pValue <= 0.05 }.count
    #expect(rejected <= 10, "\(rejected) of 66 independent pairs looked cointegrated at 5%")
  }

  @Test(arguments: [5.0, 20.0])
  func halfLifeIsRecovered(planted: Double) throws {
    let (a, b) = plantedPair(4_000, halfLife: planted, seed: 9)
    let r = try #require(EngleGranger.test(y: a, x: b))
    let h = try #require(HalfLife.of(r.residuals))
    #expect(abs(h - planted) / planted < 0.25, "planted \(planted), got \(h)")
  }

  @Test func olsOnExactData() throws {
    let x = (0..<100).map { Double($0) }
    let y = x.map { 3 + 2.5 * $0 }
    let fit = try #require(LeastSquares(y: y, columns: [x, [Double](repeating: 1, count: 100)]))
    #expect(abs(fit.coefficients[0] - 2.5) < 1e-12)
    #expect(abs(fit.coefficients[1] - 3) < 1e-10)
  }

  @Test func pairSynthesizerIsDeterministicAndValid() {
    var s1 = PairSynthesizer(seed: 3, timeframe: try! Timeframe(parsing: "4h"))
    var s2 = PairSynthesizer(seed: 3, timeframe: try! Timeframe(parsing: "4h"))
    for _ in 0..<500 {
      let x = s1.next()
      let y = s2.next()
      #expect(x == y)
      #expect(x.a.invalidReason == nil && x.b.invalidReason == nil)
    }
  }
}

/// `distinctSymbols`: greedy by rank, so a pair dropped for overlap does not block later ones.
@Suite struct DistinctPairsTests {
  func score(_ a: String, _ b: String, _ p: Double) -> PairScore {
    PairScore(
      a: a, b: b, hedgeRatio: 1, adfStatistic: -4, pValue: p, halfLife: 5, observations: 100)
  }

  @Test func aPairDroppedForOverlapDoesNotBlockTheNext() {
    let ranked = [
      score("A", "B", 0.001), score("B", "C", 0.002), score("C", "D", 0.003),
      score("D", "A", 0.004), score("E", "F", 0.01),
    ]
    #expect(
      CointegrationScan.sharingNoSymbol(ranked).map { "\($0.a)/\($0.b)" } == [
        "A/B", "C/D", "E/F",
      ])
    #expect(CointegrationScan.sharingNoSymbol([]).isEmpty)
  }
}
