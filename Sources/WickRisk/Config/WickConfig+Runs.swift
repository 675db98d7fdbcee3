import Foundation
import WickCore

/// One `[[run]]` entry of `wick.toml`: what `wick run`'s flags say, under the same names.
/// `wick run --config wick.toml` starts every entry in one process under one governor; the
/// file's other sections ([risk], [costs], [governor], [caps], [sandbox], …) apply to each.
///
///     [[run]]
///     strategy = "strategies/ma_cross.lua"   # relative to the file's folder
///     symbols = ["BTCUSDT"]
///     timeframe = "1m"
///
/// Paths stay as written here; the runner resolves them against the file's folder and checks
/// that they exist.
public struct RunEntryConfig: Sendable, Equatable {
  public enum Mode: String, Sendable { case paper, live }
  /// 1-based position among the file's `[[run]]` entries.
  public var index: Int
  /// Line of the entry's `[[run]]` header.
  public var line: Int
  public var strategy: String
  public var symbols: [String]
  public var timeframe: Timeframe
  /// A params file (JSON or TOML), hot-reloaded as with `--params`.
  public var params: String?
  public var mode: Mode = .paper
  public var exchange = "bybit"
  /// Live defaults to testnet; `mainnet = true` is real money.
  public var testnet = false
  public var mainnet = false
  public var baseURL: String?
  public var wsURL: String?
  public var equity = 10_000.0
  /// `record_liquidations`: the entry's own say, else the file's `[data] record_liquidations`.
  public var recordLiquidations = true
  /// `[run.schedule]` under the entry: its own schedule, in place of the top-level `[schedule]`.
  public var schedule: ScheduleConfig?
  /// The line of each key the entry set, for errors found later (a missing file, a duplicate).
  public var lines: [String: Int] = [:]

  /// The line to blame for `key` (the entry's header when the key is not set).
  public func line(of key: String) -> Int { lines[key] ?? line }

  /// The keys an entry has (as `wick run`'s flags), besides its `[run.schedule]`.
  static let keys: Set<String> = [
    "strategy", "symbols", "symbol", "timeframe", "params", "mode", "exchange", "testnet",
    "mainnet", "base_url", "ws_url", "equity", "record_liquidations",
  ]

  /// "[[run]] entry 2" — how errors name this entry.
  public var label: String { "[[run]] entry \(index)" }
}

extension SectionReader {
  /// Reads `[[run]]` entries, each checked field by field: a missing or mistyped field names
  /// the file, the line, the entry and the field.
  mutating func runEntries(recordLiquidations: Bool = true) throws -> [RunEntryConfig] {
    guard let e = entry("run") else { return [] }
    guard case .array(let items) = e.value else {
      throw fail(e, "expected [[run]] entries (an array of tables), got \(e.value.typeName)")
    }
    return try items.enumerated().map { i, item in
      guard case .table(let t) = item else {
        throw fail(e, "expected [[run]] entries (an array of tables), got \(item.typeName)")
      }
      return try Self.runEntry(
        t, index: i + 1, path: path, recordLiquidations: recordLiquidations)
    }
  }

  private static func runEntry(
    _ t: TOMLTable, index: Int, path: String, recordLiquidations: Bool
  ) throws -> RunEntryConfig {
    var r = SectionReader(table: t, name: "run", path: path)
    let label = "[[run]] entry \(index)"
    r.label = label
    func missing(_ key: String, _ example: String) -> WickError {
      .invalidFile(
        path: path, line: t.line, reason: "\(label): \(key): missing; expected \(key) = \(example)")
    }
    guard let strategy = try r.string("strategy") else {
      throw missing("strategy", "\"strategies/ma_cross.lua\"")
    }
    let symbols = try r.symbols()
    guard !symbols.isEmpty else { throw missing("symbols", "[\"BTCUSDT\"]") }
    guard let tfEntry = r.entry("timeframe") else { throw missing("timeframe", "\"1m\"") }
    guard case .string(let tfText) = tfEntry.value else {
      throw r.fail(tfEntry, "expected a string such as \"1m\", got \(tfEntry.value.typeName)")
    }
    let timeframe: Timeframe
    do { timeframe = try Timeframe(parsing: tfText) } catch {
      throw r.fail(tfEntry, "\(error)")
    }
    var entry = RunEntryConfig(
      index: index, line: t.line, strategy: strategy, symbols: symbols, timeframe: timeframe)
    entry.params = try r.string("params")
    if let m = r.entry("mode") {
      guard case .string(let text) = m.value, let mode = RunEntryConfig.Mode(rawValue: text) else {
        throw r.fail(m, "expected \"paper\" or \"live\", got \(Self.show(m.value))")
      }
      entry.mode = mode
    }
    if let x = r.entry("exchange") {
      guard case .string(let text) = x.value, ["bybit", "binance"].contains(text) else {
        throw r.fail(x, "expected \"bybit\" or \"binance\", got \(Self.show(x.value))")
      }
      entry.exchange = text
    }
    entry.testnet = try r.bool("testnet") ?? false
    entry.mainnet = try r.bool("mainnet") ?? false
    if entry.testnet && entry.mainnet, let m = t.entry("mainnet") {
      throw r.fail(m, "give testnet or mainnet, not both")
    }
    entry.baseURL = try r.url("base_url", schemes: ["http://", "https://"])
    entry.wsURL = try r.url("ws_url", schemes: ["ws://", "wss://"])
    if let equity = try r.number("equity", in: 0.000001...1e12) { entry.equity = equity }
    entry.recordLiquidations = try r.bool("record_liquidations") ?? recordLiquidations
    try r.section("schedule") { s in
      // TOML puts keys written after [run.schedule] into it: an entry's key there is misplaced.
      if let misplaced = s.table.entries.first(where: { RunEntryConfig.keys.contains($0.key) }) {
        throw WickError.invalidFile(
          path: path, line: misplaced.line,
          reason:
            "\(label): \(misplaced.key) is a key of the entry, not of [run.schedule]: write it above [run.schedule]"
        )
      }
      entry.schedule = try WickConfig.readSchedule(&s, path: path)
    }
    for e in t.entries { entry.lines[e.key] = e.line }
    try r.finish()
    return entry
  }

  /// `symbols = ["BTCUSDT", "ETHUSDT"]`, `symbols = "BTCUSDT"` or `symbol = "BTCUSDT"`.
  private mutating func symbols() throws -> [String] {
    var out: [String] = []
    for key in ["symbols", "symbol"] {
      guard let e = entry(key) else { continue }
      let values: [TOMLValue]
      if case .array(let items) = e.value { values = items } else { values = [e.value] }
      for v in values {
        guard case .string(let s) = v, !s.isEmpty, !s.contains(",") else {
          throw fail(e, "expected symbol names such as [\"BTCUSDT\"], got \(Self.show(v))")
        }
        guard !out.contains(s) else { throw fail(e, "\(s) is listed twice") }
        out.append(s)
      }
    }
    return out
  }

  mutating func url(_ key: String, schemes: [String]) throws -> String? {
    guard let e = entry(key) else { return nil }
    guard case .string(let s) = e.value, schemes.contains(where: { s.hasPrefix($0) }) else {
      throw fail(
        e,
        "expected a URL starting with \(schemes.joined(separator: " or ")), got \(Self.show(e.value))"
      )
    }
    return s
  }

  /// A value as the user wrote it (strings quoted), for "got ..." in errors.
  static func show(_ v: TOMLValue) -> String {
    switch v {
    case .string(let s): return "\"\(s)\""
    case .integer(let i): return "\(i)"
    case .float(let d): return formatNumber(d)
    case .bool(let b): return b ? "true" : "false"
    default: return v.typeName
    }
  }
}

extension WickConfig {
  /// The schedule `entry`'s run follows: its own `[run.schedule]`, else the top-level
  /// `[schedule]` (which is also what a run that is no entry, nil, follows).
  public func schedule(for entry: RunEntryConfig?) -> ScheduleConfig {
    entry?.schedule ?? schedule
  }

  /// The schedule for a run of `strategy` (a path from the working directory) on `symbols` and
  /// `timeframe` outside `wick run --config` (`wick backtest --config`): the own schedule of the
  /// `[[run]]` entry that runs exactly these, else the top-level `[schedule]`. Entries that run
  /// them with different schedules leave it undecided: an error naming them.
  public func schedule(
    strategy: String, symbols: [String], timeframe: Timeframe, configPath: String
  ) throws -> ScheduleConfig {
    let script = RunEntryConfig.resolve(strategy, against: nil)
    let matching = runs.filter {
      RunEntryConfig.resolve($0.strategy, against: configPath) == script
        && $0.symbols == symbols && $0.timeframe == timeframe
    }
    guard let first = matching.first else { return schedule }
    let chosen = schedule(for: first)
    if let other = matching.first(where: {
      let s = schedule(for: $0)
      return s.evalEvery != chosen.evalEvery || s.pairsRescan != chosen.pairsRescan
    }) {
      throw WickError.invalidFile(
        path: configPath, line: other.line,
        reason:
          "\(first.label) and \(other.label) both run \(strategy) on \(symbols.joined(separator: ",")) \(timeframe), on different schedules: the backtest cannot tell which to follow"
      )
    }
    return chosen
  }
}

extension RunEntryConfig {
  /// `path` as an absolute, standardized path: relative to the config file's folder (nil: the
  /// working directory).
  public static func resolve(_ path: String, against configPath: String?) -> String {
    guard !path.hasPrefix("/") else { return URL(fileURLWithPath: path).standardizedFileURL.path }
    let folder =
      configPath.map { URL(fileURLWithPath: $0).deletingLastPathComponent() }
      ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
    return folder.appendingPathComponent(path).standardizedFileURL.path
  }

  public init(index: Int, line: Int, strategy: String, symbols: [String], timeframe: Timeframe) {
    self.index = index
    self.line = line
    self.strategy = strategy
    self.symbols = symbols
    self.timeframe = timeframe
  }
}
