import Foundation
import WickCore

/// `[schedule]` in wick.toml: when a strategy decides, and the jobs that run beside a run, all on
/// the exchange's UTC clock (candle close times). It applies to every run started from the file,
/// and `wick backtest` applies `eval_every` the same way. A `[[run]]` entry may carry its own
/// `[run.schedule]` with the same keys, which replaces `[schedule]` for that entry's run
/// (a 1m entry and a 4h entry cannot share one grid).
///
///     [schedule]
///     eval_every = "15m"            # seed 004: decide every 15 minutes on 1m candles
///
///     [schedule.pairs_rescan]       # seed 002: monthly re-scan of cointegrated pairs
///     every = "1mo"
///     lookback = "90d"
public struct ScheduleConfig: Sendable, Equatable {
  /// The strategy decides only on candles whose close time lies on this grid.
  public var evalEvery: Timeframe?
  public var pairsRescan: PairsRescanConfig?
  public var reoptimize: ReoptimizeConfig?
  /// The config file and the lines of its keys, for errors found once the run is known.
  public var path = ""
  var lines: [String: Int] = [:]
  /// The table errors name: `schedule`, or `run.schedule` for an entry's own.
  var section = "schedule"
  /// Who errors name first: the `[[run]]` entry the schedule is checked for (`[[run]] entry 2`).
  public var owner: String?
  public init() {}

  /// The decision grid for a run on `timeframe`, nil without `eval_every`. A grid that is not a
  /// whole number of candles would skip decisions unevenly: an error naming the file and line.
  public func decisionGrid(timeframe: Timeframe) throws -> Timeframe? {
    guard let every = evalEvery else { return nil }
    guard every.milliseconds % timeframe.milliseconds == 0 else {
      throw error(
        "eval_every", "\"\(every)\" is not a multiple of the run's timeframe \(timeframe)")
    }
    return every
  }

  /// What the schedule does, one line each (for `wick config check`).
  public var summary: [String] {
    var lines: [String] = []
    if let every = evalEvery {
      lines.append("schedule: decisions only on candles closing on the \(every) UTC grid")
    }
    if let job = pairsRescan {
      lines.append(
        "schedule: pairs re-scan every \(job.every) on \(job.lookback) of history, p ≤ \(formatNumber(job.pvalue))"
          + (job.distinctSymbols ? ", sharing no symbol" : "")
          + (job.maxPairs.map { ", at most \($0) pairs" } ?? ""))
    }
    if let job = reoptimize {
      lines.append(
        "schedule: re-optimize every \(job.every) with the sweep \(job.sweep) on \(job.lookback) of history; swap when out-of-sample beats the running params by \(formatNumber(job.minImprovement)) with ≥ \(job.minTrades) trades"
          + (job.minDeflatedSharpe > 0
            ? " and a deflated Sharpe ≥ \(formatNumber(job.minDeflatedSharpe))" : ""))
    }
    return lines
  }

  /// An error about `key` of `[schedule]` (or `[schedule.pairs_rescan]` for `pairs_rescan.<key>`;
  /// `[run.schedule…]` for an entry's own), after the entry it is checked for.
  public func error(_ key: String, _ why: String) -> WickError {
    let parts = key.split(separator: ".", maxSplits: 1)
    let field =
      parts.count == 2 ? "[\(section).\(parts[0])] \(parts[1])" : "[\(section)] \(key)"
    return .invalidFile(
      path: path, line: lines[key], reason: "\(owner.map { $0 + ": " } ?? "")\(field): \(why)")
  }
}

/// `[schedule.pairs_rescan]`: re-run `wick pairs scan` on the run's data and swap the new pairs
/// into the run's params file through hot reload (seed 002's monthly pair generation).
public struct PairsRescanConfig: Sendable, Equatable {
  public var every: ScheduleInterval = .months(1)
  /// The universe to test; nil: the run's symbols.
  public var symbols: [String]?
  /// Candles the test uses; nil: the run's timeframe.
  public var timeframe: Timeframe?
  /// How much history before the due time is tested.
  public var lookback = Timeframe(milliseconds: 90 * 86_400_000)
  /// Keep pairs with a p-value at or below this.
  public var pvalue = 0.05
  /// Keep at most this many (the most significant); nil: all.
  public var maxPairs: Int?
  /// Keep only pairs sharing no symbol with a better-ranked kept one (`wick pairs scan
  /// --distinct-symbols`).
  public var distinctSymbols = false
  /// The params file rewritten; nil: the run's `--params` file.
  public var out: String?
  public init() {}
}

extension WickConfig {
  static func readSchedule(_ r: inout SectionReader, path: String) throws -> ScheduleConfig {
    var s = ScheduleConfig()
    s.path = path
    s.section = r.name
    s.owner = r.owner
    func line(_ r: SectionReader, _ key: String) -> Int? { r.table.entry(key)?.line }
    if let text = try r.string("eval_every") {
      s.lines["eval_every"] = line(r, "eval_every")
      do { s.evalEvery = try Timeframe(parsing: text) } catch {
        throw s.error(
          "eval_every", "'\(text)': expected a positive duration such as 5m, 15m, 1h or 1d")
      }
    }
    try r.section("pairs_rescan") { p in
      var job = PairsRescanConfig()
      for key in [
        "every", "symbols", "timeframe", "lookback", "pvalue", "max_pairs", "distinct_symbols",
        "out",
      ] {
        s.lines["pairs_rescan." + key] = line(p, key)
      }
      s.lines["pairs_rescan"] = p.table.line
      if let text = try p.string("every") {
        do { job.every = try ScheduleInterval(parsing: text) } catch let
          WickError
          .invalidArgument(why)
        { throw s.error("pairs_rescan.every", why) }
      }
      if let list = try p.stringList("symbols") {
        guard list.count >= 2, Set(list).count == list.count else {
          throw s.error("pairs_rescan.symbols", "expected at least two different symbols")
        }
        job.symbols = list
      }
      if let text = try p.string("timeframe") {
        do { job.timeframe = try Timeframe(parsing: text) } catch {
          throw s.error("pairs_rescan.timeframe", "'\(text)': expected a timeframe such as 4h")
        }
      }
      if let text = try p.string("lookback") {
        do { job.lookback = try Timeframe(parsing: text) } catch {
          throw s.error(
            "pairs_rescan.lookback", "'\(text)': expected a duration of history such as 90d")
        }
      }
      if let v = try p.number("pvalue", in: 0.000001...1) { job.pvalue = v }
      job.maxPairs = try p.integer("max_pairs", in: 1...10_000)
      job.distinctSymbols = try p.bool("distinct_symbols") ?? false
      if let out = try p.string("out") {
        guard out.lowercased().hasSuffix(".json") else {
          throw s.error("pairs_rescan.out", "'\(out)': expected a JSON params file (.json)")
        }
        job.out = out
      }
      s.pairsRescan = job
    }
    try r.section("reoptimize") { p in
      s.lines["reoptimize"] = p.table.line
      for key in [
        "every", "sweep", "lookback", "min_trades", "min_improvement", "min_deflated_sharpe", "dir",
        "workers",
      ] {
        s.lines["reoptimize." + key] = line(p, key)
      }
      guard let sweep = try p.string("sweep") else {
        s.lines["reoptimize.sweep"] = p.table.line
        throw s.error(
          "reoptimize.sweep",
          "required: the sweep.json a `wick optimize … --walk-forward TRAIN:TEST --out DIR` wrote (its ranges, objective and windows)"
        )
      }
      guard sweep.lowercased().hasSuffix(".json") else {
        throw s.error(
          "reoptimize.sweep", "'\(sweep)': expected the sweep.json of a wick optimize run")
      }
      var job = ReoptimizeConfig(sweep: sweep)
      if let text = try p.string("every") {
        do { job.every = try ScheduleInterval(parsing: text) } catch let
          WickError
          .invalidArgument(why)
        { throw s.error("reoptimize.every", why) }
      }
      if let text = try p.string("lookback") {
        do { job.lookback = try Timeframe(parsing: text) } catch {
          throw s.error(
            "reoptimize.lookback", "'\(text)': expected a duration of history such as 90d")
        }
      }
      if let n = try p.integer("min_trades", in: 0...1_000_000) { job.minTrades = n }
      if let v = try p.number("min_improvement", in: 0...1e9) { job.minImprovement = v }
      if let v = try p.number("min_deflated_sharpe", in: 0...1) { job.minDeflatedSharpe = v }
      if let n = try p.integer("workers", in: 1...1024) { job.workers = n }
      job.dir = try p.string("dir")
      s.reoptimize = job
    }
    return s
  }
}

/// `[schedule.reoptimize]`: seed 000's loop. At each boundary, re-run a walk-forward sweep (the
/// one a `wick optimize` run saved as sweep.json) on the closed candles before it, and swap the
/// winner's params into the run when its out-of-sample result beats the running params' by the
/// margin and passes the floors.
public struct ReoptimizeConfig: Sendable, Equatable {
  public var every: ScheduleInterval = .fixed(Timeframe(milliseconds: 7 * 86_400_000))
  /// The sweep.json of a `wick optimize … --walk-forward` run: its ranges, search, objective,
  /// walk-forward windows and simulation flags.
  public var sweep: String
  /// How much history before the due time the walk-forward covers.
  public var lookback = Timeframe(milliseconds: 90 * 86_400_000)
  /// The winner needs this many out-of-sample trades (and each training winner this many trades).
  public var minTrades = 1
  /// The winner's out-of-sample objective must exceed the running params' by more than this.
  public var minImprovement = 0.0
  /// Floor on the deflated Sharpe ratio's probability (0: no floor).
  public var minDeflatedSharpe = 0.0
  /// Parallel backtests of the sweep (default 1: the other core stays with the trading loop).
  public var workers = 1
  /// Where each sweep and the queue go; nil: `reoptimize/` beside the run's params file.
  public var dir: String?
  public init(sweep: String) { self.sweep = sweep }
}

extension SectionReader {
  /// `["A", "B"]`: a list of non-empty strings.
  mutating func stringList(_ key: String) throws -> [String]? {
    guard let e = entry(key) else { return nil }
    guard case .array(let items) = e.value else {
      throw WickError.invalidFile(
        path: path, line: e.line, reason: "[\(name)] \(key): expected a list of strings")
    }
    return try items.map {
      guard case .string(let s) = $0, !s.isEmpty else {
        throw WickError.invalidFile(
          path: path, line: e.line, reason: "[\(name)] \(key): expected a list of strings")
      }
      return s
    }
  }
}
