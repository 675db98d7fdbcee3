import WickCore

/// Isolated margin and liquidation, Bybit-style: each position locks notional / leverage of
/// initial margin; it is liquidated when the mark crosses the price at which its remaining margin
/// equals the maintenance margin, and then loses its whole margin (closed at the bankruptcy price).
///
///     liquidation (long)  = entry × (1 − 1/leverage + mmr)
///     liquidation (short) = entry × (1 + 1/leverage − mmr)
///     bankruptcy  (long)  = entry × (1 − 1/leverage),  (short) entry × (1 + 1/leverage)
///
/// The maintenance margin rate comes from a risk-limit tier table by position value.
public struct MarginModel: Sendable, Equatable {
  /// One risk-limit tier: positions up to `maxValue` (quote currency) use `rate`.
  public struct Tier: Sendable, Equatable {
    public var maxValue: Double
    public var rate: Double
    public init(maxValue: Double, rate: Double) {
      self.maxValue = maxValue
      self.rate = rate
    }
  }

  /// Tiers per symbol; `fallback` for symbols without a table.
  public var tiers: [String: [Tier]]
  public var fallback: [Tier]

  public init(
    tiers: [String: [Tier]] = MarginModel.bybitLinearTiers,
    fallback: [Tier] = MarginModel.defaultTiers
  ) {
    self.tiers = tiers
    self.fallback = fallback
  }

  /// Bybit USDT-perpetual risk-limit tiers for BTCUSDT and ETHUSDT (maintenance margin rate by
  /// position value), as published for the linear contracts; other symbols use `defaultTiers`.
  public static let bybitLinearTiers: [String: [Tier]] = [
    "BTCUSDT": [
      Tier(maxValue: 2_000_000, rate: 0.005), Tier(maxValue: 4_000_000, rate: 0.01),
      Tier(maxValue: 6_000_000, rate: 0.015),
      Tier(maxValue: 8_000_000, rate: 0.02), Tier(maxValue: .infinity, rate: 0.025),
    ],
    "ETHUSDT": [
      Tier(maxValue: 1_000_000, rate: 0.005), Tier(maxValue: 2_000_000, rate: 0.01),
      Tier(maxValue: 3_000_000, rate: 0.015),
      Tier(maxValue: 4_000_000, rate: 0.02), Tier(maxValue: .infinity, rate: 0.025),
    ],
  ]
  public static let defaultTiers: [Tier] = [
    Tier(maxValue: 200_000, rate: 0.01), Tier(maxValue: 400_000, rate: 0.015),
    Tier(maxValue: .infinity, rate: 0.02),
  ]

  /// The maintenance margin rate of a position of `value` in `symbol`.
  public func maintenanceRate(symbol: String, value: Double) -> Double {
    let table = tiers[symbol] ?? fallback
    return (table.first { value <= $0.maxValue } ?? table.last!).rate
  }

  /// The mark price at which an isolated position is liquidated.
  public func liquidationPrice(
    symbol: String, side: Side, entry: Double, qty: Double, leverage: Double
  ) -> Double {
    let mmr = maintenanceRate(symbol: symbol, value: entry * qty)
    return side == .long ? entry * (1 - 1 / leverage + mmr) : entry * (1 + 1 / leverage - mmr)
  }

  /// The price at which the position's margin is exhausted (where a liquidation is closed).
  public func bankruptcyPrice(side: Side, entry: Double, leverage: Double) -> Double {
    side == .long ? entry * (1 - 1 / leverage) : entry * (1 + 1 / leverage)
  }
}

/// Funding of perpetual swaps at 00:00, 08:00 and 16:00 UTC: longs pay `rate × notional` to
/// shorts when the rate is positive, and receive it when negative.
public struct FundingModel: Sendable {
  public static let interval: Int64 = 8 * 3_600_000

  /// Known rates per symbol index, sorted by time; `constant` for times without a stored rate.
  public var rates: [[FundingRate]]
  public var constant: Double?

  public init(rates: [[FundingRate]], constant: Double? = nil) {
    self.rates = rates
    self.constant = constant
  }

  /// The rate applying at funding time `time`, if any.
  func rate(symbol: Int, at time: Int64, cursor: inout Int) -> Double? {
    if symbol < rates.count {
      let list = rates[symbol]
      while cursor < list.count && list[cursor].time < time { cursor += 1 }
      if cursor < list.count && list[cursor].time == time { return list[cursor].rate }
    }
    return constant
  }

  /// What a position pays (negative) or receives (positive) at one funding time.
  public static func payment(side: Side, qty: Double, price: Double, rate: Double) -> Double {
    -side.sign * rate * qty * price
  }
}

/// Seeded order rejects (seed 000's "random rejects"): the same seed rejects the same orders.
struct RandomRejects {
  private var state: UInt64
  let probability: Double
  init(probability: Double, seed: UInt64) {
    self.probability = probability
    state = seed &+ 0x9E37_79B9_7F4A_7C15
  }
  /// SplitMix64 step → uniform [0, 1) compared with the probability.
  mutating func reject() -> Bool {
    guard probability > 0 else { return false }
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    z ^= z >> 31
    return Double(z >> 11) / Double(1 << 53) < probability
  }
}
