import Foundation
import WickLive
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

  // Rounding and formatting are the shared InstrumentSpec rules (WickLive), one copy for every
  // adapter; these keep Bybit's call sites short.
  public func roundQty(_ qty: Double) -> Double { spec.roundQty(qty) }
  public func roundPrice(_ price: Double) -> Double { spec.roundPrice(price) }
  public func format(qty: Double) -> String { spec.format(qty: qty) }
  public func format(price: Double) -> String { spec.format(price: price) }
  public func sameQty(_ a: Double, _ b: Double) -> Bool { spec.sameQty(a, b) }
  public func samePrice(_ a: Double, _ b: Double) -> Bool { spec.samePrice(a, b) }
}
