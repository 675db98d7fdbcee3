import Foundation
import WickCore

/// Seed 001's SizeCalculator:
///
///     qty = min(equity × risk × decay / |entry − stop|, equity × leverage / entry)
///
/// rounded down to the lot step, refused below the minimum quantity or notional.
public struct SizeCalculator: Sendable {
  public var leverage: Double
  public var instrument: InstrumentSpec
  /// Absolute cap on a position's value (seed 004's tiny accounts; 0 = off).
  public var maxPositionValue: Double

  public init(
    leverage: Double, instrument: InstrumentSpec = InstrumentSpec(), maxPositionValue: Double = 0
  ) {
    self.leverage = leverage
    self.instrument = instrument
    self.maxPositionValue = maxPositionValue
  }

  /// - Parameter adding: the open position an add joins. The add gets what is left of the risk
  ///   budget once the open quantity's loss at the new `stop` is counted, and what is left of the
  ///   leverage and position-value caps once its notional is.
  public func size(
    equity: Double, risk: Double, decay: Double, entry: Double, stop: Double?,
    adding: Position? = nil
  )
    -> Result<Double, Refusal>
  {
    guard entry > 0 else { return .failure(Refusal("no_price", "no price yet for the symbol")) }
    guard equity > 0 else {
      return .failure(Refusal("no_equity", "account equity is \(formatNumber(equity))"))
    }
    let openNotional = adding.map { $0.qty * entry } ?? 0
    var qty = (equity * leverage - openNotional) / entry
    if let stop {
      let distance = abs(entry - stop)
      guard distance > 0 else {
        return .failure(Refusal("stop_at_entry", "the stop equals the entry price"))
      }
      var budget = equity * risk * decay
      if let p = adding {
        let atRisk = max(0, p.qty * (p.entry - stop) * p.side.sign)
        guard budget > atRisk else {
          return .failure(
            Refusal(
              "add_exceeds_risk",
              "the open position already risks \(formatNumber(atRisk)) at the new stop \(formatNumber(stop)) (budget \(formatNumber(budget)))"
            ))
        }
        budget -= atRisk
      }
      qty = min(budget / distance, qty)
    }
    if maxPositionValue > 0 { qty = min(qty, (maxPositionValue - openNotional) / entry) }
    return instrument.lotRules.fit(qty, price: entry)
  }
}
