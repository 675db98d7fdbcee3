import CLua
import WickCore

/// Limits of one Lua state (see Sandbox.swift for the whole policy).
public struct LuaLimits: Sendable, Equatable {
  /// Bytes the state may allocate.
  public var memoryBytes: Int
  /// Wall-clock seconds one callback (on_candle, on_bars) may run.
  public var callbackSeconds: Double
  /// Wall-clock seconds loading the script and `init` may run.
  public var initSeconds: Double
  /// Seconds past its budget after which a callback that still has not stopped (stuck in C code
  /// no limit reaches) is given up: the host abandons the state and reports it (`onStuck`).
  public var hardDeadlineSeconds: Double
  /// Matching steps one `string.find/match/gmatch/gsub` call may take before it fails as stuck
  /// (catastrophic backtracking); 50 M take about 0.3 s.
  public var patternSteps: Int
  /// Seed of `math.random`; fixed so a run is reproducible.
  public var randomSeed: Int
  /// Script output caps (`ctx:log`, `print`): lines per callback and bytes per hour of candle
  /// time. A strategy must not be able to fill the disk a runner logs to.
  public var logLinesPerCallback: Int = 100
  public var logBytesPerHour: Int = 1_000_000

  public init(
    memoryBytes: Int = 64 << 20, callbackSeconds: Double = 1, initSeconds: Double = 10,
    hardDeadlineSeconds: Double = 2, patternSteps: Int = Int(WICK_PATTERN_STEPS),
    randomSeed: Int = 1
  ) {
    self.memoryBytes = memoryBytes
    self.callbackSeconds = callbackSeconds
    self.initSeconds = initSeconds
    self.hardDeadlineSeconds = hardDeadlineSeconds
    self.patternSteps = patternSteps
    self.randomSeed = randomSeed
  }

  /// The `[sandbox]` section's limits with the run's random seed.
  public init(sandbox: SandboxConfig, randomSeed: Int) {
    self.init(
      memoryBytes: sandbox.memoryMB << 20, callbackSeconds: sandbox.callbackSeconds,
      initSeconds: sandbox.initSeconds, hardDeadlineSeconds: sandbox.hardDeadlineSeconds,
      randomSeed: randomSeed)
    logLinesPerCallback = sandbox.logLinesPerCallback
    logBytesPerHour = sandbox.logBytesPerHour
  }

  /// Room above the cap for the error path once the memory limit has tripped.
  var memoryCeiling: Int { memoryBytes + max(1 << 20, memoryBytes / 16) }
}

/// Owns one `lua_State` and its C runtime block (allocator accounting, limits, dispatcher), and
/// registers it with the `Watchdog`. Not thread-safe: a state is confined to the thread (or
/// actor) that drives its strategy.
final class LuaState {
  let L: OpaquePointer
  let runtime: UnsafeMutablePointer<wick_runtime>
  let limits: LuaLimits

  init(limits: LuaLimits) throws {
    self.limits = limits
    guard let rt = wick_runtime_create(limits.memoryBytes, limits.memoryCeiling) else {
      throw WickError.script("could not allocate a Lua runtime")
    }
    runtime = rt
    runtime.pointee.pattern_steps = Int64(max(1, limits.patternSteps))
    runtime.pointee.poll = Watchdog.signalsAreDeferred ? 1 : 0
    runtime.pointee.indicator_update = indicatorUpdateThunk
    runtime.pointee.multi_indicator_update = multiIndicatorUpdateThunk
    guard let state = wick_newstate(rt) else {
      wick_runtime_destroy(rt)
      throw WickError.script("could not create a Lua state")
    }
    L = state
    setBudget(seconds: limits.initSeconds)
    Watchdog.shared.register(
      rt, hardDeadlineSeconds: limits.hardDeadlineSeconds, report: { _, _, _ in })
  }

  deinit {
    Watchdog.shared.unregister(runtime)
    lua_close(L)
    Watchdog.shared.retire(runtime)
  }

  /// The wall-clock budget of the callbacks that follow.
  func setBudget(seconds: Double) {
    wick_set_budget(runtime, Int64(Watchdog.nanoseconds(seconds)))
  }

  var memoryUsed: Int { runtime.pointee.used }

  /// The limit that stopped the last callback, if any (read after its pcall returned).
  var trip: LimitTrip? {
    let rt = runtime.pointee
    let abandoned = wick_abandoned(runtime) != 0
    guard rt.trip != WICK_TRIP_NONE || abandoned else { return nil }
    let whereText = withUnsafeBytes(of: runtime.pointee.where) { raw in
      String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
    }
    return LimitTrip(
      kind: abandoned ? .abandoned : LimitTrip.Kind(rawValue: rt.trip) ?? .time,
      stuckIn: rt.stuck_in.map { String(cString: $0) },
      location: whereText.isEmpty ? nil : whereText)
  }

  // MARK: Small typed helpers (none of them can raise a Lua error).

  var top: Int32 { lua_gettop(L) }
  func pop(_ n: Int32 = 1) { wick_pop(L, n) }
  func type(at i: Int32) -> Int32 { lua_type(L, i) }

  /// "nil", "string", "function", ...: what a value is, for error messages.
  func typeName(at i: Int32) -> String { String(cString: lua_typename(L, lua_type(L, i))) }

  func string(at i: Int32) -> String? {
    guard lua_type(L, i) == LUA_TSTRING, let p = wick_tostring(L, i) else { return nil }
    return String(cString: p)
  }

  func number(at i: Int32) -> Double? {
    let t = lua_type(L, i)
    guard t == LUA_TNUMBER else { return nil }
    return wick_tonumber(L, i)
  }

  func push(_ s: String) { _ = s.withCString { lua_pushstring(L, $0) } }
  func push(_ d: Double) { lua_pushnumber(L, d) }
  func push(_ b: Bool) { lua_pushboolean(L, b ? 1 : 0) }
  func pushNil() { lua_pushnil(L) }

  /// Pushes a number as a Lua integer when it is whole (so `for i = 1, n` and string.rep accept it).
  func pushNumber(_ d: Double) {
    if d == d.rounded(), abs(d) < 9.0e15 {
      lua_pushinteger(L, lua_Integer(d))
    } else {
      lua_pushnumber(L, d)
    }
  }

  /// Reads `t[key]` with raw access (no metamethods, so no Lua code can run) and leaves it on the stack.
  @discardableResult func rawField(_ table: Int32, _ key: String) -> Int32 {
    let abs = lua_absindex(L, table)
    push(key)
    return lua_rawget(L, abs)
  }

  /// Sets `t[key] = value on top` with raw access; pops the value.
  func setRawField(_ table: Int32, _ key: String) {
    let abs = lua_absindex(L, table)
    push(key)
    wick_insert(L, -2)
    lua_rawset(L, abs)
  }

  func pushValue(_ v: ParamValue) {
    switch v {
    case .number(let d): pushNumber(d)
    case .bool(let b): push(b)
    case .string(let s): push(s)
    case .list(let items):
      lua_createtable(L, Int32(items.count), 0)
      for (i, item) in items.enumerated() {
        pushValue(item)
        lua_rawseti(L, -2, lua_Integer(i + 1))
      }
    case .table(let kv):
      lua_createtable(L, 0, Int32(kv.count))
      for (k, item) in kv {
        pushValue(item)
        setRawField(-2, k)
      }
    }
  }

  /// Converts a plain Lua value (number, boolean, string, table of those) to a ParamValue.
  /// Tables with only keys 1...n become lists; others become tables sorted by key for determinism.
  func paramValue(at index: Int32, depth: Int = 0) -> ParamValue? {
    let i = lua_absindex(L, index)
    switch lua_type(L, i) {
    case LUA_TNUMBER: return .number(wick_tonumber(L, i))
    case LUA_TBOOLEAN: return .bool(lua_toboolean(L, i) != 0)
    case LUA_TSTRING: return string(at: i).map(ParamValue.string)
    case LUA_TTABLE:
      guard depth < 8 else { return nil }
      let n = Int(lua_rawlen(L, i))
      var keyed: [(String, ParamValue)] = []
      var count = 0
      lua_pushnil(L)
      while lua_next(L, i) != 0 {
        count += 1
        if lua_type(L, -2) == LUA_TSTRING, let k = string(at: -2) {
          guard let v = paramValue(at: -1, depth: depth + 1) else {
            pop(2)
            return nil
          }
          keyed.append((k, v))
        }
        pop()
      }
      if count == n && keyed.isEmpty {
        var items: [ParamValue] = []
        for k in 1...max(n, 1) where n > 0 {
          lua_rawgeti(L, i, lua_Integer(k))
          guard let v = paramValue(at: -1, depth: depth + 1) else {
            pop()
            return nil
          }
          items.append(v)
          pop()
        }
        return .list(items)
      }
      guard keyed.count == count else { return nil }  // mixed keys
      return .table(keyed.sorted { $0.0 < $1.0 })
    default: return nil
    }
  }

  /// Pushes "file:line:" of the Lua caller `level` frames up, for host error messages.
  func whereString(level: Int32 = 1) -> String {
    wick_where(L, level)
    defer { pop() }
    return string(at: -1) ?? ""
  }
}
