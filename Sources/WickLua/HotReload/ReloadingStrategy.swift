import Foundation
import WickCore

/// Hot reload for a running strategy (paper, live, or a long backtest): between two candles it
/// checks the script, the plugins it required and the params file; a changed version is compiled
/// and validated in a fresh `lua_State`. If that fails, the running version keeps going and the
/// error is reported. If it succeeds: `init`, replay the last `warmup` candles with intents
/// suppressed, carry `ctx.state` over, and swap. A params-only change (`reload(params:)`, e.g.
/// from the dashboard) does the same without new code.
public final class ReloadingStrategy: Strategy {
  public private(set) var current: LuaStrategy
  /// Builds a fresh strategy from the files and the given param overrides.
  private let build:
    (_ overrides: [(name: String, value: ParamValue, source: String)]) throws -> LuaStrategy
  private var overrides: [(name: String, value: ParamValue, source: String)]
  private let paramsFile: String?
  /// The params file's values as last taken. A param the user changes in the file wins over an
  /// earlier override of it (the dashboard's `set_param`, or the recorded params a resumed run
  /// starts from, which name every param): the latest edit takes effect, wherever it was made.
  private var fileValues: [String: ParamValue] = [:]
  private let watcher: FileWatcher
  private let extraFiles: [String]
  /// Seconds of wall time between file checks (0 checks before every candle).
  public var checkInterval: TimeInterval
  private var lastCheck = Date.distantPast
  /// "reloaded …" or "reload failed: …", for the runner's log and incidents.
  public var onEvent: ((String) -> Void)?
  public private(set) var reloads = 0
  /// Called with a new version's warmup (in base candles) before it warms: a runner deepens the
  /// host's history from its candle cache, so that a version whose warmup grew with a param
  /// (`warmup = function(p) ... end`) replays its full length. Without it the replay has what
  /// the host kept (the warmup the run started with).
  public var deepenHistory: ((_ depth: Int) -> Void)?

  public var name: String { current.name }
  public var warmup: Int { current.warmup }
  public var wantsBars: Bool { current.wantsBars }
  public var timeframes: [Timeframe] { current.timeframes }
  public func warmup(timeframe: Int) -> Int { current.warmup(timeframe: timeframe) }

  /// - Parameters:
  ///   - paramsFile: watched too; its contents are read again by `build` on every reload.
  public init(
    overrides: [(name: String, value: ParamValue, source: String)] = [], paramsFile: String? = nil,
    checkInterval: TimeInterval = 1,
    build:
      @escaping (_ overrides: [(name: String, value: ParamValue, source: String)]) throws ->
      LuaStrategy
  ) throws {
    self.build = build
    self.overrides = overrides
    self.checkInterval = checkInterval
    current = try build(overrides)
    self.paramsFile = paramsFile
    fileValues = Self.values(of: paramsFile)
    extraFiles = paramsFile.map { [$0] } ?? []
    watcher = FileWatcher(paths: current.sourceFiles + extraFiles)
  }

  public func start(host: StrategyHost) throws { try current.start(host: host) }

  public func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws {
    reloadIfChanged(host: host)
    try current.onCandle(symbol: symbol, candle: candle, host: host)
  }

  public func onBars(time: Int64, bars: UnsafeBufferPointer<Candle>, host: StrategyHost) throws {
    reloadIfChanged(host: host)
    try current.onBars(time: time, bars: bars, host: host)
  }

  public func onCandle(symbol: Int, timeframe: Int, candle: Candle, host: StrategyHost) throws {
    try current.onCandle(symbol: symbol, timeframe: timeframe, candle: candle, host: host)
  }

  public func onBars(
    time: Int64, timeframe: Int, bars: UnsafeBufferPointer<Candle>, host: StrategyHost
  ) throws {
    try current.onBars(time: time, timeframe: timeframe, bars: bars, host: host)
  }

  /// Takes the watched files as they are now as seen: the host itself rewrote one (a scheduled
  /// params re-scan) and must not reload it twice.
  public func acceptFilesAsTheyAre() {
    watcher.watch(current.sourceFiles + extraFiles)
    fileValues = Self.values(of: paramsFile)
  }

  /// The params file's values by name (empty without a file or when it does not parse: the
  /// build reports that).
  static func values(of file: String?) -> [String: ParamValue] {
    guard let file, let loaded = try? ParamsFile.load(path: file) else { return [:] }
    return Dictionary(loaded.map { ($0.name, $0.value) }, uniquingKeysWith: { _, last in last })
  }

  /// Swaps in a new version if a watched file changed (checked at most every `checkInterval`).
  public func reloadIfChanged(host: StrategyHost) {
    let now = Date()
    guard now.timeIntervalSince(lastCheck) >= checkInterval else { return }
    lastCheck = now
    let changed = watcher.changes()
    guard !changed.isEmpty else { return }
    let saved = overrides
    let values =
      paramsFile.map { changed.contains($0) } == true ? Self.values(of: paramsFile) : fileValues
    let edited = Set(values.keys).union(fileValues.keys).filter { values[$0] != fileValues[$0] }
    overrides.removeAll { edited.contains($0.name) }
    let swapped = reload(
      host: host,
      reason: "changed: "
        + changed.map { URL(fileURLWithPath: $0).lastPathComponent }.joined(separator: ", "))
    if swapped { fileValues = values } else { overrides = saved }
  }

  /// New param values without new code (same validation as at start). Returns whether it swapped.
  @discardableResult
  public func reload(
    params: [(name: String, value: ParamValue, source: String)], host: StrategyHost
  ) -> Bool {
    let saved = overrides
    overrides = params
    let ok = reload(host: host, reason: "params changed")
    if !ok { overrides = saved }
    return ok
  }

  /// Builds, warms and swaps; on any failure the running version stays. Returns whether it swapped.
  @discardableResult
  public func reload(host: StrategyHost, reason: String) -> Bool {
    do {
      let fresh = try build(overrides)
      // The run's higher-timeframe series were set up for the declaration it started with.
      guard fresh.timeframes == current.timeframes else {
        throw WickError.invalidArgument(
          "the new version declares other timeframes: restart the run to change them")
      }
      deepenHistory?(fresh.warmup)
      let replay = ReplayHost(host)
      try fresh.start(host: replay)
      let replayed = try warm(fresh, host: replay)
      if let state = current.exportState() { fresh.importState(state) }
      current = fresh
      reloads += 1
      watcher.watch(fresh.sourceFiles + extraFiles)
      onEvent?(
        "reloaded \(fresh.name) (\(reason)); replayed \(replayed) candles, state carried over")
      return true
    } catch {
      watcher.watch(current.sourceFiles + extraFiles)  // don't retry the same broken version every candle
      onEvent?("reload failed, \(current.name) keeps running the previous version: \(error)")
      return false
    }
  }

  /// Replays the last `warmup` closed candles of every symbol and timeframe in the order a run
  /// delivers them (close time, then timeframe, then symbol), intents suppressed. Returns the
  /// base candles replayed per symbol (the most any symbol had).
  private func warm(_ s: LuaStrategy, host: ReplayHost) throws -> Int {
    let lengths = (s.timeframes.isEmpty ? [host.baseTimeframe ?? .oneMinute] : s.timeframes)
      .map(\.milliseconds)
    var events: [(close: Int64, timeframe: Int, symbol: Int, candle: Candle)] = []
    for k in lengths.indices where s.warmup(timeframe: k) > 0 {
      for i in host.symbols.indices {
        for c in host.history(symbol: i, count: s.warmup(timeframe: k), timeframe: k) {
          events.append((c.time + lengths[k], k, i, c))
        }
      }
    }
    events.sort { ($0.close, $0.timeframe, $0.symbol) < ($1.close, $1.timeframe, $1.symbol) }
    let replayed =
      host.symbols.indices.map { i in
        events.count { $0.timeframe == 0 && $0.symbol == i }
      }.max() ?? 0
    if s.wantsBars {
      var k = 0
      while k < events.count {
        let (close, timeframe) = (events[k].close, events[k].timeframe)
        var bars: [Candle] = []
        while k < events.count, events[k].close == close, events[k].timeframe == timeframe {
          bars.append(events[k].candle)
          k += 1
        }
        guard bars.count == host.symbols.count, let t = bars.first?.time else { continue }
        host.replayTime = t
        try bars.withUnsafeBufferPointer {
          if timeframe == 0 {
            try s.onBars(time: t, bars: $0, host: host)
          } else {
            try s.onBars(time: t, timeframe: timeframe, bars: $0, host: host)
          }
        }
      }
    } else {
      for e in events {
        host.replayTime = e.candle.time
        if e.timeframe == 0 {
          try s.onCandle(symbol: e.symbol, candle: e.candle, host: host)
        } else {
          try s.onCandle(symbol: e.symbol, timeframe: e.timeframe, candle: e.candle, host: host)
        }
      }
    }
    return replayed
  }
}

/// The host as a replayed strategy sees it: reads pass through, orders are refused.
final class ReplayHost: StrategyHost {
  let base: StrategyHost
  var replayTime: Int64?
  init(_ base: StrategyHost) { self.base = base }

  var symbols: [String] { base.symbols }
  var now: Int64 { replayTime ?? base.now }
  var positionsVersion: Int { base.positionsVersion }
  func position(symbol: Int) -> Position? { base.position(symbol: symbol) }
  func equity() -> Double { base.equity() }
  func history(symbol: Int, count: Int) -> [Candle] { base.history(symbol: symbol, count: count) }
  func history(symbol: Int, count: Int, timeframe: Int) -> [Candle] {
    base.history(symbol: symbol, count: count, timeframe: timeframe)
  }
  var baseTimeframe: Timeframe? { base.baseTimeframe }
  var candleExtras: CandleExtras? { base.candleExtras }
  func log(_ message: String) {}
  func enter(_ intent: OrderIntent) -> IntentOutcome {
    .refused(Refusal("replay", "intents are suppressed while a reload replays"))
  }
  func exit(symbol: Int, reason: String?) -> Bool { false }
  func exit(symbol: Int, fraction: Double, reason: String?) -> Bool { false }
  func cancel(symbol: Int) -> Bool { false }
  func orders(symbol: Int) -> [RestingOrder] { base.orders(symbol: symbol) }
  func enterPair(_ pair: PairIntent) -> IntentOutcome {
    .refused(Refusal("replay", "intents are suppressed while a reload replays"))
  }
  func exitPair(long: Int, short: Int, reason: String?) -> Bool { false }
}
