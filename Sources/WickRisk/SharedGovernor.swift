import WickCore

/// The rules across accounts and the absolute caps for every run of one process
/// (`wick run --config wick.toml`): one governor over all of them (DESIGN.md "Risk").
///
/// - governor: no opposing exposure, net exposure cap against the runs' total equity, max
///   concurrent positions (pending entries count), a cooldown after a breach in any run;
/// - one account per symbol: `SymbolClaims` (the ledger), so two processes cannot both own one;
/// - seed 004's caps on the total: daily loss refuses entries; total loss is the emergency stop
///   (`checkTotalLoss`: the process flattens and halts every run).
///
/// Its verdicts depend on the other runs, so each run records them as decisions and a resume or
/// `wick replay` re-applies the recorded ones (`GroupRiskGate`).
public final class SharedGovernor {
  public let config: WickConfig
  private var governor: Governor
  var members: [Member] = []
  /// Set once the total loss reached `[caps] max_total_loss`.
  public private(set) var emergency: String?
  /// The runs' books as one portfolio (what the governor's rules read).
  public private(set) lazy var portfolio = GroupPortfolio(governor: self)

  final class Member {
    weak var portfolio: PortfolioView?
    let initialEquity: Double
    var dayStartEquity: Double
    var day: Int64?
    init(initialEquity: Double) {
      self.initialEquity = initialEquity
      dayStartEquity = initialEquity
    }
    var equity: Double { portfolio?.equity() ?? initialEquity }
  }

  public init(config: WickConfig) {
    self.config = config
    var rules = config.governor
    // Symbol ownership lives in the ledger (SymbolClaims), across processes too.
    rules.oneAccountPerSymbol = false
    governor = Governor(config: rules)
  }

  /// Adds a run; returns its member index.
  public func join(initialEquity: Double) -> Int {
    members.append(Member(initialEquity: initialEquity))
    return members.count - 1
  }

  /// The run's book, once its kernel exists.
  public func attach(member: Int, portfolio view: PortfolioView) {
    members[member].portfolio = view
    portfolio.rebuild()
  }

  var totalEquity: Double { members.reduce(0) { $0 + $1.equity } }

  /// The cross-run verdict on an entry already sized by its run's own rules.
  public func refusal(
    account: String, symbol: String, side: Side, notional: Double, time: Int64
  ) -> Refusal? {
    if let r = haltRefusal(time: time) { return r }
    if let r = governor.refusal(
      account: account, symbol: symbol, side: side, notional: notional, time: time,
      portfolio: portfolio)
    {
      if r.code == "net_exposure_cap" { breach(at: time) }
      return r
    }
    return nil
  }

  /// The cross-run verdict on pair legs, as one unit (one position toward max positions).
  public func refusal(legs: [(symbol: String, side: Side)], account: String, time: Int64)
    -> Refusal?
  {
    if let r = haltRefusal(time: time) { return r }
    // The legs are one position toward the cap, as every run's open pairs are.
    if let r = governor.positionsRefusal(open: portfolio.openPositions, portfolio: portfolio) {
      return Refusal(r.code, r.detail + " across runs")
    }
    var unit = governor
    unit.config.maxConcurrentPositions = Int.max  // counted for the unit above
    for leg in legs {
      if let r = unit.refusal(
        account: account, symbol: leg.symbol, side: leg.side, notional: 0, time: time,
        portfolio: portfolio)
      {
        return r
      }
    }
    return nil
  }

  /// What refuses every entry, whatever its symbol: the emergency stop, then the daily loss cap.
  private func haltRefusal(time: Int64) -> Refusal? {
    if let emergency {
      return Refusal("emergency_stop", "trading is halted after the emergency stop: \(emergency)")
    }
    return dailyLossRefusal(time: time)
  }

  private func dailyLossRefusal(time: Int64) -> Refusal? {
    guard config.caps.maxDailyLoss > 0 else { return nil }
    let lost = members.reduce(0) { $0 + $1.dayStartEquity } - totalEquity
    guard lost >= config.caps.maxDailyLoss else { return nil }
    breach(at: time)
    return Refusal(
      "daily_loss_cap",
      "real equity of all runs lost \(formatNumber(lost)) today (cap \(formatNumber(config.caps.maxDailyLoss)))"
    )
  }

  /// A breach in any run starts the cooldown for all of them.
  public func breach(at time: Int64) { governor.breach(at: time) }

  /// A run reached a new candle time: its day's starting equity rolls at the daily reset hour.
  public func advance(member: Int, time: Int64) {
    let m = members[member]
    let day = UTCTime.floorDiv(
      time - Int64(config.risk.dailyResetHourUTC) * 3_600_000, 86_400_000)
    if m.day != day {
      m.day = day
      m.dayStartEquity = m.equity
    }
  }

  /// Seed 004's emergency stop on the total: returns the reason once, when the runs together
  /// lost `[caps] max_total_loss`; the caller flattens and halts every run.
  public func checkTotalLoss() -> String? {
    guard emergency == nil, config.caps.maxTotalLoss > 0 else { return nil }
    let lost = members.reduce(0) { $0 + $1.initialEquity } - totalEquity
    guard lost >= config.caps.maxTotalLoss else { return nil }
    emergency =
      "total loss \(formatNumber(lost)) of all runs ≥ cap \(formatNumber(config.caps.maxTotalLoss)): flatten and halt"
    return emergency
  }
}

/// Every run's book as one portfolio: the symbols of all runs side by side (a symbol traded by
/// two runs appears twice), equity and pending entries summed.
public final class GroupPortfolio: PortfolioView {
  unowned let governor: SharedGovernor
  /// Per position in `symbols`: the member and its symbol index.
  private var slots: [(member: Int, symbol: Int)] = []
  public private(set) var symbols: [String] = []

  init(governor: SharedGovernor) { self.governor = governor }

  func rebuild() {
    slots = []
    symbols = []
    for (m, member) in governor.members.enumerated() {
      guard let view = member.portfolio else { continue }
      for (i, name) in view.symbols.enumerated() {
        slots.append((m, i))
        symbols.append(name)
      }
    }
  }

  private var books: [PortfolioView] { governor.members.compactMap(\.portfolio) }

  public func position(symbol: Int) -> Position? {
    governor.members[slots[symbol].member].portfolio?.position(symbol: slots[symbol].symbol)
  }
  public func lastPrice(symbol: Int) -> Double {
    governor.members[slots[symbol].member].portfolio?.lastPrice(symbol: slots[symbol].symbol) ?? 0
  }
  public func equity() -> Double { governor.totalEquity }
  public func marginInUse() -> Double { books.reduce(0) { $0 + $1.marginInUse() } }
  public var pendingEntries: Int { books.reduce(0) { $0 + $1.pendingEntries } }
  public var pairedUnits: Int { books.reduce(0) { $0 + $1.pairedUnits } }
  var openPositions: Int { symbols.indices.filter { position(symbol: $0) != nil }.count }
}
