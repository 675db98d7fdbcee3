import WickCore

/// What a backtest's result needs to be re-run and checked (`"reproduce"` in `--json`, and with
/// a saved run in the ledger): the inputs as applied, hashed where they are files.
///
///     "reproduce": {"version": "0.12.0", "arguments": ["strategies/ma.lua", "--symbols", …],
///       "script": "strategies/ma.lua", "script_sha256": "…", "plugins": {"name": "sha256"},
///       "config": "wick.toml", "config_sha256": "…", "params": {…},
///       "costs": {"taker_fee_bps": 5.5, "maker_fee_bps": 2, "spread_bps": 1, "slippage_bps": 2,
///                 "reject_probability": 0, "seed": 1, "funding_rate_constant": null,
///                 "funding_stored_rates": 0},
///       "candles": [{"exchange", "symbol", "timeframe", "first", "last", "count", "fingerprint"}]}
///
/// Nothing in it depends on the clock or the machine beyond the paths given: the same script,
/// params and data give the same text.
public struct Reproduce: Sendable, Equatable {
  public struct Costs: Sendable, Equatable {
    public var takerFeeBps: Double
    public var makerFeeBps: Double
    public var spreadBps: Double
    public var slippageBps: Double
    public var rejectProbability: Double
    public var seed: UInt64
    /// The per-8h rate for funding times without a stored one (nil: stored rates only).
    public var fundingRateConstant: Double?
    public var fundingStoredRates: Int

    public init(
      takerFeeBps: Double, makerFeeBps: Double, spreadBps: Double, slippageBps: Double,
      rejectProbability: Double, seed: UInt64, fundingRateConstant: Double?,
      fundingStoredRates: Int
    ) {
      self.takerFeeBps = takerFeeBps
      self.makerFeeBps = makerFeeBps
      self.spreadBps = spreadBps
      self.slippageBps = slippageBps
      self.rejectProbability = rejectProbability
      self.seed = seed
      self.fundingRateConstant = fundingRateConstant
      self.fundingStoredRates = fundingStoredRates
    }
  }

  /// One series the run read.
  public struct Series: Sendable, Equatable {
    public var exchange: String
    public var symbol: String
    public var timeframe: Timeframe
    public var fingerprint: CandleFingerprint

    public init(
      exchange: String, symbol: String, timeframe: Timeframe, fingerprint: CandleFingerprint
    ) {
      self.exchange = exchange
      self.symbol = symbol
      self.timeframe = timeframe
      self.fingerprint = fingerprint
    }
  }

  public var version = WickVersion.current
  /// The `wick backtest` arguments that repeat the run (without output flags; params apart).
  public var arguments: [String]
  public var script: String
  public var scriptSHA256: String
  /// Each required plugin's SHA-256, by module name.
  public var plugins: [(name: String, sha256: String)]
  public var config: String?
  public var configSHA256: String?
  public var params: [(name: String, value: ParamValue)]
  public var costs: Costs
  public var candles: [Series]

  public init(
    arguments: [String], script: String, scriptSHA256: String,
    plugins: [(name: String, sha256: String)], config: String?, configSHA256: String?,
    params: [(name: String, value: ParamValue)], costs: Costs, candles: [Series]
  ) {
    self.arguments = arguments
    self.script = script
    self.scriptSHA256 = scriptSHA256
    self.plugins = plugins.sorted { $0.name < $1.name }
    self.config = config
    self.configSHA256 = configSHA256
    self.params = params
    self.costs = costs
    self.candles = candles
  }

  public static func == (x: Reproduce, y: Reproduce) -> Bool {
    x.json == y.json
  }

  /// The object as JSON text (what `--json` writes under `"reproduce"`, and the ledger stores).
  public var json: String {
    var w = JSONWriter()
    write(&w)
    return w.text
  }

  func write(_ w: inout JSONWriter) {
    func optional(_ s: String?, _ w: inout JSONWriter) {
      if let s { w.string(s) } else { w.raw("null") }
    }
    w.raw("{")
    w.field("version", first: true) { $0.string(version) }
    w.field("arguments") { w in
      w.raw("[")
      for (i, a) in arguments.enumerated() {
        if i > 0 { w.raw(", ") }
        w.string(a)
      }
      w.raw("]")
    }
    w.field("script") { $0.string(script) }
    w.field("script_sha256") { $0.string(scriptSHA256) }
    w.field("plugins") { w in
      w.raw("{")
      for (i, p) in plugins.enumerated() {
        if i > 0 { w.raw(", ") }
        w.string(p.name)
        w.raw(": ")
        w.string(p.sha256)
      }
      w.raw("}")
    }
    w.field("config") { optional(config, &$0) }
    w.field("config_sha256") { optional(configSHA256, &$0) }
    w.field("params") { ResultJSON.value(.table(params.map { ($0.name, $0.value) }), &$0) }
    w.field("costs") { w in
      w.raw("{")
      w.field("taker_fee_bps", first: true) { $0.number(costs.takerFeeBps) }
      w.field("maker_fee_bps") { $0.number(costs.makerFeeBps) }
      w.field("spread_bps") { $0.number(costs.spreadBps) }
      w.field("slippage_bps") { $0.number(costs.slippageBps) }
      w.field("reject_probability") { $0.number(costs.rejectProbability) }
      // Seeds are full 64-bit: as a string, since a JSON number reader may round them.
      w.field("seed") { $0.string(String(costs.seed)) }
      w.field("funding_rate_constant") { $0.number(costs.fundingRateConstant) }
      w.field("funding_stored_rates") { $0.number(Double(costs.fundingStoredRates)) }
      w.raw("}")
    }
    w.field("candles") { w in
      w.raw("[")
      for (i, s) in candles.enumerated() {
        if i > 0 { w.raw(", ") }
        w.raw("{")
        w.field("exchange", first: true) { $0.string(s.exchange) }
        w.field("symbol") { $0.string(s.symbol) }
        w.field("timeframe") { $0.string(s.timeframe.description) }
        w.field("first") { w in
          if let t = s.fingerprint.firstTime { w.time(t) } else { w.raw("null") }
        }
        w.field("last") { w in
          if let t = s.fingerprint.lastTime { w.time(t) } else { w.raw("null") }
        }
        w.field("count") { $0.number(Double(s.fingerprint.count)) }
        w.field("fingerprint") { $0.string(s.fingerprint.hex) }
        w.raw("}")
      }
      w.raw("]")
    }
    w.raw("}")
  }
}
