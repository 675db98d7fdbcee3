import WickCore

/// The risk gate of one run under a `SharedGovernor`: the run's own `RiskEngine` keeps the
/// per-account rules and sizing (accounts, stops, daily limits, kill switch, decay, max position
/// value); the governor's rules and the total caps are asked of the shared governor instead.
///
/// A shared verdict depends on the other runs, so it is not re-decided when the run re-handles
/// recorded candles: `verdicts` supplies the recorded outcome and the gate re-applies it.
public final class GroupRiskGate: ClaimingRiskGate, RiskJournal {
  /// The run's own accounts and sizing.
  public let engine: RiskEngine
  public let shared: SharedGovernor
  public let member: Int
  let symbols: [String]
  let limits: [String]
  /// The run's journal while it re-handles recorded candles.
  public weak var verdicts: RecordedVerdicts?
  /// Symbol ownership across processes (nil in `wick replay`, which never decides live).
  public var claims: SymbolClaims?
  /// Told of every refusal the shared governor or the ledger decided (printed by the runner).
  public var onSharedRefusal: ((_ symbol: String, _ refusal: Refusal) -> Void)?
  public private(set) var events: [RiskEvent] = []
  private var engineEventsSeen = 0

  public init(
    config: WickConfig, strategy: String, symbols: [String], initialEquity: Double,
    shared: SharedGovernor
  ) {
    var own = config
    // The governor and the total caps are the shared governor's: off in the run's own engine.
    own.governor.oneAccountPerSymbol = false
    own.governor.noOpposingExposure = false
    own.governor.maxNetExposurePct = .infinity
    own.governor.maxConcurrentPositions = Int.max / 2
    own.governor.cooldownMinutes = 0
    own.caps.maxDailyLoss = 0
    own.caps.flattenOnDailyLoss = false
    own.caps.maxTotalLoss = 0
    engine = RiskEngine(
      config: own, strategy: strategy, symbols: symbols, initialEquity: initialEquity)
    limits =
      RiskEngine(config: config, strategy: strategy, symbols: symbols, initialEquity: initialEquity)
      .limitsInForce + ["governor and caps shared by every run of the process"]
      // The shared cap's flatten is not a cross-run decision Wick records yet: said, not hidden.
      + (config.caps.flattenOnDailyLoss
        ? ["[caps] flatten_on_daily_loss: across runs the daily cap refuses entries only"] : [])
    self.shared = shared
    self.symbols = symbols
    member = shared.join(initialEquity: initialEquity)
  }

  public var leverage: Double { engine.leverage }
  public func lotRules(symbol: Int) -> LotRules? { engine.lotRules(symbol: symbol) }
  public func riskFraction(_ requested: Double?) -> Result<Double, Refusal> {
    engine.riskFraction(requested)
  }
  public var limitsInForce: [String] { limits }
  public var statePoints: [RiskStatePoint] { engine.statePoints }

  public func review(_ request: RiskRequest, portfolio: PortfolioView) -> IntentOutcome {
    let outcome = engine.review(request, portfolio: portfolio)
    absorbEngineEvents()
    guard case .accepted(let qty) = outcome else { return outcome }
    let intent = request.intent
    let symbol = symbols[intent.symbol]
    let account = engine.accounts[intent.symbol].name
    let verdict = decide(time: request.time, symbol: symbol, account: account) {
      shared.refusal(
        account: account, symbol: symbol, side: intent.side,
        notional: qty * request.referencePrice, time: request.time)
        ?? claims?.claim(symbol: symbol, account: account)
    }
    return verdict.map { .refused($0) } ?? outcome
  }

  public func admit(
    legs: [(symbol: Int, side: Side, qty: Double)], time: Int64, portfolio: PortfolioView
  ) -> Refusal? {
    if let r = engine.admit(legs: legs, time: time, portfolio: portfolio) {
      absorbEngineEvents()
      return r
    }
    let account = legs.map { engine.accounts[$0.symbol].name }.joined(separator: "+")
    let names = legs.map { symbols[$0.symbol] }
    return decide(time: time, symbol: names.joined(separator: "+"), account: account) {
      if let r = shared.refusal(
        legs: legs.map { (symbols[$0.symbol], $0.side) }, account: account, time: time)
      {
        return r
      }
      // Both legs are claimed before either is sent (the second may still be refused).
      for (leg, name) in zip(legs, names) {
        if let r = claims?.claim(symbol: name, account: engine.accounts[leg.symbol].name) {
          return r
        }
      }
      return nil
    }
  }

  /// The shared verdict: the recorded one while re-handling recorded candles, otherwise what
  /// `live` decides (the shared governor, then the symbol claim).
  private func decide(
    time: Int64, symbol: String, account: String, live: () -> Refusal?
  ) -> Refusal? {
    let refusal: Refusal
    if let recorded = verdicts?.recordedOutcome(time: time) {
      guard case .refused(let r) = recorded else { return nil }
      refusal = r
      // A breach re-applied still starts the cooldown the other runs saw.
      if ["net_exposure_cap", "daily_loss_cap"].contains(r.code) { shared.breach(at: time) }
    } else if let r = live() {
      refusal = r
      onSharedRefusal?(symbol, r)
    } else {
      return nil
    }
    if ["net_exposure_cap", "daily_loss_cap"].contains(refusal.code) {
      events.append(
        RiskEvent(time: time, kind: .breach, account: account, detail: refusal.description))
    }
    return refusal
  }

  public func recordOpen(_ position: Position, time: Int64) {
    engine.recordOpen(position, time: time)
    absorbEngineEvents()
  }

  public func recordClose(_ trade: Trade, symbol: Int, time: Int64, portfolio: PortfolioView) {
    engine.recordClose(trade, symbol: symbol, time: time, portfolio: portfolio)
    absorbEngineEvents()
  }

  public func advance(to time: Int64, portfolio: PortfolioView) -> [(symbol: Int, reason: String)] {
    shared.advance(member: member, time: time)
    let flatten = engine.advance(to: time, portfolio: portfolio)
    absorbEngineEvents()
    return flatten
  }

  /// The run's own engine's events join the run's log; a killed account is a breach for all runs.
  private func absorbEngineEvents() {
    let all = engine.events
    guard all.count > engineEventsSeen else { return }
    for e in all[engineEventsSeen...] {
      events.append(e)
      if e.kind == .kill { shared.breach(at: e.time) }
    }
    engineEventsSeen = all.count
  }
}
