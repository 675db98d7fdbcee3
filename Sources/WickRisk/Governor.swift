import WickCore

/// Rules across accounts (seed 001's global rules and seed 002's portfolio caps): one account
/// owns a symbol, no opposing exposures, a net exposure cap against real equity, a cooldown
/// after a breach, and a cap on concurrent positions.
public struct Governor: Sendable {
  public var config: GovernorConfig
  /// Account name owning each symbol while it has a position.
  public private(set) var owners: [String: String] = [:]
  public private(set) var cooldownUntil: Int64 = .min

  public init(config: GovernorConfig) { self.config = config }

  public func refusal(
    account: String, symbol: String, side: Side, notional: Double, time: Int64,
    portfolio: PortfolioView, adding: Bool = false
  ) -> Refusal? {
    if time < cooldownUntil {
      return Refusal(
        "cooldown", "entries paused after a breach until \(UTCTime.iso(cooldownUntil))")
    }
    if config.oneAccountPerSymbol, let owner = owners[symbol], owner != account {
      return Refusal("symbol_owned", "\(symbol) is owned by account \(owner)")
    }
    var open = 0
    var net = 0.0
    for i in portfolio.symbols.indices {
      guard let p = portfolio.position(symbol: i) else { continue }
      open += 1
      net += p.side.sign * p.qty * portfolio.lastPrice(symbol: i)
      if config.noOpposingExposure, portfolio.symbols[i] == symbol, p.side != side {
        return Refusal("opposing_exposure", "\(symbol) already has a \(p.side.rawValue) position")
      }
    }
    // A resting limit entry counts as if filled: toward the positions (pendingEntries) and the
    // net exposure at its limit price.
    net += portfolio.restingNotional
    if !adding, let r = positionsRefusal(open: open, portfolio: portfolio) { return r }
    let equity = portfolio.equity()
    let after = abs(net + side.sign * notional)
    if equity > 0, after > config.maxNetExposurePct * equity, after > abs(net) {
      return Refusal(
        "net_exposure_cap",
        "net exposure would be \(formatNumber(after.rounded())) > \(formatNumber(config.maxNetExposurePct * 100))% of equity \(formatNumber(equity.rounded()))"
      )
    }
    return nil
  }

  /// `max_concurrent_positions` for one more position (a single entry, or a pair as a unit)
  /// beside the `open` ones and the portfolio's pending entries, a pair's two legs counting once.
  public func positionsRefusal(open: Int, portfolio: PortfolioView) -> Refusal? {
    let pending = portfolio.pendingEntries
    let pairs = portfolio.pairedUnits
    guard open + pending - pairs >= config.maxConcurrentPositions else { return nil }
    return Refusal(
      "max_positions",
      "\(open) positions open and \(pending) pending"
        + (pairs > 0 ? ", \(pairs) pair\(pairs == 1 ? "" : "s") counted once" : "")
        + " (limit \(config.maxConcurrentPositions))")
  }

  public mutating func claim(symbol: String, account: String) { owners[symbol] = account }
  public mutating func release(symbol: String) { owners[symbol] = nil }

  /// Starts the cooldown after a breach at `time`.
  public mutating func breach(at time: Int64) {
    cooldownUntil = max(cooldownUntil, time + Int64(config.cooldownMinutes * 60_000))
  }
}
