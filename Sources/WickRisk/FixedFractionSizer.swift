import WickCore

/// Sizing only: risk a fixed fraction of equity to the stop, capped by leverage.
///
///     qty = min(equity × risk / |entry − stop|, equity × leverage / entry)
///
/// With `requireStop` (the default) an intent without a stop is refused. This is what a plain
/// `wick backtest` without a risk config applies.
public final class FixedFractionSizer: RiskGate {
  public var riskPerTrade: Double
  public var maxRiskPerTrade: Double
  public let leverage: Double
  public var requireStop: Bool

  public init(
    riskPerTrade: Double = 0.01, maxRiskPerTrade: Double = 0.05, leverage: Double = 3,
    requireStop: Bool = true
  ) {
    self.riskPerTrade = riskPerTrade
    self.maxRiskPerTrade = maxRiskPerTrade
    self.leverage = leverage
    self.requireStop = requireStop
  }

  public func review(_ request: RiskRequest, portfolio: PortfolioView) -> IntentOutcome {
    let intent = request.intent
    let risk: Double
    switch riskFraction(intent.risk) {
    case .success(let r): risk = r
    case .failure(let refusal): return .refused(refusal)
    }
    if intent.stop == nil && requireStop {
      return .refused(Refusal("missing_stop", "an entry needs a stop (require_stop is on)"))
    }
    if let refusal = IntentLevels.refusal(intent, price: request.referencePrice) {
      return .refused(refusal)
    }
    switch SizeCalculator(leverage: leverage).size(
      equity: portfolio.equity(), risk: risk, decay: 1, entry: request.referencePrice,
      stop: intent.stop, adding: request.adding)
    {
    case .success(let qty): return .accepted(qty: qty)
    case .failure(let refusal): return .refused(refusal)
    }
  }

  public func riskFraction(_ requested: Double?) -> Result<Double, Refusal> {
    let risk = requested ?? riskPerTrade
    if risk <= 0 || risk > maxRiskPerTrade {
      return .failure(
        Refusal("risk_out_of_range", "risk \(risk) is outside (0, \(maxRiskPerTrade)]"))
    }
    return .success(risk)
  }

  /// Sizing-only mode has no account or portfolio limits to apply to pre-sized legs.
  public func admit(
    legs: [(symbol: Int, side: Side, qty: Double)], time: Int64, portfolio: PortfolioView
  ) -> Refusal? { nil }

  public func recordOpen(_ position: Position, time: Int64) {}
  public func recordClose(_ trade: Trade, symbol: Int, time: Int64, portfolio: PortfolioView) {}
  public func advance(to time: Int64, portfolio: PortfolioView) -> [(symbol: Int, reason: String)] {
    []
  }

  public var limitsInForce: [String] {
    [
      "sizing: risk \(formatNumber(riskPerTrade * 100))% of equity to the stop, leverage cap \(formatNumber(leverage))x"
    ]
      + (requireStop ? ["mandatory stop"] : [])
  }
}
