/// The exchange's quantity rules a partial close must respect (the part of an instrument's rules
/// that concerns quantities).
public struct LotRules: Sendable, Equatable {
  public var lotStep: Double
  public var minQty: Double
  public var minNotional: Double
  public init(lotStep: Double = 0, minQty: Double = 0, minNotional: Double = 0) {
    self.lotStep = lotStep
    self.minQty = minQty
    self.minNotional = minNotional
  }

  /// `qty` rounded down to the lot step: never more than asked for.
  public func roundDown(_ qty: Double) -> Double {
    lotStep > 0 ? (qty / lotStep + 1e-9).rounded(.down) * lotStep : qty
  }

  /// An order of `qty` at `price` as the exchange takes it: rounded down to the lot step, and
  /// refused when that is zero or below the minimum quantity or notional. Single entries
  /// (`SizeCalculator`) and pair legs are sized through it, so a backtest or a paper run trades
  /// the quantities live would send.
  ///
  ///     LotRules(lotStep: 0.1, minNotional: 5).fit(1.27, price: 10)  // .success(1.2)
  public func fit(_ qty: Double, price: Double) -> Result<Double, Refusal> {
    let qty = roundDown(qty)
    guard qty > 0, qty.isFinite else {
      return .failure(Refusal("zero_size", "the size rounds to zero"))
    }
    if minQty > 0, qty < minQty {
      return .failure(
        Refusal(
          "below_min_qty",
          "size \(formatNumber(qty)) is below the minimum quantity \(formatNumber(minQty))"))
    }
    if minNotional > 0, qty * price < minNotional {
      return .failure(
        Refusal(
          "below_min_notional",
          "notional \(formatNumber(qty * price)) is below the minimum \(formatNumber(minNotional))"
        ))
    }
    return .success(qty)
  }
}

/// How `ctx:exit{fraction = f}` is carried out, decided by the kernel when the script asks, so
/// backtest, paper, live and replay execute the same thing.
///
/// Both pieces of a partial close must be tradable. The smallest tradable quantity is the
/// instrument's (`max(lot step, min qty, min notional / price)`) when its rules are known;
/// without rules it is `unknownRulesFloor` (1 %) of the largest quantity the position has held.
/// - The remainder would fall below it: the whole position closes (`.full`). A leftover that
///   cannot be closed on its own is never left behind, and a script that halves its position on
///   every candle ends with a full close instead of an endless run of ever smaller rows.
/// - Otherwise the part itself is below it: refused with `partial_below_minimum` (nothing closes:
///   Wick never closes more than asked for a part too small to trade).
/// - Otherwise the part, rounded down to the lot step, closes (`.partial` with that fraction).
public enum PartialClose: Equatable, Sendable {
  case partial(fraction: Double)
  case full
  case refused(Refusal)

  /// Without instrument rules, a piece below this share of the position's largest quantity is
  /// too small to trade.
  public static let unknownRulesFloor = 0.01

  public static func decide(
    qty: Double, peakQty: Double, fraction: Double, price: Double, rules: LotRules?
  ) -> PartialClose {
    var part = qty * fraction
    let floor: Double
    if let rules {
      part = rules.roundDown(part)
      var m = max(rules.lotStep, rules.minQty)
      if rules.minNotional > 0, price > 0 { m = max(m, rules.minNotional / price) }
      floor = m
    } else {
      floor = max(peakQty, qty) * unknownRulesFloor
    }
    // A relative tolerance: lot-step arithmetic in binary leaves remainders like 0.0999999.
    let slack = floor * 1e-9
    if qty - part < floor - slack { return .full }
    if part <= 0 || part < floor - slack {
      return .refused(
        Refusal(
          "partial_below_minimum",
          "closing \(formatNumber(fraction)) of \(formatNumber(qty)) is \(formatNumber(part)), below the smallest tradable quantity \(formatNumber(floor))"
        ))
    }
    return .partial(fraction: part / qty)
  }
}
