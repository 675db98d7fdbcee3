import CLua
import Foundation
import WickCore

/// A strategy script running in its own sandboxed `lua_State`.
///
///     let s = try LuaStrategy(path: "strategies/ma_cross.lua", overrides: [], symbols: ["BTCUSDT"])
///     engine.run(strategy: s, ...)
///
/// The state is confined to the thread that calls `start`/`onCandle`. Loading validates the
/// module table and the params; any failure is a `WickError.script` naming file:line.
public final class LuaStrategy: Strategy {
  public private(set) var manifest: StrategyManifest
  /// Params after defaults and overrides, sorted by name.
  public private(set) var params: [(name: String, value: ParamValue)] = []
  /// Files this strategy read: the script and every plugin it required (for `--watch`).
  public internal(set) var sourceFiles: [String] = []
  /// The text of every plugin it required, by module name: what a runner records with the
  /// script version so a replay or a resume runs exactly this code.
  public internal(set) var pluginTexts: [String: String] = [:]
  /// Plugin texts to use instead of the files under `pluginRoots` (a recorded version).
  let recordedPlugins: [String: String]?
  /// Lines from `ctx:log` and `print` kept for the report: at most `logLimit` lines and
  /// `logByteLimit` bytes (what gets through the output caps is printed, not all kept).
  public internal(set) var logs: [String] = []
  public var logLimit = 10_000
  public var logByteLimit = 1 << 20
  var logBytes = 0
  /// The `[sandbox]` caps on script output (ScriptOutputBudget.swift).
  var outputBudget: ScriptOutputBudget
  /// Called for each log line as it happens (the CLI prints them).
  public var onLog: ((String) -> Void)?
  /// Called on the watchdog's thread when a callback is still running `hardDeadlineSeconds` past
  /// its budget, stuck in C code that no limit reaches. The host has given up on the Lua state:
  /// if the callback ever returns, it fails with the same message, and the state is never called
  /// again. A live runner halts the strategy here (its positions keep their exchange-side stops)
  /// and records an incident. When nil, the message goes to stderr and the process exits with
  /// status 1, so that a backtest ends with the error instead of hanging.
  public var onStuck: (@Sendable (String) -> Void)? {
    didSet { updateWatchdogReport() }
  }

  public var name: String { manifest.name }
  public var warmup: Int { manifest.warmup }
  public var wantsBars: Bool { manifest.hasOnBars && !manifest.hasOnCandle }
  public var timeframes: [Timeframe] { manifest.timeframes.count > 1 ? manifest.timeframes : [] }
  public func warmup(timeframe: Int) -> Int {
    manifest.warmups.indices.contains(timeframe) ? manifest.warmups[timeframe] : manifest.warmup
  }

  let state: LuaState
  let pluginRoots: [String]
  var envRef: Int32 = LUA_NOREF
  var readonlyRef: Int32 = LUA_NOREF
  var moduleRef: Int32 = LUA_NOREF
  /// The module's `warmup` function, when it declares one (see `resolveWarmup`).
  var warmupRef: Int32 = LUA_NOREF
  var loadedPluginsRef: Int32 = LUA_NOREF
  var indicators: [StreamingIndicator] = []
  /// Boxes whose addresses the indicators' C `update` closures hold; alive as long as the state.
  var indicatorBoxes: [IndicatorBox] = []
  /// The TA-Lib-family indicators (`wick.macd`, ...), whose C `update` closures hold these boxes.
  var multiIndicatorBoxes: [MultiIndicatorBox] = []
  /// `wick.swings` and `wick.regime` objects.
  var features: [FeatureBox] = []
  /// The `[sessions]` windows `wick.session` reads.
  let sessions: TradingSessions
  var symbols: [String] = []
  /// Address of each symbol's interned Lua string: `ctx:position(c.symbol)` resolves by pointer.
  var symbolPointers: [UnsafePointer<CChar>?] = []
  /// The interned `FieldKey` names (see HostFields.swift): their registry table and addresses.
  var internedRef: Int32 = LUA_NOREF
  var keyPointers: [UnsafeRawPointer?] = []
  /// The fields of the table argument the current host call read, by `FieldKey`.
  var fields: [FieldValue] = []
  var positionRefs: [Int32] = []
  var cachedPositions: [Position?] = []
  var barsRef: Int32 = LUA_NOREF
  var positionsRef: Int32 = LUA_NOREF
  var seenPositionsVersion: Int? = nil
  var barTableRefs: [Int32] = []
  /// `c.timeframe` values: a registry table of the timeframes' names, base at 1 (the run's
  /// timeframe for a single-timeframe strategy), with the key "timeframe" at 0.
  var timeframeNamesRef: Int32 = LUA_NOREF
  /// The engine's context while a callback runs; nil between callbacks.
  unowned(unsafe) var host: StrategyHost? = nil
  var lastCandleSymbol = -1
  /// Open interest, long/short ratio and liquidations of the run (nil when it has none: the
  /// candle path then never looks; see `LuaStrategy+Extras`).
  var extras: CandleExtras?
  /// The Lua function that writes them into a candle table, and the span of the candle being
  /// delivered (the base timeframe's, or a higher one's while it is delivered).
  var extrasSetterRef: Int32 = LUA_NOREF
  var candleSpan: Int64 = 60_000
  /// The candle table's value slots, written directly per candle (`wick_candle.h`).
  var candleSlots: OpaquePointer? = nil
  /// Set when the watchdog gave up on the state (see `onStuck`): every later call fails with it.
  var abandoned: WickError?
  /// Whether a callback failed because the sandbox stopped it (a time or memory limit, a stuck
  /// pattern, an abandoned state), known from the runtime's trip rather than from the message,
  /// which a script can imitate with its own `error`.
  public internal(set) var stoppedByLimit = false

  // Fixed stack slots during a run (set up by `start`): see `Slot`.
  enum Slot {
    static let handler: Int32 = 1
    static let onCandle: Int32 = 2
    static let ctx: Int32 = 3
    static let candle: Int32 = 4
    static let keySymbol: Int32 = 5
    static let keyTime: Int32 = 6
    static let keyOpen: Int32 = 7
    static let keyHigh: Int32 = 8
    static let keyLow: Int32 = 9
    static let keyClose: Int32 = 10
    static let keyVolume: Int32 = 11
    static let firstSymbol: Int32 = 12
  }

  /// Loads and validates a script.
  /// - Parameters:
  ///   - path: the script file (its name appears in every error message).
  ///   - source: the script text; read from `path` when nil.
  ///   - overrides: param values from the CLI, a params file or the dashboard.
  ///   - symbols: the symbols of the run; the script's `symbols` when nil.
  ///   - pluginRoots: folders searched by `require`.
  ///   - plugins: recorded plugin texts by module name; `require` takes these instead of files
  ///     (and refuses a module not among them).
  ///   - sessions: the `[sessions]` windows behind `wick.session`.
  deinit { wick_candle_free(candleSlots) }

  public init(
    path: String, source: String? = nil,
    overrides: [(name: String, value: ParamValue, source: String)] = [],
    symbols: [String]? = nil, limits: LuaLimits = LuaLimits(), pluginRoots: [String]? = nil,
    plugins: [String: String]? = nil, sessions: TradingSessions = .standard
  ) throws {
    recordedPlugins = plugins
    self.sessions = sessions
    outputBudget = ScriptOutputBudget(limits: limits)
    let text: String
    if let source {
      text = source
    } else {
      text = try ScriptText.read(path: path)
    }
    state = try LuaState(limits: limits)
    self.pluginRoots = pluginRoots ?? LuaStrategy.defaultPluginRoots(for: path)
    manifest = StrategyManifest(
      name: "", path: path, timeframe: nil, symbols: [], warmup: 0, params: [], hasInit: false,
      hasOnCandle: false,
      hasOnBars: false)
    sourceFiles = [path]
    state.runtime.pointee.dispatch = dispatchHostFunction
    state.runtime.pointee.host = Unmanaged.passUnretained(self).toOpaque()
    updateWatchdogReport()
    try installSandbox(seed: limits.randomSeed)
    internFieldKeys()
    let loaded = try loadModule(path: path, text: text)
    endCallbackOutput("while the script loaded", time: nil)
    manifest = loaded
    self.symbols = symbols ?? loaded.symbols
    if self.symbols.isEmpty {
      throw WickError.script(
        "\(path): no symbols: declare `symbols = { \"BTCUSDT\" }` or pass --symbol")
    }
    params = try resolveParams(loaded.params, overrides: overrides)
    try resolveWarmup()
    updateWatchdogReport()
  }

  /// Tells the watchdog how to report this strategy stuck (names the callback, symbol and candle).
  func updateWatchdogReport() {
    let (path, symbols, limits, handler) = (manifest.path, symbols, state.limits, onStuck)
    Watchdog.shared.update(state.runtime) { callback, symbol, time in
      let budget = Self.isCandleCallback(callback) ? limits.callbackSeconds : limits.initSeconds
      let message =
        "\(path): " + LimitTrip(kind: .abandoned).describe(limits, budget: budget) + "\n"
        + ScriptFailure.context(
          callback: Self.callbackName(callback),
          symbol: symbols.indices.contains(Int(symbol)) ? symbols[Int(symbol)] : nil,
          time: callback == WICK_CALLBACK_ON_CANDLE || callback == WICK_CALLBACK_ON_BARS
            ? time : nil)
      if let handler {
        handler(message)
      } else {
        FileHandle.standardError.write(Data("error: \(message)\n".utf8))
        exit(1)
      }
    }
  }

  static func isCandleCallback(_ callback: Int32) -> Bool {
    callback == WICK_CALLBACK_ON_CANDLE || callback == WICK_CALLBACK_ON_BARS
  }

  static func callbackName(_ callback: Int32) -> String {
    switch callback {
    case WICK_CALLBACK_INIT: return "init"
    case WICK_CALLBACK_ON_CANDLE: return "on_candle"
    case WICK_CALLBACK_ON_BARS: return "on_bars"
    default: return "loading the script"
    }
  }

  /// `plugins/` beside the working directory, then beside the script's folder.
  static func defaultPluginRoots(for path: String) -> [String] {
    let scriptDir = URL(fileURLWithPath: path).deletingLastPathComponent()
    return [
      FileManager.default.currentDirectoryPath + "/plugins",
      scriptDir.deletingLastPathComponent().appendingPathComponent("plugins").path,
      scriptDir.appendingPathComponent("plugins").path,
    ]
  }

  // MARK: Setup

  private func installSandbox(seed: Int) throws {
    let L = state.L
    let refs = try Sandbox.install(in: state, seed: seed) { s in
      lua_createtable(s.L, 0, Int32(HostFunction.indicatorConstructors.count))
      for f in HostFunction.indicatorConstructors {
        wick_push_host_function(s.L, f.rawValue)
        s.setRawField(-2, f.luaName)
      }
    }
    envRef = refs.env
    readonlyRef = refs.readonly
    wick_newtable(L)
    loadedPluginsRef = luaL_ref(L, wick_registryindex())
  }

  /// Compiles text-only with the sandbox environment and runs the chunk; leaves its results.
  /// `arguments` pushes the chunk's arguments and returns how many; `keep` results stay on the
  /// stack (pass `results: 0` with a `keep` to mean exactly that many).
  func runChunk(
    text: String, chunkName: String, results: Int32, nested: Bool, arguments: () -> Int32 = { 0 },
    keep: Int32 = 0
  ) -> (ok: Bool, message: String) {
    let L = state.L
    wick_push_traceback_handler(L)
    let handler = state.top
    let status = text.withCString { wick_loadtext(L, $0, text.utf8.count, chunkName) }
    guard status == LUA_OK else {
      let m = state.string(at: -1) ?? "syntax error"
      state.pop(2)
      return (false, m)
    }
    lua_rawgeti(L, wick_registryindex(), lua_Integer(envRef))
    _ = lua_setupvalue(L, -2, 1)
    let n = arguments()
    let wanted = keep > 0 ? keep : results
    let call = nested ? wick_pcall_nested(L, n, wanted, handler) : wick_pcall(L, n, wanted, handler)
    guard call == LUA_OK else {
      let m = state.string(at: -1) ?? "error"
      state.pop(2)
      return (false, m)
    }
    wick_remove(L, handler)
    return (true, "")
  }

  private func loadModule(path: String, text: String) throws -> StrategyManifest {
    let L = state.L
    let (ok, message) = runChunk(text: text, chunkName: "@" + path, results: 1, nested: false)
    guard ok else {
      throw WickError.script(
        ScriptFailure.message(
          message, callback: "loading the script", trip: state.trip, limits: state.limits,
          budget: state.limits.initSeconds))
    }
    guard lua_type(L, -1) == LUA_TTABLE else {
      let t = String(cString: lua_typename(L, lua_type(L, -1)))
      state.pop()
      throw WickError.script(
        "\(path): the script must return the strategy table (return { name = ..., on_candle = ... }), got \(t)"
      )
    }
    defer { moduleRef = luaL_ref(L, wick_registryindex()) }
    return try readManifest(path: path)
  }

  /// Reads and validates the module table on the stack top.
  private func readManifest(path: String) throws -> StrategyManifest {
    let L = state.L
    let module = state.top
    func fail(_ why: String) -> WickError { .script("\(path): \(why)") }
    // Unknown top-level fields are typos until proven otherwise (on_candel, warmpu, …).
    lua_pushnil(L)
    while lua_next(L, module) != 0 {
      state.pop()
      guard let key = state.string(at: -1), StrategyManifest.knownFields.contains(key) else {
        let k = state.string(at: -1) ?? "(non-string key)"
        state.pop()
        throw fail(
          "unknown field '\(k)' in the strategy table (expected: \(StrategyManifest.knownFields.sorted().joined(separator: ", ")))"
        )
      }
    }
    var m = StrategyManifest(
      name: URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent, path: path,
      timeframe: nil,
      symbols: [], warmup: 0, params: [], hasInit: false, hasOnCandle: false, hasOnBars: false)
    if state.rawField(module, "name") != LUA_TNIL {
      guard let n = state.string(at: -1), !n.isEmpty else {
        throw fail("'name' must be a non-empty string")
      }
      m.name = n
    }
    state.pop()
    if state.rawField(module, "timeframe") != LUA_TNIL {
      guard let tf = state.string(at: -1) else {
        throw fail("'timeframe' must be a string such as \"1m\"")
      }
      do { m.timeframe = try Timeframe(parsing: tf) } catch { throw fail("\(error)") }
    }
    state.pop()
    if state.rawField(module, "timeframes") != LUA_TNIL {
      m.timeframes = try readTimeframes(declaredBase: m.timeframe, fail: fail)
      m.timeframe = m.timeframes[0]
    }
    state.pop()
    if state.rawField(module, "symbols") != LUA_TNIL {
      guard case .list(let items)? = state.paramValue(at: -1) else {
        throw fail("'symbols' must be a list of strings such as { \"BTCUSDT\" }")
      }
      m.symbols = try items.map {
        guard case .string(let s) = $0 else { throw fail("'symbols' must be a list of strings") }
        return s
      }
    }
    state.pop()
    switch state.rawField(module, "warmup") {
    case LUA_TNIL: state.pop()
    case LUA_TFUNCTION:
      // Depends on the params, which are resolved later: `resolveWarmup` calls it.
      m.warmupFromParams = true
      warmupRef = luaL_ref(L, wick_registryindex())
    default:
      try readWarmup(into: &m, what: "'warmup'", fail: fail)
      state.pop()
    }
    if m.timeframes.count > 1, m.warmups.isEmpty {
      m.warmups = Array(repeating: m.warmup, count: m.timeframes.count)
    }
    for (field, flag) in [
      ("init", \StrategyManifest.hasInit), ("on_candle", \.hasOnCandle), ("on_bars", \.hasOnBars),
    ] {
      let t = state.rawField(module, field)
      if t != LUA_TNIL {
        guard t == LUA_TFUNCTION else { throw fail("'\(field)' must be a function") }
        m[keyPath: flag] = true
      }
      state.pop()
    }
    guard m.hasOnCandle || m.hasOnBars else {
      throw fail("the strategy table needs an on_candle(ctx, c) or on_bars(ctx, t, bars) function")
    }
    if state.rawField(module, "params") != LUA_TNIL {
      guard lua_type(L, -1) == LUA_TTABLE else {
        throw fail("'params' must be a table of declarations")
      }
      m.params = try readParamSpecs(at: state.top, path: path)
    }
    state.pop()
    return m
  }

  /// `timeframes = { "5m", "1h" }` on the stack top: the base first, each higher one a larger
  /// multiple of it whose candles open on base candles (what the resampler can build).
  private func readTimeframes(declaredBase: Timeframe?, fail: (String) -> WickError) throws
    -> [Timeframe]
  {
    guard case .list(let items)? = state.paramValue(at: -1), !items.isEmpty else {
      throw fail("'timeframes' must be a list of timeframes such as { \"5m\", \"1h\" }")
    }
    var out: [Timeframe] = []
    for (i, item) in items.enumerated() {
      guard case .string(let text) = item else {
        throw fail("'timeframes' entry \(i + 1) must be a string such as \"1h\"")
      }
      let tf: Timeframe
      do { tf = try Timeframe(parsing: text) } catch {
        throw fail("'timeframes' entry \(i + 1): \(error)")
      }
      if out.contains(tf) { throw fail("'timeframes' lists \(tf) twice") }
      if let base = out.first {
        do { _ = try Resampler(from: base, to: tf) } catch WickError.invalidArgument(let why) {
          throw fail("'timeframes' entry \(i + 1): \(why) (the first entry, \(base), is the base)")
        }
      }
      out.append(tf)
    }
    if let declaredBase, declaredBase != out[0] {
      throw fail(
        "'timeframe' (\(declaredBase)) and the base of 'timeframes' (\(out[0])) differ: declare one of them"
      )
    }
    return out
  }

  /// The warmup on the stack top (the field, or what a `warmup` function returned), into `m`:
  /// one whole number of candles, or `{ ["5m"] = 50, ["1h"] = 200 }` by declared timeframe.
  /// `what` names it in errors ("'warmup'", "'warmup' (the function's result)").
  private func readWarmup(
    into m: inout StrategyManifest, what: String, fail: (String) -> WickError
  ) throws {
    if lua_type(state.L, -1) == LUA_TTABLE {
      let timeframes = m.timeframes.isEmpty ? (m.timeframe.map { [$0] } ?? []) : m.timeframes
      let warmups = try readWarmups(timeframes: timeframes, what: what, fail: fail)
      m.warmup = warmups[0]
      m.warmups = m.timeframes.count < 2 ? [] : warmups
    } else {
      guard let w = state.number(at: -1), w >= 0, w == w.rounded(), w <= 1_000_000 else {
        let got = state.number(at: -1).map { "\($0)" } ?? state.typeName(at: -1)
        throw fail(
          "\(what) must be a whole number of candles between 0 and 1000000, or a table by timeframe such as { [\"5m\"] = 50, [\"1h\"] = 200 } (got \(got))"
        )
      }
      m.warmup = Int(w)
      m.warmups =
        m.timeframes.count > 1 ? Array(repeating: m.warmup, count: m.timeframes.count) : []
    }
  }

  /// `warmup = { ["5m"] = 50, ["1h"] = 200 }` on the stack top: candles per declared timeframe
  /// (a timeframe left out has none).
  private func readWarmups(timeframes: [Timeframe], what: String, fail: (String) -> WickError)
    throws -> [Int]
  {
    guard !timeframes.isEmpty else {
      throw fail("\(what) by timeframe needs 'timeframes' (or give one number)")
    }
    guard case .table(let entries)? = state.paramValue(at: -1) else {
      throw fail("\(what) must map timeframes to candle counts, such as { [\"1h\"] = 200 }")
    }
    var out = Array(repeating: 0, count: timeframes.count)
    for (key, value) in entries {
      guard let tf = try? Timeframe(parsing: key), let k = timeframes.firstIndex(of: tf) else {
        throw fail(
          "\(what) names timeframe '\(key)', which is not in 'timeframes' (\(timeframes.map(\.description).joined(separator: ", ")))"
        )
      }
      guard case .number(let w) = value, w >= 0, w == w.rounded(), w <= 1_000_000 else {
        throw fail("\(what) for \(key) must be a whole number of candles between 0 and 1000000")
      }
      out[k] = Int(w)
    }
    return out
  }

  /// `warmup = function(p) ... end`: called once the params are resolved, with the same
  /// read-only params table `ctx.params` is, in the sandbox under the load budget. Its result
  /// is checked like a literal `warmup`.
  func resolveWarmup() throws {
    guard manifest.warmupFromParams else { return }
    let L = state.L
    let path = manifest.path
    let what = "'warmup' (the function's result)"
    func fail(_ why: String) -> WickError { .script("\(path): \(why)") }
    wick_push_traceback_handler(L)
    let handler = state.top
    defer { lua_settop(L, handler - 1) }
    lua_rawgeti(L, wick_registryindex(), lua_Integer(warmupRef))
    guard pushParams() else { throw fail("out of memory building the params for 'warmup'") }
    state.setBudget(seconds: state.limits.initSeconds)
    wick_set_callback(state.runtime, WICK_CALLBACK_LOAD, -1, 0)
    let status = wick_pcall(L, 1, 1, handler)
    endCallbackOutput("in warmup", time: nil)
    guard status == LUA_OK else {
      throw WickError.script(
        ScriptFailure.message(
          state.string(at: -1) ?? "error object is not a string", callback: "warmup(params)",
          trip: state.trip, limits: state.limits, budget: state.limits.initSeconds))
    }
    var m = manifest
    try readWarmup(into: &m, what: what, fail: fail)
    manifest = m
  }

  private func readParamSpecs(at index: Int32, path: String) throws -> [ParamSpec] {
    let declared = state.paramValue(at: index)
    if case .list(let items)? = declared, items.isEmpty { return [] }  // `params = {}`: none
    guard case .table(let entries)? = declared else {
      throw WickError.script(
        "\(path): 'params' must map names to declarations like { default = 20, min = 5, max = 200 }"
      )
    }
    return try entries.map { name, decl in
      func fail(_ why: String) -> WickError { .script("\(path): param '\(name)': \(why)") }
      guard case .table(let fields) = decl else {
        throw fail("expected a declaration table { default = ... }")
      }
      var dict: [String: ParamValue] = [:]
      for (k, v) in fields { dict[k] = v }
      let allowed: Set<String> = ["default", "min", "max", "step", "choices", "description"]
      if let bad = dict.keys.sorted().first(where: { !allowed.contains($0) }) {
        throw fail("unknown key '\(bad)' (expected: default, min, max, step, choices, description)")
      }
      guard let def = dict["default"] else { throw fail("missing 'default'") }
      func num(_ k: String) throws -> Double? {
        guard let v = dict[k] else { return nil }
        guard case .number(let d) = v else { throw fail("'\(k)' must be a number") }
        return d
      }
      var description: String? = nil
      if case .string(let d)? = dict["description"] { description = d }
      let kind: ParamSpec.Kind
      switch def {
      case .number:
        kind = .number(min: try num("min"), max: try num("max"), step: try num("step"))
      case .bool: kind = .bool
      case .string:
        if let c = dict["choices"] {
          guard case .list(let items) = c else { throw fail("'choices' must be a list of strings") }
          kind = .choice(
            try items.map {
              guard case .string(let s) = $0 else {
                throw fail("'choices' must be a list of strings")
              }
              return s
            })
        } else {
          kind = .string
        }
      case .list, .table: kind = .list
      }
      if case .number = def {
      } else if dict["min"] != nil || dict["max"] != nil || dict["step"] != nil {
        throw fail("min/max/step apply to numeric params only")
      }
      var spec = ParamSpec(name: name, kind: kind, defaultValue: def, description: description)
      if case .table = def { spec.defaultValue = .list([def]) }
      spec.defaultValue = try spec.validate(spec.defaultValue, source: "\(path): default")
      return spec
    }
  }
}
