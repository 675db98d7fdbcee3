import Foundation
import WickCore
import WickData
import WickLua
import WickReport
import WickRisk
import WickSim
import WickStats
import WickTesting

// `make bench`: one line per figure, each with its baseline measured in the same run.
// Timings are best-of-3 wall clock on a shared machine; ratios are the figures to trust.

let environment = ProcessInfo.processInfo.environment
let candleCount = Int(environment["WICK_BENCH_CANDLES"] ?? "1000000")!

// Profiling aid: `WICK_FEED_ONLY=1 wick-bench` runs only the loopback feed figure.
if environment["WICK_FEED_ONLY"] != nil {
  print("feed \(Int(try FeedBenchmark.run(candles: 200_000)))/s")
  exit(0)
}

// Profiling aid: `WICK_PROFILE_SCRIPT=x.lua wick-bench` runs only that script over in-memory
// synthetic candles (no SQLite), e.g. under `valgrind --tool=callgrind` (strip the binary's debug
// info first; Benchmarks/profile/callgrind-lines.py maps the costs back to source lines).
if let script = environment["WICK_PROFILE_SCRIPT"] {
  var synth = CandleSynthesizer(seed: 7, timeframe: Timeframe.oneMinute)
  let candles = (0..<candleCount).map { _ in synth.next() }
  let strategy = try LuaStrategy(path: script)
  let config = BacktestConfig(
    strategyName: strategy.name, params: strategy.params, timeframe: .oneMinute, historyDepth: 60)
  let engine = BacktestEngine(
    config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
  let start = DispatchTime.now().uptimeNanoseconds
  let r = try engine.run(
    source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  print(
    "\(script): \(Int(Double(candleCount) / seconds)) candles/s in memory, \(r.trades.count) trades"
  )
  exit(0)
}

// The load figures' session length in 1m candles (LoadBenchmark.swift).
let loadMinutes = Int(environment["WICK_LOAD_MINUTES"] ?? "360")!

// Profiling aid: `WICK_BENCH_ONLY=tearsheet|sweep|import|marketstats|load|peer|search|optimize wick-bench` prints only that figure (on a
// loaded machine the whole bench takes long; these are the lines the speed work moves).
if let only = environment["WICK_BENCH_ONLY"] {
  let scratch = FileManager.default.temporaryDirectory.appendingPathComponent(
    "wick-bench-\(getpid())")
  try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
  defer { try? FileManager.default.removeItem(at: scratch) }
  let wickURL = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    .appendingPathComponent("wick")
  switch only {
  case "tearsheet":
    var synth = CandleSynthesizer(
      seed: 7, timeframe: Timeframe.oneMinute, start: 1_704_067_200_000, startPrice: 42_000)
    let candles = (0..<candleCount).map { _ in synth.next() }
    let strategy = try LuaStrategy(path: "strategies/ma_cross.lua")
    let engine = BacktestEngine(
      config: BacktestConfig(
        strategyName: strategy.name, params: strategy.params, timeframe: .oneMinute,
        historyDepth: 60),
      symbols: ["BTCUSDT"], strategy: strategy, risk: FixedFractionSizer())
    let result = try engine.run(
      source: MergedCandleSource(symbols: ["BTCUSDT"], cursors: [ArrayCandleCursor(candles)]))
    tearsheetLine(result, candles: candles)
  case "sweep":
    try SweepPeerBenchmark.run(
      wick: wickURL, candles: 150_000, work: scratch,
      python: environment["WICK_VECTORBT_PYTHON"], skipped: "no WICK_VECTORBT_PYTHON")
  case "marketstats":
    try MarketStatsBenchmark.run(work: scratch)
  case "peer", "search", "optimize":
    // The candles of a full run, then only these lines.
    let db = scratch.appendingPathComponent("bench.sqlite").path
    let store = try CandleStore(path: db)
    let series = SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute)
    var synth = CandleSynthesizer(
      seed: 7, timeframe: Timeframe.oneMinute, start: 1_704_067_200_000, startPrice: 42_000)
    try store.writeBatches(series: series, replace: false) { write in
      var left = candleCount
      while left > 0 {
        let n = min(100_000, left)
        try write((0..<n).map { _ in synth.next() })
        left -= n
      }
    }
    if only == "peer" {
      try PeerBenchmark.lines(
        wick: wickURL, dbPath: db, store: store, series: series, count: candleCount, work: scratch)
    } else if only == "optimize" {
      try optimizeBenchmarks(wick: wickURL, dbPath: db, work: scratch)
    } else {
      try searchBenchmarks(wick: wickURL, dbPath: db, work: scratch)
    }
  case "import":
    try ImportBenchmark.run(
      wick: wickURL, rows: Int(environment["WICK_BENCH_IMPORT_ROWS"] ?? "3000000")!,
      work: scratch)
  case "load":
    try LoadBenchmark.run(wick: wickURL, minutes: loadMinutes, work: scratch)
  default:
    print(
      "WICK_BENCH_ONLY: expected tearsheet, sweep, import, marketstats, load, peer, search or optimize, got \(only)"
    )
    exit(2)
  }
  exit(0)
}
let work = FileManager.default.temporaryDirectory.appendingPathComponent("wick-bench-\(getpid())")
try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: work) }
let dbPath = work.appendingPathComponent("bench.sqlite").path
let series = SeriesKey(exchange: "local", symbol: "BTCUSDT", timeframe: .oneMinute)

func line(_ name: String, _ value: String, _ note: String = "") {
  print(
    "\(name.padding(toLength: 44, withPad: " ", startingAt: 0)) \(value)\(note.isEmpty ? "" : "  (\(note))")"
  )
}

/// Best of `n` runs of `body`, in seconds.
func best(_ n: Int = 3, _ body: () throws -> Void) rethrows -> Double {
  var t = Double.infinity
  for _ in 0..<n {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    t = min(t, Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9)
  }
  return t
}

func rate(_ n: Int, _ seconds: Double) -> String { String(format: "%.0f/s", Double(n) / seconds) }

// Candles: the deterministic synthesizer into a fresh cache.
let store = try CandleStore(path: dbPath)
var synth = CandleSynthesizer(
  seed: 7, timeframe: Timeframe.oneMinute, start: 1_704_067_200_000, startPrice: 42_000)
let writeSeconds = try best(1) {
  try store.writeBatches(series: series, replace: false) { write in
    var left = candleCount
    while left > 0 {
      let n = min(100_000, left)
      try write((0..<n).map { _ in synth.next() })
      left -= n
    }
  }
}
line("sqlite write (batched insert)", rate(candleCount, writeSeconds))

// SQLite read on its own: the cursor's prefetch thread and the consumer.
var checksum = 0.0
let readSeconds = try best {
  let cursor = try store.cursor(series: series)
  while let c = try cursor.next() { checksum += c.close }
}
line("sqlite read (cursor)", rate(candleCount, readSeconds))

// The candle key before (text columns in every row) and after the `series` table, same candles.
do {
  let figures = try SchemaBenchmark.run(
    synth: CandleSynthesizer(
      seed: 7, timeframe: Timeframe.oneMinute, start: 1_704_067_200_000, startPrice: 42_000),
    count: candleCount, cachePath: dbPath, scratchDir: work)
  line("sqlite write, old text key (baseline)", rate(candleCount, figures.oldInsert))
  line("sqlite scan, old text key (baseline)", rate(candleCount, figures.oldScan))
  line(
    "sqlite scan, (series_id, time) key", rate(candleCount, figures.newScan),
    String(format: "%.2fx the old key", figures.oldScan / figures.newScan))
}

func engineRun(
  _ strategy: Strategy, params: [(name: String, value: ParamValue)] = [],
  risk: RiskGate = FixedFractionSizer()
) throws -> BacktestResult {
  let config = BacktestConfig(
    strategyName: strategy.name, params: params, timeframe: .oneMinute, historyDepth: 60)
  let engine = BacktestEngine(config: config, symbols: ["BTCUSDT"], strategy: strategy, risk: risk)
  let source = MergedCandleSource(symbols: ["BTCUSDT"], cursors: [try store.cursor(series: series)])
  return try engine.run(source: source)
}

var swiftTrades = 0
let swiftSeconds = try best {
  swiftTrades = try engineRun(MACrossSwift()).trades.count
}
line(
  "end to end, ma_cross in Swift (baseline)", rate(candleCount, swiftSeconds),
  "\(swiftTrades) trades")

var luaTrades = 0
var luaResult: BacktestResult?
let luaSeconds = try best {
  let s = try LuaStrategy(path: "strategies/ma_cross.lua")
  luaResult = try engineRun(s, params: s.params)
  luaTrades = luaResult!.trades.count
}
line(
  "end to end, ma_cross.lua (sqlite→lua→fills)", rate(candleCount, luaSeconds),
  "\(luaTrades) trades")
line(
  "lua overhead (swift time / lua time)", String(format: "%.2f", swiftSeconds / luaSeconds),
  "1.00 = free")

// A second timeframe: sma_cross.lua against the same script declaring `timeframes = { "1m",
// "1h" }` (every 1h candle resampled from the 1m series and delivered too), same run, in process.
var smaTrades = (0, 0)
let smaSeconds = try best {
  let s = try LuaStrategy(path: "Benchmarks/compare/sma_cross.lua")
  smaTrades.0 = try engineRun(s, params: s.params).trades.count
}
let smaHourSeconds = try best {
  let s = try LuaStrategy(path: "Benchmarks/compare/sma_cross_1h.lua")
  smaTrades.1 = try engineRun(s, params: s.params).trades.count
}
line(
  "end to end, sma_cross.lua (one timeframe)", rate(candleCount, smaSeconds),
  "\(smaTrades.0) trades")
line(
  "end to end, sma_cross.lua + 1h timeframe", rate(candleCount, smaHourSeconds),
  String(
    format: "%d trades; second timeframe costs %+.1f%% (%.1f ns per 1m candle)", smaTrades.1,
    (smaHourSeconds / smaSeconds - 1) * 100,
    (smaHourSeconds - smaSeconds) / Double(candleCount) * 1e9))

// The --json writer on that result: its trade list and equity curve.
if let result = luaResult {
  let metrics = Metrics.compute(result)
  var bytes = 0
  let jsonSeconds = best(5) { bytes = ResultJSON.encodeUTF8(result, metrics: metrics).count }
  line(
    "json writer (trades + equity)", String(format: "%.0f MB/s", Double(bytes) / jsonSeconds / 1e6),
    "\(bytes / 1000) kB, target ≥ 200 MB/s")
}

// The tearsheet's cost per candle (TearsheetBenchmark.swift).
if let result = luaResult {
  var candles: [Candle] = []
  candles.reserveCapacity(candleCount)
  let cursor = try store.cursor(series: series)
  while let c = try cursor.next() { candles.append(c) }
  tearsheetLine(result, candles: candles)
}

// A paper or live run's per-candle market-stats read (MarketStatsBenchmark.swift).
try MarketStatsBenchmark.run(work: work)

// The full risk engine (account rules, governor, caps, instruments) against sizing only. With the
// example config ma_cross trips the daily loss limit and then the kill switch, after which it
// retries a refused entry on every candle: that measures the strategy's retries (about 2 µs each),
// not the engine. Here every rule is checked on every intent but sized not to trip.
var riskTrades = 0
let riskSeconds = try best {
  let s = try LuaStrategy(path: "strategies/ma_cross.lua")
  var config = try WickConfig.load(path: "config/wick.toml")
  config.risk.maxDailyLoss = 1_000
  config.risk.maxDrawdownPct = 1
  config.accounts = []
  let gate = RiskEngine(
    config: config, strategy: s.name, symbols: ["BTCUSDT"], initialEquity: 10_000)
  riskTrades = try engineRun(s, params: s.params, risk: gate).trades.count
}
line(
  "end to end, ma_cross.lua + full risk engine", rate(candleCount, riskSeconds),
  "\(riskTrades) trades")
line(
  "risk engine ratio (sizing-only time / full)", String(format: "%.2f", luaSeconds / riskSeconds),
  "target ≥ 0.8")

// The real command, as a user runs it: wall time and peak RSS of the `wick backtest` process.
let wick = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
  .appendingPathComponent("wick")
if FileManager.default.isExecutableFile(atPath: wick.path) {
  let p = Process()
  p.executableURL = wick
  p.arguments = [
    "backtest", "strategies/ma_cross.lua", "--symbol", "BTCUSDT", "--timeframe", "1m", "--db",
    dbPath, "--quiet",
  ]
  p.standardOutput = FileHandle.nullDevice
  let start = DispatchTime.now().uptimeNanoseconds
  try p.run()
  p.waitUntilExit()
  let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
  // The only child this process has run: its peak RSS is the children's maximum.
  var usage = rusage()
  getrusage(RUSAGE_CHILDREN.rawValue, &usage)
  line(
    "wick backtest command, wall (incl. startup)", rate(candleCount, seconds),
    "exit \(p.terminationStatus)")
  line(
    "wick backtest command, peak RSS", String(format: "%.1f MB", Double(usage.ru_maxrss) / 1024),
    "target < 150 MB")
  // The SMA crossover of `make compare`, whole process, against backtesting.py on the same candles.
  try PeerBenchmark.lines(
    wick: wick, dbPath: dbPath, store: store, series: series, count: candleCount, work: work)
} else {
  line("wick backtest command", "skipped", "build the wick product first")
}
// Pairs: zscore_pairs.lua over 10 cointegrated pairs × 4 years of 4h candles (20 symbols).
do {
  let tf4h = try Timeframe(parsing: "4h")
  let perSeries = 4 * 365 * 6
  var names: [String] = []
  var pairList: [ParamValue] = []
  for k in 0..<10 {
    var pair = PairSynthesizer(
      seed: UInt64(100 + k), timeframe: tf4h, hedge: Double(5 + k), halfLife: Double(6 + k))
    var a: [Candle] = []
    var b: [Candle] = []
    for _ in 0..<perSeries {
      let (x, y) = pair.next()
      a.append(x)
      b.append(y)
    }
    let (na, nb) = ("A\(k)USDT", "B\(k)USDT")
    try store.write(
      a, series: SeriesKey(exchange: "local", symbol: na, timeframe: tf4h), replace: false)
    try store.write(
      b, series: SeriesKey(exchange: "local", symbol: nb, timeframe: tf4h), replace: false)
    names += [na, nb]
    pairList.append(.table([("a", .string(na)), ("b", .string(nb))]))
  }
  var pairTrades = 0
  let pairSeconds = try best {
    let s = try LuaStrategy(
      path: "strategies/zscore_pairs.lua", overrides: [("pairs", .list(pairList), "bench")],
      symbols: names)
    let config = BacktestConfig(
      strategyName: s.name, params: s.params, timeframe: tf4h, historyDepth: s.warmup)
    let engine = BacktestEngine(
      config: config, symbols: names, strategy: s, risk: FixedFractionSizer())
    let cursors = try names.map {
      try store.cursor(series: SeriesKey(exchange: "local", symbol: $0, timeframe: tf4h))
    }
    pairTrades = try engine.run(source: MergedCandleSource(symbols: names, cursors: cursors)).trades
      .count
  }
  line(
    "zscore_pairs.lua, 10 pairs × 4y of 4h", rate(perSeries * 20, pairSeconds),
    "\(pairTrades) trades")
}

// The cointegration scanner: all 1,225 pairs of 50 symbols × 1,000 candles.
line(
  "pairs scan, 50 symbols × 1000 candles",
  String(format: "%.0f pairs/s", PairScanBenchmark.run(symbols: 50, length: 1_000)))

// Exchange feed: fetch, parse and store 200k candles served by the loopback mock exchange.
line(
  "feed fetch+parse+store (loopback)",
  String(format: "%.0f/s", try FeedBenchmark.run(candles: 200_000)), "target ≥ 500000/s")

// Sweeps: wick optimize with 1 and 2 workers beside one wick backtest (OptimizeBench.swift).
try optimizeBenchmarks(wick: wick, dbPath: dbPath, work: work)
// Fewer sets for the same answer: the TPE search beside the grid (SearchBench.swift).
try searchBenchmarks(wick: wick, dbPath: dbPath, work: work)

if FileManager.default.isExecutableFile(atPath: wick.path) {
  // The issue's sweep figure against vectorbt (SweepPeerBenchmark.swift).
  try SweepPeerBenchmark.run(
    wick: wick, candles: 150_000, work: work, python: environment["WICK_VECTORBT_PYTHON"],
    skipped: "no venv: "
      + (environment["WICK_VECTORBT_SKIPPED"] ?? "run through `make bench`"))
  // Streaming import: time and the child's own peak memory (ImportBenchmark.swift).
  try ImportBenchmark.run(
    wick: wick, rows: Int(environment["WICK_BENCH_IMPORT_ROWS"] ?? "3000000")!, work: work)
}
// A 20-symbol paper group under load: decision latency and memory (LoadBenchmark.swift).
try LoadBenchmark.run(wick: wick, minutes: loadMinutes, work: work)

var selfUsage = rusage()
getrusage(RUSAGE_SELF.rawValue, &selfUsage)
line("bench process peak RSS", String(format: "%.1f MB", Double(selfUsage.ru_maxrss) / 1024))
if checksum == 0 { print("") }
