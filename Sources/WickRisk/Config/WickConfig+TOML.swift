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
    var flattenEntry: TOMLTable.Entry?
    if let t = try root.section(
      "risk",
      { r in
        try r.read("risk_per_trade", in: 0.0001...0.2, into: &config.risk.riskPerTrade)
        try r.read("max_risk_per_trade", in: 0.0001...0.5, into: &config.risk.maxRiskPerTrade)
        try r.read("default_leverage", in: 1...100, into: &config.risk.defaultLeverage)
        try r.read("max_leverage", in: 1...100, into: &config.risk.maxLeverage)
        try r.read("require_stop", into: &config.risk.requireStop)
        try r.read("max_daily_loss", in: 0...1e12, into: &config.risk.maxDailyLoss)
        try r.read("flatten_on_daily_loss", into: &config.risk.flattenOnDailyLoss)
        flattenEntry = r.table.entry("flatten_on_daily_loss")
        try r.read("max_drawdown_pct", in: 0.01...1, into: &config.risk.maxDrawdownPct)
        try r.read("max_trades_per_day", in: 0...100_000, into: &config.risk.maxTradesPerDay)
        try r.read("daily_reset_hour_utc", in: 0...23, into: &config.risk.dailyResetHourUTC)
        try r.read("min_stop_distance_pct", in: 0...0.5, into: &config.risk.minStopDistancePct)
        if let decay = try r.decayTable("loss_streak_decay") { config.risk.lossStreakDecay = decay }
      }), config.risk.riskPerTrade > config.risk.maxRiskPerTrade
    {
      throw WickError.invalidFile(
        path: path, line: t.line, reason: "[risk] risk_per_trade exceeds max_risk_per_trade")
    }
    try root.subsections("account") { name, r in
      guard let symbol = try r.string("symbol") else {
        throw WickError.invalidFile(
          path: path, line: r.table.line, reason: "[account.\(name)] needs symbol = \"...\"")
      }
      guard let allocation = try r.number("allocation", in: 0.000001...1e12) else {
        throw WickError.invalidFile(
          path: path, line: r.table.line, reason: "[account.\(name)] needs allocation = <equity>")
      }
      var account = AccountConfig(
        name: name, strategy: try r.string("strategy"), symbol: symbol, allocation: allocation)
      account.maxDailyLoss = try r.number("max_daily_loss", in: 0...1e12)
      account.maxDrawdownPct = try r.number("max_drawdown_pct", in: 0.01...1)
      account.maxTradesPerDay = try r.integer("max_trades_per_day", in: 0...100_000)
      config.accounts.append(account)
    }
    // The flatten acts on a daily limit: without one anywhere it would silently do nothing.
    if config.risk.flattenOnDailyLoss, config.risk.maxDailyLoss == 0,
      !config.accounts.contains(where: { ($0.maxDailyLoss ?? 0) > 0 }), let e = flattenEntry
    {
      throw WickError.invalidFile(
        path: path, line: e.line,
        reason:
          "[risk] flatten_on_daily_loss: no daily loss limit to act on; set [risk] max_daily_loss (or an account's) above 0"
      )
    }
    try root.section("governor") { r in
      try r.read("one_account_per_symbol", into: &config.governor.oneAccountPerSymbol)
      try r.read("no_opposing_exposure", into: &config.governor.noOpposingExposure)
      try r.read("max_net_exposure_pct", in: 0.01...100, into: &config.governor.maxNetExposurePct)
      try r.read("cooldown_minutes", in: 0...100_000, into: &config.governor.cooldownMinutes)
      try r.read(
        "max_concurrent_positions", in: 1...10_000, into: &config.governor.maxConcurrentPositions)
      try r.read("one_position_per_pair", into: &config.governor.onePositionPerPair)
      if !config.governor.onePositionPerPair, let e = r.table.entry("one_position_per_pair") {
        throw r.fail(
          e,
          "false is not supported: a symbol holds one netted position (the exchanges' one-way mode), so a pair's legs cannot hold a second pair position; set it to true or leave it out"
        )
      }
    }
    try root.section("caps") { r in
      try r.read("max_position_value", in: 0...1e12, into: &config.caps.maxPositionValue)
      try r.read("max_daily_loss", in: 0...1e12, into: &config.caps.maxDailyLoss)
      try r.read("max_total_loss", in: 0...1e12, into: &config.caps.maxTotalLoss)
      try r.read("flatten_on_daily_loss", into: &config.caps.flattenOnDailyLoss)
      if config.caps.flattenOnDailyLoss, config.caps.maxDailyLoss == 0,
        let e = r.table.entry("flatten_on_daily_loss")
      {
        throw r.fail(e, "no daily loss cap to act on; set [caps] max_daily_loss above 0")
      }
    }
    try root.section("costs") { r in
      try r.read("taker_fee_bps", in: 0...1000, into: &config.costs.takerFeeBps)
      try r.read("maker_fee_bps", in: -100...1000, into: &config.costs.makerFeeBps)
      try r.read("spread_bps", in: 0...1000, into: &config.costs.spreadBps)
      try r.read("slippage_bps", in: 0...1000, into: &config.costs.slippageBps)
      config.costs.fundingRate = try r.number("funding_rate", in: -0.05...0.05)
      try r.read("reject_probability", in: 0...0.99, into: &config.costs.rejectProbability)
      if let seed = try r.integer("seed", in: 0...Int(Int32.max)) {
        config.costs.seed = UInt64(seed)
      }
    }
    try root.subsections("instrument") { name, r in
      var spec = InstrumentSpec()
      try r.read("lot_step", in: 0...1e9, into: &spec.lotStep)
      try r.read("min_qty", in: 0...1e9, into: &spec.minQty)
      try r.read("min_notional", in: 0...1e12, into: &spec.minNotional)
      try r.read("tick_size", in: 0...1e9, into: &spec.tickSize)
      config.instruments[name] = spec
    }
    try root.subsections("exchange", names: ["bybit", "binance"]) { name, r in
      let url = try r.string("base_url")
      if let url, !(url.hasPrefix("https://") || url.hasPrefix("http://")) {
        throw WickError.invalidFile(
          path: path, line: r.table.entry("base_url")?.line,
          reason: "[exchange.\(name)] base_url: expected an http(s) URL")
      }
      config.exchanges[name] = ExchangeEndpoint(
        baseURL: url, testnet: try r.bool("testnet") ?? false,
        latencyBreachSeconds: try r.number("latency_breach_seconds", in: 0...3600))
    }
    try root.section("sandbox") { r in
      try r.read("callback_seconds", in: 0.001...3600, into: &config.sandbox.callbackSeconds)
      try r.read("init_seconds", in: 0.001...3600, into: &config.sandbox.initSeconds)
      try r.read(
        "hard_deadline_seconds", in: 0.01...3600, into: &config.sandbox.hardDeadlineSeconds)
      try r.read("memory_mb", in: 1...65_536, into: &config.sandbox.memoryMB)
      try r.read(
        "log_lines_per_callback", in: 1...1_000_000, into: &config.sandbox.logLinesPerCallback)
      try r.read(
        "log_bytes_per_hour", in: 1_000...1_000_000_000_000, into: &config.sandbox.logBytesPerHour)
    }
    try root.section("sessions") { r in
      for key in TradingSessions.keys {
        guard let e = r.entry(key) else { continue }
        guard case .string(let text) = e.value, let window = SessionWindow(parsing: text) else {
          throw r.fail(
            e, "expected a UTC window \"HH:MM-HH:MM\" (e.g. \"07:00-16:00\"; it may wrap midnight)")
        }
        switch key {
        case "asia": config.sessions.asia = window
        case "london": config.sessions.london = window
        default: config.sessions.newYork = window
        }
      }
    }
    try root.section("schedule") { r in config.schedule = try readSchedule(&r, path: path) }
    try root.section("dashboard") { r in
      try r.read("metrics", into: &config.dashboard.metrics)
      if let token = try r.string("token") {
        // A short token is guessable: the controls can flatten every position.
        guard token.count >= 12 else {
          throw WickError.invalidFile(
            path: path, line: r.table.entry("token")?.line,
            reason: "[dashboard] token: use at least 12 characters")
        }
        config.dashboard.token = token
      }
    }
    try root.section("notify") { r in config.notify = try readNotify(&r, path: path) }
    try root.section("data") { r in
      try r.read("record_liquidations", into: &config.recordLiquidations)
    }
    config.runs = try root.runEntries(recordLiquidations: config.recordLiquidations)
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
  /// How errors name this table; `[name]` unless set (`[[run]] entry 2`).
  var label: String?
  /// The labelled table this one is inside, named first in errors (`[[run]] entry 2` for its
  /// `[run.schedule]`).
  var owner: String?

  init(table: TOMLTable, name: String, path: String) {
    self.table = table
    self.name = name
    self.path = path
  }

  func fail(_ entry: TOMLTable.Entry, _ why: String) -> WickError {
    .invalidFile(
      path: path, line: entry.line,
      reason:
        "\(owner.map { $0 + ": " } ?? "")\(label.map { $0 + ": " } ?? (name.isEmpty ? "" : "[\(name)] "))\(entry.key): \(why)"
    )
  }

  mutating func entry(_ key: String) -> TOMLTable.Entry? {
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

  /// Overwrites `value` with `key`'s when the file sets it; the default stays otherwise.
  mutating func read(_ key: String, in range: ClosedRange<Double>, into value: inout Double) throws
  {
    if let v = try number(key, in: range) { value = v }
  }

  mutating func read(_ key: String, in range: ClosedRange<Int>, into value: inout Int) throws {
    if let v = try integer(key, in: range) { value = v }
  }

  mutating func read(_ key: String, into value: inout Bool) throws {
    if let v = try bool(key) { value = v }
  }

  /// Reads section `[key]`, if present, with `body`; then any key `body` did not read is an
  /// error. Returns the section's table.
  @discardableResult
  mutating func section(_ key: String, _ body: (inout SectionReader) throws -> Void) throws
    -> TOMLTable?
  {
    guard let t = try table(key) else { return nil }
    var reader = SectionReader(table: t, name: name.isEmpty ? key : "\(name).\(key)", path: path)
    reader.owner = label ?? owner
    try body(&reader)
    try reader.finish()
    return t
  }

  /// Reads each `[key.<name>]` under `[key]` with `body` (given the name), as `section` does.
  /// `names`, when given, are the only names allowed.
  mutating func subsections(
    _ key: String, names: [String]? = nil, _ body: (String, inout SectionReader) throws -> Void
  ) throws {
    guard let t = try table(key) else { return }
    for entry in t.entries {
      if let names, !names.contains(entry.key) {
        throw WickError.invalidFile(
          path: path, line: entry.line,
          reason: "[\(key).\(entry.key)]: expected "
            + names.map { "[\(key).\($0)]" }.joined(separator: " or "))
      }
      guard case .table(let sub) = entry.value else {
        throw WickError.invalidFile(
          path: path, line: entry.line,
          reason: "\(key).\(entry.key) must be a table [\(key).\(entry.key)]")
      }
      var reader = SectionReader(table: sub, name: "\(key).\(entry.key)", path: path)
      try body(entry.key, &reader)
      try reader.finish()
    }
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
      let section = label ?? (name.isEmpty ? "top level" : "[\(name)]")
      throw WickError.invalidFile(
        path: path, line: e.line,
        reason: "\(owner.map { $0 + ": " } ?? "")unknown key '\(e.key)' in \(section)")
    }
  }
}
