import Testing
import WickCore

@testable import WickRisk

@Suite struct ScheduleConfigTests {
  @Test func theScheduleSectionIsRead() throws {
    let c = try WickConfig.parse(
      """
      [schedule]
      eval_every = "15m"

      [schedule.pairs_rescan]
      every = "1mo"
      symbols = ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
      timeframe = "4h"
      lookback = "180d"
      pvalue = 0.01
      max_pairs = 3
      distinct_symbols = true
      out = "pairs.json"
      """, path: "w.toml")
    #expect(c.schedule.evalEvery == (try Timeframe(parsing: "15m")))
    let job = try #require(c.schedule.pairsRescan)
    #expect(job.every == .months(1))
    #expect(job.symbols == ["BTCUSDT", "ETHUSDT", "SOLUSDT"])
    #expect(job.timeframe == (try Timeframe(parsing: "4h")))
    #expect(job.lookback == (try Timeframe(parsing: "180d")))
    #expect(job.pvalue == 0.01 && job.maxPairs == 3 && job.out == "pairs.json")
    #expect(job.distinctSymbols)
    #expect(
      c.schedule.summary.last
        == "schedule: pairs re-scan every 1mo on 180d of history, p ≤ 0.01, sharing no symbol, at most 3 pairs"
    )
    #expect {
      try WickConfig.parse("[schedule.pairs_rescan]\ndistinct_symbols = 1\n", path: "w.toml")
    } throws: {
      "\($0)".contains("w.toml:2") && "\($0)".contains("distinct_symbols: expected true or false")
    }
    // Defaults: every month, 90 days of the run's own candles, p ≤ 0.05, the run's params file.
    let defaults = try #require(
      try WickConfig.parse("[schedule.pairs_rescan]\n", path: "w.toml").schedule.pairsRescan)
    #expect(defaults == PairsRescanConfig())
    #expect(defaults.lookback.milliseconds == 90 * 86_400_000 && defaults.pvalue == 0.05)
    #expect(!defaults.distinctSymbols)
    #expect(try WickConfig.parse("", path: "w.toml").schedule == ScheduleConfig())
  }

  @Test func theExamplesAreValid() throws {
    let ma = try WickConfig.load(path: "examples/ma-every-15m.toml")
    #expect(try ma.schedule.decisionGrid(timeframe: .oneMinute) == (try Timeframe(parsing: "15m")))
    #expect(ma.caps.maxTotalLoss == 10)
    let pairs = try WickConfig.load(path: "examples/pairs-monthly.toml")
    #expect(pairs.schedule.pairsRescan?.every == .months(1))
    #expect(pairs.schedule.pairsRescan?.lookback == (try Timeframe(parsing: "180d")))
    #expect(
      ma.schedule.summary == ["schedule: decisions only on candles closing on the 15m UTC grid"])
    #expect(
      pairs.schedule.summary == [
        "schedule: pairs re-scan every 1mo on 180d of history, p ≤ 0.05, at most 5 pairs"
      ])
  }

  @Test func theReoptimizeExampleIsValidAndDefaultsAreSafe() throws {
    let weekly = try WickConfig.load(path: "examples/reoptimize-weekly.toml")
    let job = try #require(weekly.schedule.reoptimize)
    #expect(job.every == .fixed(try Timeframe(parsing: "1w")) && job.sweep == "out/wf/sweep.json")
    #expect(job.minTrades == 20 && job.minImprovement == 0.1 && job.minDeflatedSharpe == 0.9)
    #expect(
      weekly.schedule.summary == [
        "schedule: re-optimize every 1w with the sweep out/wf/sweep.json on 90d of history; swap when out-of-sample beats the running params by 0.1 with ≥ 20 trades and a deflated Sharpe ≥ 0.9"
      ])
    // Only the sweep is required; a sweep uses one worker so that a core stays with trading.
    let defaults = try #require(
      try WickConfig.parse("[schedule.reoptimize]\nsweep = \"s.json\"\n", path: "w.toml")
        .schedule.reoptimize)
    #expect(defaults.every == .fixed(try Timeframe(parsing: "7d")) && defaults.workers == 1)
    #expect(defaults.minImprovement == 0 && defaults.minDeflatedSharpe == 0)
    #expect {
      try WickConfig.parse(
        "[schedule.reoptimize]\nsweep = \"s.json\"\nmin_trades = -1\n", path: "w.toml")
    } throws: {
      "\($0)".contains("w.toml:3: [schedule.reoptimize] min_trades: -1 is out of range")
    }
    #expect {
      try WickConfig.parse("[schedule.reoptimize]\nsweep = \"s.csv\"\n", path: "w.toml")
    } throws: {
      "\($0)".contains("w.toml:2: [schedule.reoptimize] sweep: 's.csv': expected the sweep.json")
    }
  }

  @Test func theDecisionGridMustBeWholeCandles() throws {
    let c = try WickConfig.parse(
      "[risk]\nrisk_per_trade = 0.01\n\n[schedule]\neval_every = \"15m\"\n", path: "w.toml")
    #expect(try c.schedule.decisionGrid(timeframe: .oneMinute) == (try Timeframe(parsing: "15m")))
    #expect(try c.schedule.decisionGrid(timeframe: try Timeframe(parsing: "5m")) != nil)
    do {
      _ = try c.schedule.decisionGrid(timeframe: try Timeframe(parsing: "4h"))
      Issue.record("a 15m grid accepted on 4h candles")
    } catch {
      #expect(
        "\(error)"
          == "w.toml:5: [schedule] eval_every: \"15m\" is not a multiple of the run's timeframe 4h")
    }
    #expect(throws: WickError.self) {
      try c.schedule.decisionGrid(timeframe: try Timeframe(parsing: "7m"))
    }
    #expect(try WickConfig().schedule.decisionGrid(timeframe: .oneMinute) == nil)
  }

  @Test(arguments: [
    (
      "[schedule]\neval_every = \"0m\"\n", 2,
      "[schedule] eval_every: '0m': expected a positive duration"
    ),
    ("[schedule]\neval_every = \"-15m\"\n", 2, "[schedule] eval_every: '-15m'"),
    ("[schedule]\neval_every = \"quarter\"\n", 2, "[schedule] eval_every: 'quarter'"),
    ("[schedule]\neval_every = 15\n", 2, "eval_every: expected a non-empty string"),
    ("[schedule]\nevery = \"15m\"\n", 2, "unknown key 'every' in [schedule]"),
    ("[schedule.pairs_rescan]\nevery = \"0mo\"\n", 2, "[schedule.pairs_rescan] every: '0mo'"),
    (
      "[schedule.pairs_rescan]\nevery = \"monthly\"\n", 2,
      "[schedule.pairs_rescan] every: 'monthly'"
    ),
    (
      "[schedule.pairs_rescan]\nsymbols = [\"BTCUSDT\"]\n", 2,
      "symbols: expected at least two different symbols"
    ),
    (
      "[schedule.pairs_rescan]\nsymbols = \"BTCUSDT,ETHUSDT\"\n", 2,
      "symbols: expected a list of strings"
    ),
    ("[schedule.pairs_rescan]\ntimeframe = \"4 hours\"\n", 2, "timeframe: '4 hours'"),
    ("[schedule.pairs_rescan]\nlookback = \"0d\"\n", 2, "lookback: '0d'"),
    ("[schedule.pairs_rescan]\npvalue = 0\n", 2, "pvalue: 0 is out of range"),
    ("[schedule.pairs_rescan]\npvalue = 1.5\n", 2, "pvalue: 1.5 is out of range"),
    ("[schedule.pairs_rescan]\nmax_pairs = 0\n", 2, "max_pairs: 0 is out of range"),
    (
      "[schedule.pairs_rescan]\nout = \"pairs.toml\"\n", 2,
      "out: 'pairs.toml': expected a JSON params file"
    ),
    (
      "[schedule.pairs_rescan]\nevry = \"1mo\"\n", 2,
      "unknown key 'evry' in [schedule.pairs_rescan]"
    ),
  ])
  func badValuesNameTheFileLineAndField(text: String, line: Int, reason: String) {
    ConfigTests().errorsNameTheKeyAndLine(text: text, line: line, reason: reason)
  }
}

/// `[run.schedule]`: a `[[run]]` entry's own schedule, with the top-level `[schedule]` as the
/// default for entries that have none.
@Suite struct RunEntryScheduleTests {
  static let text = """
    [schedule]
    eval_every = "15m"

    [[run]]
    strategy = "a.lua"
    symbol = "BTCUSDT"
    timeframe = "1m"

    [[run]]
    strategy = "b.lua"
    symbol = "ETHUSDT"
    timeframe = "4h"

    [run.schedule]
    eval_every = "1d"

    [[run]]
    strategy = "c.lua"
    symbols = ["BTCUSDT", "ETHUSDT"]
    timeframe = "1h"

    [run.schedule]
    eval_every = "4h"

    [run.schedule.pairs_rescan]
    every = "7d"
    out = "c.json"
    """

  @Test func eachEntryMayCarryItsOwnScheduleAndTheOthersTakeTheTopLevelOne() throws {
    let c = try WickConfig.parse(Self.text, path: "w.toml")
    #expect(c.runs.count == 3)
    #expect(c.runs[0].schedule == nil)
    #expect(c.schedule(for: c.runs[0]) == c.schedule)
    #expect(c.schedule(for: c.runs[1]).evalEvery == (try Timeframe(parsing: "1d")))
    #expect(c.schedule(for: c.runs[1]).pairsRescan == nil)
    #expect(c.schedule(for: c.runs[2]).evalEvery == (try Timeframe(parsing: "4h")))
    #expect(c.schedule(for: c.runs[2]).pairsRescan?.every == .fixed(try Timeframe(parsing: "7d")))
    #expect(c.schedule(for: c.runs[2]).pairsRescan?.out == "c.json")
    // The top-level [schedule] is as it was.
    #expect(c.schedule.evalEvery == (try Timeframe(parsing: "15m")))
    #expect(c.schedule.pairsRescan == nil)
  }

  @Test func anEmptyRunScheduleTakesTheEntryOffTheTopLevelGrid() throws {
    let c = try WickConfig.parse(
      Self.text.replacingOccurrences(
        of: "[run.schedule]\neval_every = \"1d\"", with: "[run.schedule]"),
      path: "w.toml")
    #expect(c.schedule(for: c.runs[1]).evalEvery == nil)
    #expect(c.schedule(for: c.runs[0]).evalEvery == (try Timeframe(parsing: "15m")))
  }

  /// `wick backtest --config`: the entry running the same script, symbols and timeframe (paths
  /// from the config's folder against the working directory) gives its own schedule.
  @Test func aBacktestFollowsTheEntryThatRunsTheSameStrategy() throws {
    let c = try WickConfig.parse(Self.text, path: "conf/w.toml")
    func grid(_ strategy: String, _ symbols: [String], _ tf: String) throws -> String? {
      try c.schedule(
        strategy: strategy, symbols: symbols, timeframe: try Timeframe(parsing: tf),
        configPath: "conf/w.toml"
      ).evalEvery?.description
    }
    #expect(try grid("conf/b.lua", ["ETHUSDT"], "4h") == "1d")
    #expect(try grid("conf/../conf/c.lua", ["BTCUSDT", "ETHUSDT"], "1h") == "4h")
    // Entry 1 has no own schedule; no entry runs b.lua on 1h or from another folder.
    #expect(try grid("conf/a.lua", ["BTCUSDT"], "1m") == "15m")
    #expect(try grid("conf/b.lua", ["ETHUSDT"], "1h") == "15m")
    #expect(try grid("b.lua", ["ETHUSDT"], "4h") == "15m")
    // Two entries run it (with other settings) on different schedules: no guess.
    let twice = try WickConfig.parse(
      Self.text
        + "\n\n[[run]]\nstrategy = \"b.lua\"\nsymbol = \"ETHUSDT\"\ntimeframe = \"4h\"\nequity = 5.0\n",
      path: "conf/w.toml")
    #expect {
      try twice.schedule(
        strategy: "conf/b.lua", symbols: ["ETHUSDT"], timeframe: try Timeframe(parsing: "4h"),
        configPath: "conf/w.toml")
    } throws: {
      "\($0)".hasPrefix(
        "conf/w.toml:29: [[run]] entry 2 and [[run]] entry 4 both run conf/b.lua on ETHUSDT 4h, on different schedules"
      )
    }
  }

  @Test func anEntrysScheduleErrorsNameTheEntryTheSectionAndTheLine() throws {
    let c = try WickConfig.parse(Self.text, path: "w.toml")
    #expect {
      try c.schedule(for: c.runs[2]).decisionGrid(timeframe: try Timeframe(parsing: "3h"))
    } throws: {
      "\($0)"
        == "w.toml:23: [[run]] entry 3: [run.schedule] eval_every: \"4h\" is not a multiple of the run's timeframe 3h"
    }
    func parseError(_ from: String, _ to: String) -> String {
      do {
        _ = try WickConfig.parse(Self.text.replacingOccurrences(of: from, with: to), path: "w.toml")
        return "accepted"
      } catch { return "\(error)" }
    }
    #expect(
      parseError("eval_every = \"1d\"", "eval_every = \"soon\"")
        == "w.toml:15: [[run]] entry 2: [run.schedule] eval_every: 'soon': expected a positive duration such as 5m, 15m, 1h or 1d"
    )
    #expect(
      parseError("eval_every = \"1d\"", "eval_everyy = \"1d\"")
        == "w.toml:15: [[run]] entry 2: unknown key 'eval_everyy' in [run.schedule]")
    // An entry's key written after its [run.schedule] lands in the schedule: say where it goes.
    #expect(
      parseError("eval_every = \"1d\"", "eval_every = \"1d\"\nequity = 500.0")
        == "w.toml:16: [[run]] entry 2: equity is a key of the entry, not of [run.schedule]: write it above [run.schedule]"
    )
    #expect(
      parseError("out = \"c.json\"", "out = \"c.toml\"")
        == "w.toml:27: [[run]] entry 3: [run.schedule.pairs_rescan] out: 'c.toml': expected a JSON params file (.json)"
    )
    #expect(
      parseError("every = \"7d\"", "every = \"7d\"\npvalue = 2").hasPrefix(
        "w.toml:27: [[run]] entry 3: [run.schedule.pairs_rescan] pvalue: 2 is out of range"))
  }
}
