import Foundation
import WickRisk

/// A linear contract's trading rules from `/v5/market/instruments-info`: what a quantity or a
/// price must be a multiple of, and the smallest order the exchange takes. Sizing rounds with
/// them (`spec`) and every order is formatted with them, so nothing is refused for precision.
public struct BybitInstrument: Sendable, Equatable {
  public var symbol: String
  public var tickSize: Double
  public var qtyStep: Double
  public var minOrderQty: Double
  public var maxMarketOrderQty: Double
  public var minNotional: Double

  public init(
    symbol: String, tickSize: Double, qtyStep: Double, minOrderQty: Double,
    maxMarketOrderQty: Double = .infinity, minNotional: Double = 0
  ) {
    self.symbol = symbol
    self.tickSize = tickSize
    self.qtyStep = qtyStep
    self.minOrderQty = minOrderQty
    self.maxMarketOrderQty = maxMarketOrderQty
    self.minNotional = minNotional
  }

  /// The risk layer's view: lot step, minimum quantity and notional, tick.
  public var spec: InstrumentSpec {
    InstrumentSpec(
      lotStep: qtyStep, minQty: minOrderQty, minNotional: minNotional, tickSize: tickSize)
  }

  /// Rounded down to the lot step (never more than asked for).
  public func roundQty(_ qty: Double) -> Double {
    guard qtyStep > 0 else { return qty }
    return (qty / qtyStep + 1e-9).rounded(.down) * qtyStep
  }

  /// Rounded to the nearest tick.
  public func roundPrice(_ price: Double) -> Double {
    guard tickSize > 0 else { return price }
    return (price / tickSize).rounded() * tickSize
  }

  /// A quantity as the exchange expects it: a multiple of the step, with the step's decimals.
  public func format(qty: Double) -> String { Self.text(roundQty(qty), step: qtyStep) }
  public func format(price: Double) -> String { Self.text(roundPrice(price), step: tickSize) }

  /// True when two quantities differ by less than half a step (exchange vs local bookkeeping).
  public func sameQty(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) < max(qtyStep, 1e-12) / 2
  }

  public func samePrice(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) < max(tickSize, 1e-12) / 2
  }

  static func decimals(_ step: Double) -> Int {
    guard step > 0, step < 1 else { return 0 }
    var d = 0
    var s = step
    while d < 12, abs(s - s.rounded()) > 1e-9 {
      s *= 10
      d += 1
    }
    return d
  }

  static func text(_ value: Double, step: Double) -> String {
    String(format: "%.\(decimals(step))f", value)
  }
}
