import Foundation
import WickCore

extension WickConfig {
  /// Reads and validates a `wick.toml`. Unknown sections or keys, wrong types and values out of
  /// range are errors naming the key and its line.
  public static func load(path: String) throws -> WickConfig {
    guard let data = FileManager.default.contents(atPath: path),
      let text = String(data: data, encoding: .utf8)
    else {
      throw WickError.invalidFile(path: path, line: nil, reason: "cannot read the config file")
    }
    return try parse(text, path: path)
  }

  public static func parse(_ text: String, path: String) throws -> WickConfig {
    let doc = try TOMLParser.parse(text, path: path)
    var config = WickConfig()
    var root = SectionReader(table: doc, name: "", path: path)
    if let t = try root.table("risk") {
      var r = SectionReader(table: t, name: "risk", path: path)
      config.risk.riskPerTrade =
        try r.number("risk_per_trade", in: 0.0001...0.2) ?? config.risk.riskPerTrade
      config.risk.maxRiskPerTrade =
        try r.number("max_risk_per_trade", in: 0.0001...0.5) ?? config.risk.maxRiskPerTrade
      config.risk.defaultLeverage =
        try r.number("default_leverage", in: 1...100) ?? config.risk.defaultLeverage
      config.risk.maxLeverage = try r.number("max_leverage", in: 1...100) ?? config.risk.maxLeverage
      config.risk.requireStop = try r.bool("require_stop") ?? config.risk.requireStop
      config.risk.maxDailyLoss =
        try r.number("max_daily_loss", in: 0...1e12) ?? config.risk.maxDailyLoss
      config.risk.maxDrawdownPct =
        try r.number("max_drawdown_pct", in: 0.01...1) ?? config.risk.maxDrawdownPct
      config.risk.maxTradesPerDay =
        try r.integer("max_trades_per_day", in: 0...100_000) ?? config.risk.maxTradesPerDay
      config.risk.dailyResetHourUTC =
        try r.integer("daily_reset_hour_utc", in: 0...23) ?? config.risk.dailyResetHourUTC
      config.risk.minStopDistancePct =
        try r.number("min_stop_distance_pct", in: 0...0.5) ?? config.risk.minStopDistancePct
      if let decay = try r.decayTable("loss_streak_decay") { config.risk.lossStreakDecay = decay }
      try r.finish()
      if config.risk.riskPerTrade > config.risk.maxRiskPerTrade {
        throw WickError.invalidFile(
          path: path, line: t.line, reason: "[risk] risk_per_trade exceeds max_risk_per_trade")
      }
    }
    if let t = try root.table("account") {
      for entry in t.entries {
        guard case .table(let a) = entry.value else {
          throw WickError.invalidFile(
            path: path, line: entry.line,
            reason: "account.\(entry.key) must be a table [account.\(entry.key)]")
        }
        var r = SectionReader(table: a, name: "account.\(entry.key)", path: path)
        guard let symbol = try r.string("symbol") else {
          throw WickError.invalidFile(
            path: path, line: a.line, reason: "[account.\(entry.key)] needs symbol = \"...\"")
        }
        guard let allocation = try r.number("allocation", in: 0.000001...1e12) else {
          throw WickError.invalidFile(
            path: path, line: a.line, reason: "[account.\(entry.key)] needs allocation = <equity>")
        }
        var account = AccountConfig(
          name: entry.key, strategy: try r.string("strategy"), symbol: symbol,
          allocation: allocation)
        account.maxDailyLoss = try r.number("max_daily_loss", in: 0...1e12)
        account.maxDrawdownPct = try r.number("max_drawdown_pct", in: 0.01...1)
        account.maxTradesPerDay = try r.integer("max_trades_per_day", in: 0...100_000)
        try r.finish()
        config.accounts.append(account)
      }
    }
    if let t = try root.table("governor") {
      var r = SectionReader(table: t, name: "governor", path: path)
      config.governor.oneAccountPerSymbol = try r.bool("one_account_per_symbol") ?? true
      config.governor.noOpposingExposure = try r.bool("no_opposing_exposure") ?? true
      config.governor.maxNetExposurePct = try r.number("max_net_exposure_pct", in: 0.01...100) ?? 1
      config.governor.cooldownMinutes = try r.number("cooldown_minutes", in: 0...100_000) ?? 60
      config.governor.maxConcurrentPositions =
        try r.integer("max_concurrent_positions", in: 1...10_000) ?? 5
      config.governor.onePositionPerPair = try r.bool("one_position_per_pair") ?? true
      try r.finish()
    }
    if let t = try root.table("caps") {
      var r = SectionReader(table: t, name: "caps", path: path)
      config.caps.maxPositionValue = try r.number("max_position_value", in: 0...1e12) ?? 0
      config.caps.maxDailyLoss = try r.number("max_daily_loss", in: 0...1e12) ?? 0
      config.caps.maxTotalLoss = try r.number("max_total_loss", in: 0...1e12) ?? 0
      try r.finish()
    }
    if let t = try root.table("costs") {
      var r = SectionReader(table: t, name: "costs", path: path)
      config.costs.takerFeeBps =
        try r.number("taker_fee_bps", in: 0...1000) ?? config.costs.takerFeeBps
      config.costs.makerFeeBps =
        try r.number("maker_fee_bps", in: -100...1000) ?? config.costs.makerFeeBps
      config.costs.spreadBps = try r.number("spread_bps", in: 0...1000) ?? config.costs.spreadBps
      config.costs.slippageBps =
        try r.number("slippage_bps", in: 0...1000) ?? config.costs.slippageBps
      config.costs.fundingRate = try r.number("funding_rate", in: -0.05...0.05)
      config.costs.rejectProbability = try r.number("reject_probability", in: 0...0.99) ?? 0
      config.costs.seed = UInt64(try r.integer("seed", in: 0...Int(Int32.max)) ?? 1)
      try r.finish()
    }
    if let t = try root.table("instrument") {
      for entry in t.entries {
        guard case .table(let i) = entry.value else {
          throw WickError.invalidFile(
            path: path, line: entry.line, reason: "instrument.\(entry.key) must be a table")
        }
        var r = SectionReader(table: i, name: "instrument.\(entry.key)", path: path)
        config.instruments[entry.key] = InstrumentSpec(
          lotStep: try r.number("lot_step", in: 0...1e9) ?? 0,
          minQty: try r.number("min_qty", in: 0...1e9) ?? 0,
          minNotional: try r.number("min_notional", in: 0...1e12) ?? 0,
          tickSize: try r.number("tick_size", in: 0...1e9) ?? 0)
        try r.finish()
      }
    }
    if let t = try root.table("exchange") {
      for entry in t.entries {
        guard ["bybit", "binance"].contains(entry.key), case .table(let e) = entry.value else {
          throw WickError.invalidFile(
            path: path, line: entry.line,
            reason: "[exchange.\(entry.key)]: expected [exchange.bybit] or [exchange.binance]")
        }
        var r = SectionReader(table: e, name: "exchange.\(entry.key)", path: path)
        let url = try r.string("base_url")
        if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
          throw WickError.invalidFile(
            path: path, line: e.entry("base_url")?.line,
            reason: "[exchange.\(entry.key)] base_url: expected an http(s) URL")
        }
        config.exchanges[entry.key] = ExchangeEndpoint(
          baseURL: url, testnet: try r.bool("testnet") ?? false)
        try r.finish()
      }
    }
    if let t = try root.table("dashboard") {
      var r = SectionReader(table: t, name: "dashboard", path: path)
      if let token = try r.string("token") {
        // A short token is guessable: the controls can flatten every position.
        guard token.count >= 12 else {
          throw WickError.invalidFile(
            path: path, line: t.entry("token")?.line,
            reason: "[dashboard] token: use at least 12 characters")
        }
        config.dashboard.token = token
      }
      try r.finish()
    }
    if let t = try root.table("sandbox") {
      var r = SectionReader(table: t, name: "sandbox", path: path)
      config.sandbox.callbackSeconds =
        try r.number("callback_seconds", in: 0.001...3600) ?? config.sandbox.callbackSeconds
      config.sandbox.initSeconds =
        try r.number("init_seconds", in: 0.001...3600) ?? config.sandbox.initSeconds
      config.sandbox.hardDeadlineSeconds =
        try r.number("hard_deadline_seconds", in: 0.01...3600)
        ?? config.sandbox.hardDeadlineSeconds
      config.sandbox.memoryMB =
        try r.integer("memory_mb", in: 1...65_536) ?? config.sandbox.memoryMB
      try r.finish()
    }
    try root.finish()
    return config
  }
}

/// Reads typed keys from one TOML table, remembering which were used so that anything left
/// over is reported as an unknown key with its line.
struct SectionReader {
  let table: TOMLTable
  let name: String
  let path: String
  private var used: Set<String> = []

  init(table: TOMLTable, name: String, path: String) {
    self.table = table
    self.name = name
    self.path = path
  }

  private func fail(_ entry: TOMLTable.Entry, _ why: String) -> WickError {
    .invalidFile(
      path: path, line: entry.line,
      reason: "\(name.isEmpty ? "" : "[\(name)] ")\(entry.key): \(why)")
  }

  private mutating func entry(_ key: String) -> TOMLTable.Entry? {
    used.insert(key)
    return table.entry(key)
  }

  mutating func number(_ key: String, in range: ClosedRange<Double>) throws -> Double? {
    guard let e = entry(key) else { return nil }
    guard let v = e.value.number else {
      throw fail(e, "expected a number, got \(e.value.typeName)")
    }
    guard range.contains(v) else {
      throw fail(
        e,
        "\(formatNumber(v)) is out of range (expected \(formatNumber(range.lowerBound)) to \(formatNumber(range.upperBound)))"
      )
    }
    return v
  }

  mutating func integer(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
    guard let e = entry(key) else { return nil }
    guard case .integer(let v) = e.value else {
      throw fail(e, "expected a whole number, got \(e.value.typeName)")
    }
    guard range.contains(Int(v)) else {
      throw fail(e, "\(v) is out of range (expected \(range.lowerBound) to \(range.upperBound))")
    }
    return Int(v)
  }

  mutating func bool(_ key: String) throws -> Bool? {
    guard let e = entry(key) else { return nil }
    guard case .bool(let b) = e.value else {
      throw fail(e, "expected true or false, got \(e.value.typeName)")
    }
    return b
  }

  mutating func string(_ key: String) throws -> String? {
    guard let e = entry(key) else { return nil }
    guard case .string(let s) = e.value, !s.isEmpty else {
      throw fail(e, "expected a non-empty string")
    }
    return s
  }

  mutating func table(_ key: String) throws -> TOMLTable? {
    guard let e = entry(key) else { return nil }
    guard case .table(let t) = e.value else { throw fail(e, "expected a section [\(key)]") }
    return t
  }

  /// `[[2, 0.5], [4, 0.25]]`: consecutive losses → size factor.
  mutating func decayTable(_ key: String) throws -> [(losses: Int, factor: Double)]? {
    guard let e = entry(key) else { return nil }
    guard case .array(let rows) = e.value else { throw fail(e, "expected [[losses, factor], ...]") }
    return try rows.map { row in
      guard case .array(let pair) = row, pair.count == 2, case .integer(let n) = pair[0], n >= 1,
        let f = pair[1].number, f > 0, f <= 1
      else { throw fail(e, "each entry must be [losses ≥ 1, factor in (0, 1]]") }
      return (Int(n), f)
    }
  }

  /// Every key not read is unknown: most likely a typo.
  func finish() throws {
    for e in table.entries where !used.contains(e.key) {
      let section = name.isEmpty ? "top level" : "[\(name)]"
      throw WickError.invalidFile(
        path: path, line: e.line, reason: "unknown key '\(e.key)' in \(section)")
    }
  }
}
