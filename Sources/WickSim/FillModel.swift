import WickCore

/// How orders turn into fills in the simulation. Defaults are realistic for Bybit USDT perpetuals
/// (taker 5.5 bps, maker 2 bps, a 1 bp spread and 2 bps of slippage on market fills).
///
/// A market fill crosses half the spread and then slips: a buy at reference price p pays
/// p × (1 + spread/2 + slippage), a sell receives p × (1 − spread/2 − slippage). Stops and takes
/// become market orders when touched, so they pay the same.
public struct FillModel: Sendable, Equatable {
  public var takerFeeBps: Double
  public var makerFeeBps: Double
  public var spreadBps: Double
  public var slippageBps: Double

  public init(
    takerFeeBps: Double = 5.5, makerFeeBps: Double = 2.0, spreadBps: Double = 1.0,
    slippageBps: Double = 2.0
  ) {
    self.takerFeeBps = takerFeeBps
    self.makerFeeBps = makerFeeBps
    self.spreadBps = spreadBps
    self.slippageBps = slippageBps
  }

  /// The fill of a market order at reference price `price` in direction `buy`, with its costs.
  @inline(__always) public func marketFill(price: Double, qty: Double, buy: Bool) -> Execution {
    let half = spreadBps / 20_000
    let slip = slippageBps / 10_000
    let fillPrice = buy ? price * (1 + half + slip) : price * (1 - half - slip)
    return Execution(
      price: fillPrice, fee: fillPrice * qty * takerFeeBps / 10_000, spread: price * qty * half,
      slippage: price * qty * slip)
  }

  /// The fill of a resting limit order at exactly `price`: no spread crossed, no slippage, the
  /// maker fee.
  @inline(__always) public func limitFill(price: Double, qty: Double) -> Execution {
    Execution(price: price, fee: price * qty * makerFeeBps / 10_000)
  }
}
