import WickCore

/// Everything `wick.toml` configures, with the defaults of seeds 001, 002 and 004.
/// See `config/wick.toml` for the documented example.
public struct WickConfig: Sendable, Equatable {
  public var risk = RiskConfig()
  public var accounts: [AccountConfig] = []
  public var governor = GovernorConfig()
  public var caps = AbsoluteCaps()
  public var costs = CostsConfig()
  public var instruments: [String: InstrumentSpec] = [:]
  /// Exchange endpoints by name (`[exchange.bybit]`), e.g. a mirror or the testnet.
  public var exchanges: [String: ExchangeEndpoint] = [:]
  /// `[dashboard]`: what `wick serve` needs.
  public var dashboard = DashboardConfig()
  public var sandbox = SandboxConfig()
  /// `[[run]]` entries: the runs `wick run --config` starts in one process (WickConfig+Runs.swift).
  public var runs: [RunEntryConfig] = []
  /// `[schedule]`: the decision grid and scheduled jobs (ScheduleConfig.swift).
  public var schedule = ScheduleConfig()
  /// `[sessions]`: the UTC windows behind `wick.session` and the report's session attribution.
  public var sessions = TradingSessions.standard
  /// `[notify]`: notification sinks (NotifyConfig.swift).
  public var notify = NotifyConfig()
  /// `[data] record_liquidations`: whether `wick run` records its symbols' liquidations into
  /// the cache (on unless set false; `--record-liquidations`/`--no-record-liquidations` and a
  /// `[[run]]` entry's own key win over it).
  public var recordLiquidations = true
  public init() {}
}

/// `[dashboard] token = "..."`: the secret that unlocks the dashboard's controls (emergency stop,
/// pause/resume, parameter changes). Without it (and without `WICK_DASHBOARD_TOKEN`) the
/// dashboard is read-only.
public struct DashboardConfig: Sendable, Equatable {
  public var token: String?
  /// `metrics = false` turns `GET /metrics` off.
  public var metrics = true
  public init(token: String? = nil) { self.token = token }
}

/// Where to reach an exchange's REST API.
public struct ExchangeEndpoint: Sendable, Equatable {
  public var baseURL: String?
  public var testnet: Bool
  /// A request slower than this (seconds) is a `latency_breach` incident of the run; nil: the
  /// default (2 s), 0: off.
  public var latencyBreachSeconds: Double?
  public init(baseURL: String? = nil, testnet: Bool = false, latencyBreachSeconds: Double? = nil) {
    self.baseURL = baseURL
    self.testnet = testnet
    self.latencyBreachSeconds = latencyBreachSeconds
  }
}

/// Per-account rules and sizing (seed 001's RiskConfig).
public struct RiskConfig: Sendable, Equatable {
  /// Fraction of the account's equity risked to the stop per trade.
  public var riskPerTrade = 0.01
  /// The most a script may ask for with `risk = ...`.
  public var maxRiskPerTrade = 0.05
  public var defaultLeverage = 3.0
  public var maxLeverage = 5.0
  /// An intent without a stop is refused.
  public var requireStop = true
  /// Realised loss per account per day that stops new entries (quote currency; 0 = off).
  public var maxDailyLoss = 0.0
  /// When an account's marked loss since the daily reset reaches its daily loss limit, close its
  /// position at market (off: the limit only refuses new entries). Entries stay refused until
  /// the reset either way.
  public var flattenOnDailyLoss = false
  /// Drawdown from the account's peak equity that kills it (stays killed until reset).
  public var maxDrawdownPct = 0.30
  /// Entries per account per day (0 = off).
  public var maxTradesPerDay = 0
  /// Hour (UTC) at which daily counters reset.
  public var dailyResetHourUTC = 0
  /// Size multipliers after consecutive losses: (losses, factor), highest threshold reached wins.
  public var lossStreakDecay: [(losses: Int, factor: Double)] = [(2, 0.5), (4, 0.25)]
  /// Stops closer than this fraction of the price are refused (safety floor).
  public var minStopDistancePct = 0.0

  public init() {}

  public static func == (a: RiskConfig, b: RiskConfig) -> Bool {
    a.riskPerTrade == b.riskPerTrade && a.maxRiskPerTrade == b.maxRiskPerTrade
      && a.defaultLeverage == b.defaultLeverage
      && a.maxLeverage == b.maxLeverage && a.requireStop == b.requireStop
      && a.maxDailyLoss == b.maxDailyLoss && a.flattenOnDailyLoss == b.flattenOnDailyLoss
      && a.maxDrawdownPct == b.maxDrawdownPct && a.maxTradesPerDay == b.maxTradesPerDay
      && a.dailyResetHourUTC == b.dailyResetHourUTC && a.minStopDistancePct == b.minStopDistancePct
      && a.lossStreakDecay.map(\.losses) == b.lossStreakDecay.map(\.losses)
      && a.lossStreakDecay.map(\.factor) == b.lossStreakDecay.map(\.factor)
  }

  /// The leverage used: the default, capped by the maximum.
  public var leverage: Double { min(defaultLeverage, maxLeverage) }

  /// The size multiplier after `streak` consecutive losses.
  public func decayFactor(lossStreak streak: Int) -> Double {
    lossStreakDecay.filter { streak >= $0.losses }.max { $0.losses < $1.losses }?.factor ?? 1
  }
}

/// A virtual account: one strategy × symbol with its own allocated equity.
public struct AccountConfig: Sendable, Equatable {
  public var name: String
  public var strategy: String?
  public var symbol: String
  public var allocation: Double
  public var maxDailyLoss: Double?
  public var maxDrawdownPct: Double?
  public var maxTradesPerDay: Int?
  public init(name: String, strategy: String?, symbol: String, allocation: Double) {
    self.name = name
    self.strategy = strategy
    self.symbol = symbol
    self.allocation = allocation
  }
}

/// Rules across accounts (seed 001's global rules, seed 002's portfolio caps).
public struct GovernorConfig: Sendable, Equatable {
  public var oneAccountPerSymbol = true
  public var noOpposingExposure = true
  /// |net notional| across all positions as a fraction of real equity.
  public var maxNetExposurePct = 1.0
  /// New entries are refused for this long after a breach.
  public var cooldownMinutes = 60.0
  /// Open positions and pending entries; a pair's two legs are one position.
  public var maxConcurrentPositions = 5
  /// Always true: a symbol holds one netted position, so a pair's legs (busy while the pair is
  /// open or pending) cannot take a second pair; the config check refuses false.
  public var onePositionPerPair = true
  public init() {}
}

/// Absolute caps for tiny accounts (seed 004): 0 means off.
public struct AbsoluteCaps: Sendable, Equatable {
  public var maxPositionValue = 0.0
  public var maxDailyLoss = 0.0
  /// When the real equity's loss since the daily reset reaches `maxDailyLoss`, close every
  /// position at market (off: the cap only refuses new entries until the reset).
  public var flattenOnDailyLoss = false
  /// Total loss that triggers the emergency stop: flatten everything and halt.
  public var maxTotalLoss = 0.0
  public init() {}
}

/// Costs and venue behaviour of the simulation.
public struct CostsConfig: Sendable, Equatable {
  public var takerFeeBps = 5.5
  public var makerFeeBps = 2.0
  public var spreadBps = 1.0
  public var slippageBps = 2.0
  /// Constant funding per 8h for times without a stored rate (nil: stored rates only).
  public var fundingRate: Double?
  public var rejectProbability = 0.0
  public var seed: UInt64 = 1
  public init() {}
}

/// Exchange constraints of a symbol (seed 001's MarketConstraints).
public struct InstrumentSpec: Sendable, Equatable {
  public var lotStep = 0.0
  public var minQty = 0.0
  public var minNotional = 0.0
  public var tickSize = 0.0
  public init(
    lotStep: Double = 0, minQty: Double = 0, minNotional: Double = 0, tickSize: Double = 0
  ) {
    self.lotStep = lotStep
    self.minQty = minQty
    self.minNotional = minNotional
    self.tickSize = tickSize
  }
  /// The quantity rules sizing applies (`LotRules.fit`).
  public var lotRules: LotRules {
    LotRules(lotStep: lotStep, minQty: minQty, minNotional: minNotional)
  }
}
