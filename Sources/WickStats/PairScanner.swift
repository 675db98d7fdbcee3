import Foundation

/// One tested pair: `a` is regressed on `b` (a = intercept + hedge × b + spread).
public struct PairScore: Sendable, Equatable {
  public var a: String
  public var b: String
  public var hedgeRatio: Double
  public var adfStatistic: Double
  public var pValue: Double
  public var halfLife: Double?
  public var observations: Int
}

/// Tests every unordered pair of aligned close series with Engle-Granger and ranks them by
/// p-value (most cointegrated first). The first symbol of each pair in the input order is `a`.
public enum PairScanner {
  public static func scan(symbols: [String], closes: [[Double]]) -> [PairScore] {
    precondition(symbols.count == closes.count)
    var list: [(Int, Int)] = []
    for i in symbols.indices { for j in (i + 1)..<symbols.count { list.append((i, j)) } }
    let pairs = list
    // Each worker writes only its own slot; the box makes that explicit to the compiler.
    let results = ResultSlots(count: pairs.count)
    DispatchQueue.concurrentPerform(iterations: pairs.count) { k in
      let (i, j) = pairs[k]
      guard let r = EngleGranger.test(y: closes[i], x: closes[j]) else { return }
      results.set(
        k,
        PairScore(
          a: symbols[i], b: symbols[j], hedgeRatio: r.hedgeRatio, adfStatistic: r.adfStatistic,
          pValue: r.pValue,
          halfLife: HalfLife.of(r.residuals), observations: r.nobs))
    }
    return results.values.compactMap { $0 }.sorted {
      ($0.pValue, $0.a, $0.b) < ($1.pValue, $1.a, $1.b)
    }
  }
}

/// Preallocated result slots filled by concurrent workers, one distinct index each.
private final class ResultSlots: @unchecked Sendable {
  private let storage: UnsafeMutableBufferPointer<PairScore?>
  init(count: Int) {
    storage = .allocate(capacity: count)
    storage.initialize(repeating: nil)
  }
  deinit {
    storage.deinitialize()
    storage.deallocate()
  }
  func set(_ i: Int, _ value: PairScore) { storage[i] = value }
  var values: [PairScore?] { Array(storage) }
}

/// `make bench`'s scanner figure: pairs tested per second over random-walk symbols.
public enum PairScanBenchmark {
  public static func run(symbols: Int, length: Int) -> Double {
    var state: UInt64 = 42
    func normal() -> Double {
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u1 = max(Double(state >> 11) / Double(1 << 53), 1e-12)
      state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
      let u2 = Double(state >> 11) / Double(1 << 53)
      return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
    let closes = (0..<symbols).map { _ in
      var p = 100.0
      return (0..<length).map { _ in
        p *= 1 + 0.01 * normal()
        return p
      }
    }
    let names = (0..<symbols).map { "S\($0)" }
    let start = DispatchTime.now().uptimeNanoseconds
    let n = PairScanner.scan(symbols: names, closes: closes).count
    return Double(n) / (Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
}
