import Foundation

/// xoshiro256** (Blackman & Vigna): a small, fast, seedable generator, so synthetic data and
/// anything else random in a result is reproducible from one `UInt64` seed.
///
///     var rng = Xoshiro256StarStar(seed: 42)
///     let u = rng.nextUniform()   // (0, 1)
///     let z = rng.nextNormal()    // N(0, 1)
public struct Xoshiro256StarStar: RandomNumberGenerator, Sendable {
  private var s: (UInt64, UInt64, UInt64, UInt64)
  /// The second normal of the last Box–Muller pair, returned by the next `nextNormal()`.
  private var spareNormal: Double?

  /// Expands `seed` with SplitMix64, as the authors recommend (any seed, including 0, is fine).
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s = (splitMix(), splitMix(), splitMix(), splitMix())
  }

  public mutating func next() -> UInt64 {
    let result = rotl(s.1 &* 5, 7) &* 9
    let t = s.1 << 17
    s.2 ^= s.0
    s.3 ^= s.1
    s.1 ^= s.2
    s.0 ^= s.3
    s.2 ^= t
    s.3 = rotl(s.3, 45)
    return result
  }

  /// A uniform double in the open interval (0, 1) (never 0, so `log` is safe).
  public mutating func nextUniform() -> Double {
    (Double(next() >> 11) + 0.5) * 0x1.0p-53
  }

  /// A standard normal deviate (Box–Muller, both values of each pair used).
  public mutating func nextNormal() -> Double {
    if let z = spareNormal {
      spareNormal = nil
      return z
    }
    let r = (-2 * log(nextUniform())).squareRoot()
    let theta = 2 * Double.pi * nextUniform()
    spareNormal = r * sin(theta)
    return r * cos(theta)
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }
}
