import WickCore

/// The full risk layer of a run (what `--config`/`wick.toml` turns on, and what paper and live
/// always use): virtual accounts per strategy × symbol, the governor, absolute caps and sizing.
/// Every refusal carries a stable code and a reason, and is kept in `events`.
public final class RiskEngine: ClaimingRiskGate, RiskJournal {
  public let config: WickConfig
  public private(set) var accounts: [VirtualAccount]
  public private(set) var governor: Governor
  public private(set) var events: [RiskEvent] = []
  public private(set) var statePoints: [RiskStatePoint] = []
  /// Set by the emergency stop (absolute total loss): everything is flattened and stays halted.
  public private(set) var halted = false
  let symbols: [String]
  let initialEquity: Double
  var currentDay: Int64?
  /// Bumped whenever an account's state changes, so an account's refusal (a formatted string) is
  /// built once per state rather than once per refused intent.
  var accountStamps: [Int]
  var cachedRefusals: [(stamp: Int, refusal: Refusal?)?]
  var lastRefusalEvent: [String: String] = [:]
  var dayStartEquity: Double
  /// Why `[caps] flatten_on_daily_loss` flattened everything today (entries wait for the reset).
  var capsDailyStop: String?
  var flattenPending = false
  /// One owner per symbol beyond this run (the ledger); nil in backtests.
  public var claims: SymbolClaims?
  /// The run's recorded decisions while it re-handles them (resume, replay).
  public weak var verdicts: RecordedVerdicts?

  public var leverage: Double { config.risk.leverage }

  public func lotRules(symbol: Int) -> LotRules? {
    guard let i = config.instruments[symbols[symbol]],
      i.lotStep > 0 || i.minQty > 0 || i.minNotional > 0
    else { return nil }
    return i.lotRules
  }

  /// - Parameters:
  ///   - strategy: the strategy's name; accounts configured for it (or for no strategy) apply.
  ///   - initialEquity: real equity; symbols without a configured account share it equally.
  public init(config: WickConfig, strategy: String, symbols: [String], initialEquity: Double) {
    self.config = config
    self.symbols = symbols
    self.initialEquity = initialEquity
    dayStartEquity = initialEquity
    governor = Governor(config: config.governor)
    accountStamps = Array(repeating: 0, count: symbols.count)
    cachedRefusals = Array(repeating: nil, count: symbols.count)
    accounts = symbols.enumerated().map { i, symbol in
      let configured = config.accounts.first {
        $0.symbol == symbol && ($0.strategy == nil || $0.strategy == strategy)
      }
      var account = VirtualAccount(
        name: configured?.name ?? "\(strategy):\(symbol)", symbol: i,
        allocation: configured?.allocation ?? initialEquity / Double(symbols.count),
        maxDailyLoss: configured?.maxDailyLoss ?? config.risk.maxDailyLoss,
        maxDrawdownPct: configured?.maxDrawdownPct ?? config.risk.maxDrawdownPct,
        maxTradesPerDay: configured?.maxTradesPerDay ?? config.risk.maxTradesPerDay)
      account.flattenOnDailyLoss = config.risk.flattenOnDailyLoss
      return account
    }
  }

  func unrealized(_ symbol: Int, _ portfolio: PortfolioView) -> Double {
    portfolio.position(symbol: symbol)?.unrealized(at: portfolio.lastPrice(symbol: symbol)) ?? 0
  }

  /// Records a refusal; a run of identical refusals for an account is logged once (the engine
  /// still counts every one).
  private func refuse(_ r: Refusal, account: String, time: Int64) -> IntentOutcome {
    if lastRefusalEvent[account] != r.detail {
      lastRefusalEvent[account] = r.detail
      events.append(RiskEvent(time: time, kind: .refusal, account: account, detail: r.description))
    }
    return .refused(r)
  }

  private func accountRefusal(_ i: Int) -> Refusal? {
    if let cached = cachedRefusals[i], cached.stamp == accountStamps[i] { return cached.refusal }
    let r = accounts[i].entryRefusal()
    cachedRefusals[i] = (accountStamps[i], r)
    return r
  }

  private func touch(_ i: Int) { accountStamps[i] &+= 1 }

  public func review(_ request: RiskRequest, portfolio: PortfolioView) -> IntentOutcome {
    let intent = request.intent
    let time = request.time
    let account = accounts[intent.symbol]
    let symbol = symbols[intent.symbol]
    if halted {
      return refuse(
        Refusal("emergency_stop", "trading is halted after the total-loss emergency stop"),
        account: account.name, time: time)
    }
    if let r = accountRefusal(intent.symbol) { return refuse(r, account: account.name, time: time) }
    if config.risk.requireStop && intent.stop == nil {
      return refuse(
        Refusal("missing_stop", "an entry needs a stop (require_stop is on)"),
        account: account.name, time: time)
    }
    if let r = IntentLevels.refusal(intent, price: request.referencePrice) {
      return refuse(r, account: account.name, time: time)
    }
    if let stop = intent.stop {
      let distance = (request.referencePrice - stop) * intent.side.sign
      if distance < config.risk.minStopDistancePct * request.referencePrice {
        return refuse(
          Refusal("stop_too_close", "stop distance is below min_stop_distance_pct"),
          account: account.name, time: time)
      }
    }
    if let r = capsDailyStopRefusal {
      governor.breach(at: time)
      return refuse(r, account: account.name, time: time)
    }
    if config.caps.maxDailyLoss > 0, dayStartEquity - portfolio.equity() >= config.caps.maxDailyLoss
    {
      governor.breach(at: time)
      return refuse(
        Refusal(
          "daily_loss_cap",
          "real equity lost \(formatNumber(dayStartEquity - portfolio.equity())) today (cap \(formatNumber(config.caps.maxDailyLoss)))"
        ),
        account: account.name, time: time)
    }
    let risk: Double
    switch riskFraction(intent.risk) {
    case .success(let r): risk = r
    case .failure(let r): return refuse(r, account: account.name, time: time)
    }
    let sizer = SizeCalculator(
      leverage: leverage, instrument: config.instruments[symbol] ?? InstrumentSpec(),
      maxPositionValue: config.caps.maxPositionValue)
    let decay = config.risk.decayFactor(lossStreak: account.lossStreak)
    let equity = account.equity(unrealized: unrealized(intent.symbol, portfolio))
    switch sizer.size(
      equity: equity, risk: risk, decay: decay, entry: request.referencePrice, stop: intent.stop,
      adding: request.adding)
    {
    case .failure(let r): return refuse(r, account: account.name, time: time)
    case .success(let qty):
      if let r = governor.refusal(
        account: account.name, symbol: symbol, side: intent.side,
        notional: qty * request.referencePrice, time: time,
        portfolio: portfolio, adding: request.adding != nil)
      {
        if r.code == "net_exposure_cap" {
          governor.breach(at: time)
          events.append(
            RiskEvent(time: time, kind: .breach, account: account.name, detail: r.description))
        }
        return refuse(r, account: account.name, time: time)
      }
      if let r = claimRefusal(symbol: symbol, account: account.name, time: time) {
        return refuse(r, account: account.name, time: time)
      }
      return .accepted(qty: qty)
    }
  }

  /// After `[caps] flatten_on_daily_loss` flattened everything today: single entries and pairs.
  private var capsDailyStopRefusal: Refusal? {
    capsDailyStop.map { Refusal("daily_loss_cap", "\($0) (entries resume at the daily reset)") }
  }

  public func riskFraction(_ requested: Double?) -> Result<Double, Refusal> {
    let risk = requested ?? config.risk.riskPerTrade
    guard risk > 0, risk <= config.risk.maxRiskPerTrade else {
      return .failure(
        Refusal(
          "risk_out_of_range",
          "risk \(formatNumber(risk)) is outside (0, \(formatNumber(config.risk.maxRiskPerTrade))]")
      )
    }
    return .success(risk)
  }

  public func admit(
    legs: [(symbol: Int, side: Side, qty: Double)], time: Int64, portfolio: PortfolioView
  ) -> Refusal? {
    let name = legs.map { accounts[$0.symbol].name }.joined(separator: "+")
    func refused(_ r: Refusal) -> Refusal {
      _ = refuse(r, account: name, time: time)
      return r
    }
    if halted {
      return refused(
        Refusal("emergency_stop", "trading is halted after the total-loss emergency stop"))
    }
    if let r = capsDailyStopRefusal { return refused(r) }
    for leg in legs {
      if let r = accountRefusal(leg.symbol) { return refused(r) }
    }
    // The legs are one position toward the portfolio cap, as an open pair is.
    if let r = governor.positionsRefusal(
      open: portfolio.symbols.indices.filter { portfolio.position(symbol: $0) != nil }.count,
      portfolio: portfolio)
    {
      return refused(r)
    }
    for leg in legs {
      let price = portfolio.lastPrice(symbol: leg.symbol)
      if config.caps.maxPositionValue > 0, leg.qty * price > config.caps.maxPositionValue {
        return refused(
          Refusal(
            "max_position_value",
            "a leg's value \(formatNumber(leg.qty * price)) exceeds \(formatNumber(config.caps.maxPositionValue))"
          ))
      }
      var governorView = governor
      governorView.config.maxConcurrentPositions = Int.max  // counted for the unit above
      if let r = governorView.refusal(
        account: accounts[leg.symbol].name, symbol: symbols[leg.symbol], side: leg.side,
        notional: 0, time: time,
        portfolio: portfolio)
      {
        return refused(r)
      }
    }
    for leg in legs {
      if let r = claimRefusal(
        symbol: symbols[leg.symbol], account: accounts[leg.symbol].name, time: time)
      {
        return refused(r)
      }
    }
    return nil
  }

  public func recordOpen(_ position: Position, time: Int64) {
    accounts[position.symbol].tradesToday += 1
    touch(position.symbol)
    governor.claim(symbol: symbols[position.symbol], account: accounts[position.symbol].name)
  }

  public func recordClose(_ trade: Trade, symbol: Int, time: Int64, portfolio: PortfolioView) {
    accounts[symbol].record(pnl: trade.pnl, endsTrade: !trade.partial)
    touch(symbol)
    // A partial close leaves the position (and the symbol's owner) in place.
    if !trade.partial { governor.release(symbol: symbols[symbol]) }
    if accounts[symbol].checkDrawdown(equity: accounts[symbol].equity(unrealized: 0)) {
      touch(symbol)
      events.append(
        RiskEvent(
          time: time, kind: .kill, account: accounts[symbol].name,
          detail: accounts[symbol].killReason ?? ""))
      governor.breach(at: time)
    }
    snapshot(symbol, time)
  }

  public func advance(to time: Int64, portfolio: PortfolioView) -> [(symbol: Int, reason: String)] {
    let day = UTCTime.floorDiv(time - Int64(config.risk.dailyResetHourUTC) * 3_600_000, 86_400_000)
    if currentDay != day {
      if currentDay != nil {
        for i in accounts.indices {
          accounts[i].resetDay(equity: accounts[i].equity(unrealized: unrealized(i, portfolio)))
          touch(i)
          snapshot(i, time)
        }
      }
      currentDay = day
      dayStartEquity = portfolio.equity()
      capsDailyStop = nil
    }
    var flatten: [(Int, String)] = []
    // Drawdown kill switch on marked equity: the account is killed and its position closed.
    for i in accounts.indices where !accounts[i].killed {
      if accounts[i].checkDrawdown(equity: accounts[i].equity(unrealized: unrealized(i, portfolio)))
      {
        touch(i)
        events.append(
          RiskEvent(
            time: time, kind: .kill, account: accounts[i].name, detail: accounts[i].killReason ?? ""
          ))
        governor.breach(at: time)
        snapshot(i, time)
        if portfolio.position(symbol: i) != nil {
          flatten.append((i, "account killed: \(accounts[i].killReason ?? "")"))
        }
      }
    }
    // `flatten_on_daily_loss` (seed 005's "closes positions on loss limits"): the daily limit
    // closes positions through the kill's flatten, and entries wait for the daily reset.
    // Off (the default), the candle path skips the loop.
    for i in accounts.indices
    where config.risk.flattenOnDailyLoss
      && accounts[i].checkDailyLoss(
        equity: accounts[i].equity(unrealized: unrealized(i, portfolio)))
    {
      touch(i)
      let stop = "\(accounts[i].name) \(accounts[i].dailyStop ?? "")"
      events.append(
        RiskEvent(
          time: time, kind: .dailyLoss, account: accounts[i].name,
          detail: "daily loss limit: \(stop): flatten until the daily reset"))
      if portfolio.position(symbol: i) != nil, !flatten.contains(where: { $0.0 == i }) {
        flatten.append((i, "daily loss limit: \(stop)"))
      }
    }
    if !halted, capsDailyStop == nil, config.caps.flattenOnDailyLoss,
      config.caps.maxDailyLoss > 0,
      dayStartEquity - portfolio.equity() >= config.caps.maxDailyLoss
    {
      let stop =
        "real equity lost \(formatNumber(dayStartEquity - portfolio.equity())) since the daily reset (cap \(formatNumber(config.caps.maxDailyLoss)))"
      capsDailyStop = stop
      governor.breach(at: time)
      events.append(
        RiskEvent(
          time: time, kind: .dailyLoss, account: "*",
          detail: "daily loss cap: \(stop): flatten until the daily reset"))
      for i in symbols.indices
      where portfolio.position(symbol: i) != nil && !flatten.contains(where: { $0.0 == i }) {
        flatten.append((i, "daily loss cap: \(stop)"))
      }
    }
    // Seed 004's emergency stop: total loss over the cap flattens everything and halts.
    if !halted, config.caps.maxTotalLoss > 0,
      initialEquity - portfolio.equity() >= config.caps.maxTotalLoss
    {
      halted = true
      let lost = initialEquity - portfolio.equity()
      events.append(
        RiskEvent(
          time: time, kind: .emergency, account: "*",
          detail:
            "total loss \(formatNumber(lost)) ≥ cap \(formatNumber(config.caps.maxTotalLoss)): flatten and halt"
        ))
      for i in symbols.indices where portfolio.position(symbol: i) != nil {
        flatten.append((i, "emergency stop"))
      }
    }
    return flatten
  }

  private func snapshot(_ i: Int, _ time: Int64) {
    let a = accounts[i]
    let point = RiskStatePoint(
      time: time, account: a.name, decayFactor: config.risk.decayFactor(lossStreak: a.lossStreak),
      dailyLossUsed: a.dailyLossUsed, killed: a.killed)
    if let last = statePoints.last(where: { $0.account == a.name }),
      last.decayFactor == point.decayFactor,
      last.dailyLossUsed == point.dailyLossUsed, last.killed == point.killed
    {
      return
    }
    statePoints.append(point)
  }

  /// The user's reset of a killed account (live and paper; a backtest keeps kills for the run).
  public func resetAccount(symbol: Int, portfolio: PortfolioView) {
    accounts[symbol].reset(
      equity: accounts[symbol].equity(unrealized: unrealized(symbol, portfolio)))
    touch(symbol)
  }

  public var limitsInForce: [String] {
    let r = config.risk
    var out = [
      "sizing: risk \(formatNumber(r.riskPerTrade * 100))% of account equity × loss-streak decay, leverage \(formatNumber(leverage))x (max \(formatNumber(r.maxLeverage))x)"
    ]
    if r.requireStop { out.append("mandatory stop") }
    out.append("drawdown kill switch at \(formatNumber(r.maxDrawdownPct * 100))% per account")
    if r.maxDailyLoss > 0 {
      out.append(
        "daily loss limit \(formatNumber(r.maxDailyLoss)) per account (reset \(r.dailyResetHourUTC):00 UTC)"
          + (r.flattenOnDailyLoss ? ", flattens the account's position" : ""))
    }
    if r.maxTradesPerDay > 0 { out.append("max \(r.maxTradesPerDay) trades per day per account") }
    let g = config.governor
    out.append(
      "governor: max \(g.maxConcurrentPositions) positions, net exposure ≤ \(formatNumber(g.maxNetExposurePct * 100))% of equity, cooldown \(formatNumber(g.cooldownMinutes)) min"
        + (g.noOpposingExposure ? ", no opposing exposure" : "")
        + (g.oneAccountPerSymbol ? ", one account per symbol" : ""))
    let c = config.caps
    if c.maxPositionValue > 0 {
      out.append("max position value \(formatNumber(c.maxPositionValue))")
    }
    if c.maxDailyLoss > 0 {
      out.append(
        "absolute daily loss cap \(formatNumber(c.maxDailyLoss))"
          + (c.flattenOnDailyLoss ? ", flattens every position" : ""))
    }
    if c.maxTotalLoss > 0 {
      out.append("emergency stop at total loss \(formatNumber(c.maxTotalLoss))")
    }
    if !config.instruments.isEmpty {
      out.append(
        "instrument constraints for \(config.instruments.keys.sorted().joined(separator: ", "))")
    }
    return out
  }
}
