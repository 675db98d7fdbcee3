import Foundation
import WickRisk

/// Rounding and formatting an order to an exchange's rules, written once for every adapter:
/// quantities go down to the lot step (never more than asked for), prices to the nearest tick,
/// both printed with the step's decimals as the exchanges expect.
extension InstrumentSpec {
  public func roundQty(_ qty: Double) -> Double {
    guard lotStep > 0 else { return qty }
    return (qty / lotStep + 1e-9).rounded(.down) * lotStep
  }

  public func roundPrice(_ price: Double) -> Double {
    guard tickSize > 0 else { return price }
    return (price / tickSize).rounded() * tickSize
  }

  public func format(qty: Double) -> String { Self.text(roundQty(qty), step: lotStep) }
  public func format(price: Double) -> String { Self.text(roundPrice(price), step: tickSize) }

  /// Equal within half a step (exchange versus local bookkeeping).
  public func sameQty(_ a: Double, _ b: Double) -> Bool { abs(a - b) < max(lotStep, 1e-12) / 2 }
  public func samePrice(_ a: Double, _ b: Double) -> Bool {
    abs(a - b) < max(tickSize, 1e-12) / 2
  }

  /// The smallest order the exchange takes at `price`: the minimum quantity (rounded up to the
  /// step) or the minimum notional, whichever is larger, in quote currency.
  public func minimumOrderValue(at price: Double) -> Double {
    max(minNotional, minQty * price)
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
