import CLua
import WickCore

extension LuaStrategy {
  /// Builds `ctx` and the reusable candle table, then calls `init(ctx)`.
  public func start(host: StrategyHost) throws {
    let L = state.L
    symbols = host.symbols
    lua_settop(L, 0)
    guard lua_checkstack(L, Slot.firstSymbol + Int32(symbols.count) + 40) != 0 else {
      throw WickError.script(
        "\(manifest.path): too many symbols for one strategy (\(symbols.count))")
    }
    wick_push_traceback_handler(L)  // Slot.handler
    lua_pushnil(L)  // Slot.onCandle, set below
    guard pushContext() else {  // Slot.ctx
      throw failure(callback: "init", symbol: nil, time: nil)
    }
    // Slot.candle: 7 fields in twice as many slots, so few keys share a main position and the
    // script's c.close, c.symbol, ... rarely walk a collision chain.
    lua_createtable(L, 0, 16)
    makeTimeframeNames(base: host.baseTimeframe)
    setTimeframeField(Slot.candle, timeframe: 0)
    for key in ["symbol", "t", "open", "high", "low", "close", "volume"] { state.push(key) }
    symbolPointers = []
    for s in symbols {
      state.push(s)
      symbolPointers.append(UnsafePointer(wick_tostring(L, -1)))
    }
    wick_candle_free(candleSlots)
    // Slot.keyTime…keyVolume: the fields in `wick_candle_store`'s order.
    let candleKeys = (0..<6).map { UnsafePointer<CChar>?(wick_tostring(L, Slot.keyTime + $0)) }
    candleSlots = wick_candle_bind(L, Slot.candle, candleKeys)
    guard candleSlots != nil else { throw WickError.script("\(manifest.path): out of memory") }
    positionRefs = Array(repeating: LUA_NOREF, count: symbols.count)
    cachedPositions = Array(repeating: nil, count: symbols.count)
    lastCandleSymbol = -1
    installPosition()
    try installExtras(host)
    seenPositionsVersion = nil
    if manifest.hasOnBars { makeBarsTables() }
    updateWatchdogReport()
    if manifest.hasInit {
      state.setBudget(seconds: state.limits.initSeconds)
      wick_set_callback(state.runtime, WICK_CALLBACK_INIT, -1, 0)
      try callModuleFunction("init", arguments: 0, symbol: nil, time: nil, host: host)
    }
    state.setBudget(seconds: state.limits.callbackSeconds)
  }

  /// `ctx`: a plain writable table (scripts keep indicators and state in it) holding the host
  /// methods directly (one lookup per call, no metatable walk); `ctx.params` is read-only,
  /// `ctx.state` persists across reloads.
  /// Returns false (with the error on the stack) when the state is out of memory.
  private func pushContext() -> Bool {
    let L = state.L
    // Sized for the 11 host fields plus what scripts usually keep in ctx (indicators, previous
    // values): lookups of ctx.x then rarely walk a collision chain (Lua does not grow a table's
    // hash part before it is full, and a full one collides often).
    lua_createtable(L, 0, 64)
    guard pushParams() else { return false }
    state.setRawField(-2, "params")
    wick_newtable(L)
    state.setRawField(-2, "state")
    lua_rawgeti(L, wick_registryindex(), lua_Integer(readonlyRef))
    state.pushValue(.list(symbols.map(ParamValue.string)))
    state.push("symbols")
    guard wick_pcall(L, 2, 1, 0) == LUA_OK else { return false }
    state.setRawField(-2, "symbols")
    for f in HostFunction.contextMethods {
      wick_push_host_function(L, f.rawValue)
      state.setRawField(-2, f.luaName)
    }
    return true
  }

  /// Pushes the resolved params as a read-only table (`ctx.params`, the `warmup` function's
  /// argument). Returns false (with the error on the stack) when the state is out of memory.
  func pushParams() -> Bool {
    let L = state.L
    lua_rawgeti(L, wick_registryindex(), lua_Integer(readonlyRef))
    lua_createtable(L, 0, Int32(params.count))
    for p in params {
      state.pushValue(p.value)
      state.setRawField(-2, p.name)
    }
    state.push("params")
    return wick_pcall(L, 2, 1, 0) == LUA_OK  // only out of memory
  }

  /// The registry table behind `c.timeframe` (see `timeframeNamesRef`).
  private func makeTimeframeNames(base: Timeframe?) {
    let L = state.L
    let names =
      manifest.timeframes.count > 1
      ? manifest.timeframes : [base ?? manifest.timeframe].compactMap { $0 }
    lua_createtable(L, Int32(names.count), 1)
    state.push("timeframe")
    lua_rawseti(L, -2, 0)
    for (k, tf) in names.enumerated() {
      state.push(tf.description)
      lua_rawseti(L, -2, lua_Integer(k + 1))
    }
    if timeframeNamesRef != LUA_NOREF { luaL_unref(L, wick_registryindex(), timeframeNamesRef) }
    timeframeNamesRef = luaL_ref(L, wick_registryindex())
  }

  /// Sets `timeframe` of the candle table at `table` (an absolute index) to the name of
  /// timeframe `k`: once at start, and around each higher-timeframe delivery, never per base candle.
  func setTimeframeField(_ table: Int32, timeframe k: Int) {
    let L = state.L
    lua_rawgeti(L, wick_registryindex(), lua_Integer(timeframeNamesRef))
    lua_rawgeti(L, -1, 0)
    lua_rawgeti(L, -2, lua_Integer(k + 1))
    lua_rawset(L, table)
    state.pop()
  }

  private func makeBarsTables() {
    let L = state.L
    lua_createtable(L, 0, Int32(symbols.count))
    barTableRefs = []
    for i in symbols.indices {
      lua_createtable(L, 0, 8)
      setTimeframeField(state.top, timeframe: 0)
      lua_pushvalue(L, Slot.firstSymbol + Int32(i))
      lua_pushvalue(L, Slot.keySymbol)
      wick_insert(L, -2)
      lua_rawset(L, -3)
      lua_pushvalue(L, -1)
      barTableRefs.append(luaL_ref(L, wick_registryindex()))
      lua_pushvalue(L, Slot.firstSymbol + Int32(i))
      wick_insert(L, -2)
      lua_rawset(L, -3)
    }
    barsRef = luaL_ref(L, wick_registryindex())
  }

  /// `ctx.position`: a C closure (wick_position.c) over a table the host re-syncs only when
  /// positions change, so asking for a position is one lookup, not a trip into Swift.
  private func installPosition() {
    let L = state.L
    wick_newtable(L)
    for i in symbols.indices {
      lua_pushvalue(L, Slot.firstSymbol + Int32(i))
      lua_pushboolean(L, 0)
      lua_rawset(L, -3)
    }
    lua_pushvalue(L, -1)
    positionsRef = luaL_ref(L, wick_registryindex())
    if symbols.count == 1 { lua_pushvalue(L, Slot.firstSymbol) } else { lua_pushnil(L) }
    state.push(symbols.joined(separator: ", "))
    wick_push_position(L)
    state.setRawField(Slot.ctx, "position")
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, "on_candle")
    wick_remove(L, -2)
    wick_replace(L, Slot.onCandle)
  }

  /// Mirrors the engine's positions into the Lua table behind `ctx:position`: symbol → table
  /// (reused while unchanged) or false when flat.
  @inline(__always) func syncPositions(_ host: StrategyHost) {
    let version = host.positionsVersion
    guard version != seenPositionsVersion else { return }
    seenPositionsVersion = version
    let L = state.L
    lua_rawgeti(L, wick_registryindex(), lua_Integer(positionsRef))
    for i in symbols.indices {
      lua_pushvalue(L, Slot.firstSymbol + Int32(i))
      if let p = host.position(symbol: i) {
        pushPositionTable(p, symbol: i)
      } else {
        lua_pushboolean(L, 0)
      }
      lua_rawset(L, -3)
    }
    state.pop()
  }

  /// Writes the candle into the table at `table` with pre-interned keys and raw sets: no
  /// allocation, no hashing of C strings.
  @inline(__always) private func fill(_ table: Int32, _ c: Candle) {
    let L = state.L
    lua_pushvalue(L, Slot.keyTime)
    lua_pushinteger(L, lua_Integer(c.time))
    lua_rawset(L, table)
    // open, high, low, close, volume: consecutive key slots, consecutive tuple fields.
    withUnsafeBytes(of: (c.open, c.high, c.low, c.close, c.volume)) { raw in
      for (k, value) in raw.bindMemory(to: Double.self).enumerated() {
        lua_pushvalue(L, Slot.keyOpen + Int32(k))
        lua_pushnumber(L, value)
        lua_rawset(L, table)
      }
    }
  }

  public func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws {
    guard manifest.hasOnCandle else { return }
    if let abandoned { throw abandoned }
    let L = state.L
    if symbol != lastCandleSymbol {
      lua_pushvalue(L, Slot.keySymbol)
      lua_pushvalue(L, Slot.firstSymbol + Int32(symbol))
      lua_rawset(L, Slot.candle)
      lastCandleSymbol = symbol
    }
    syncPositions(host)
    if let extras {
      guard setExtras(extras, table: Slot.candle, symbol: symbol, time: candle.time) else {
        throw failure(callback: "on_candle", symbol: symbols[symbol], time: candle.time)
      }
    }
    self.host = host
    wick_set_callback(
      state.runtime, WICK_CALLBACK_ON_CANDLE, Int32(truncatingIfNeeded: symbol), candle.time)
    let status = wick_candle_deliver(
      state.runtime, L, candleSlots, Slot.handler, Slot.onCandle, Slot.ctx, Slot.candle,
      lua_Integer(candle.time), candle.open, candle.high, candle.low, candle.close, candle.volume)
    self.host = nil
    endCallbackOutput("on this candle", time: candle.time)
    if status != LUA_OK {
      throw failure(callback: "on_candle", symbol: symbols[symbol], time: candle.time)
    }
  }

  public func onBars(time: Int64, bars: UnsafeBufferPointer<Candle>, host: StrategyHost) throws {
    guard manifest.hasOnBars else { return }
    if let abandoned { throw abandoned }
    let L = state.L
    for i in 0..<bars.count {
      lua_rawgeti(L, wick_registryindex(), lua_Integer(barTableRefs[i]))
      fill(state.top, bars[i])
      if let extras, !setExtras(extras, table: state.top, symbol: i, time: bars[i].time) {
        throw failure(callback: "on_bars", symbol: nil, time: time)
      }
      state.pop()
    }
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, "on_bars")
    wick_remove(L, -2)
    lua_pushvalue(L, Slot.ctx)
    lua_pushinteger(L, lua_Integer(time))
    lua_rawgeti(L, wick_registryindex(), lua_Integer(barsRef))
    syncPositions(host)
    self.host = host
    wick_set_callback(state.runtime, WICK_CALLBACK_ON_BARS, -1, time)
    let status = wick_pcall(L, 3, 0, Slot.handler)
    self.host = nil
    endCallbackOutput("in on_bars", time: time)
    if status != LUA_OK { throw failure(callback: "on_bars", symbol: nil, time: time) }
  }

  public func onCandle(symbol: Int, timeframe: Int, candle: Candle, host: StrategyHost) throws {
    guard manifest.hasOnCandle else { return }
    setTimeframeField(Slot.candle, timeframe: timeframe)
    let baseSpan = candleSpan
    candleSpan = timeframes[timeframe].milliseconds
    defer {
      setTimeframeField(Slot.candle, timeframe: 0)
      candleSpan = baseSpan
    }
    try onCandle(symbol: symbol, candle: candle, host: host)
  }

  public func onBars(
    time: Int64, timeframe: Int, bars: UnsafeBufferPointer<Candle>, host: StrategyHost
  ) throws {
    guard manifest.hasOnBars else { return }
    func label(_ k: Int) {
      for ref in barTableRefs {
        lua_rawgeti(state.L, wick_registryindex(), lua_Integer(ref))
        setTimeframeField(state.top, timeframe: k)
        state.pop()
      }
    }
    label(timeframe)
    let baseSpan = candleSpan
    candleSpan = timeframes[timeframe].milliseconds
    defer {
      label(0)
      candleSpan = baseSpan
    }
    try onBars(time: time, bars: bars, host: host)
  }

  /// Calls `module[name](ctx, <arguments already pushed>)`.
  func callModuleFunction(
    _ name: String, arguments: Int32, symbol: String?, time: Int64?, host: StrategyHost
  ) throws {
    let L = state.L
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, name)
    wick_remove(L, -2)
    lua_pushvalue(L, Slot.ctx)
    syncPositions(host)
    self.host = host
    let status = wick_pcall(L, 1 + arguments, 0, Slot.handler)
    self.host = nil
    endCallbackOutput("in \(name)", time: time)
    if status != LUA_OK { throw failure(callback: name, symbol: symbol, time: time) }
  }

  /// Pops the error message and turns it into a `WickError.script` with context.
  func failure(callback: String, symbol: String?, time: Int64?) -> WickError {
    let raw = state.string(at: -1) ?? "error object is not a string"
    state.pop()
    let budget = callback == "init" ? state.limits.initSeconds : state.limits.callbackSeconds
    let trip = state.trip
    let error = WickError.script(
      ScriptFailure.message(
        raw, callback: callback, symbol: symbol, time: time, trip: trip, limits: state.limits,
        budget: budget))
    if trip != nil { stoppedByLimit = true }
    // The host gave up on this state: it is never run again.
    if trip?.kind == .abandoned { abandoned = error }
    return error
  }

  /// Bytes the Lua state holds now.
  public var memoryUsed: Int { state.memoryUsed }

  /// The current `ctx.state` as plain values (persisted by the host; carried across hot reloads).
  public func exportState() -> ParamValue? {
    state.rawField(Slot.ctx, "state")
    defer { state.pop() }
    return state.paramValue(at: -1)
  }

  /// Replaces `ctx.state` (after a hot reload or a restart). Call after `start`.
  public func importState(_ value: ParamValue) {
    state.pushValue(value)
    state.setRawField(Slot.ctx, "state")
  }
}
