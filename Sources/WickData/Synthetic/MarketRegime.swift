/// The market state a synthetic series is in; a Markov chain moves between them.
public enum MarketRegime: Int, CaseIterable, Sendable {
  case trendUp, trendDown, range

  /// The next regime: stay with probability `1 - switchProbability`, otherwise move to one of
  /// the other two, with ranges twice as likely as a reversal (markets mostly pause before turning).
  func next(switchProbability: Double, uniform u: Double) -> MarketRegime {
    guard u < switchProbability else { return self }
    let pick = u / switchProbability  // uniform in [0, 1) given a switch
    switch self {
    case .trendUp: return pick < 2.0 / 3 ? .range : .trendDown
    case .trendDown: return pick < 2.0 / 3 ? .range : .trendUp
    case .range: return pick < 0.5 ? .trendUp : .trendDown
    }
  }
}
