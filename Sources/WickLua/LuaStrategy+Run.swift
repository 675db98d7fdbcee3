import CLua
import WickCore

extension LuaStrategy {
  /// Builds `ctx` and the reusable candle table, then calls `init(ctx)`.
  public func start(host: StrategyHost) throws {
    let L = state.L
    symbols = host.symbols
    lua_settop(L, 0)
    guard lua_checkstack(L, Slot.firstSymbol + Int32(symbols.count) + 40) != 0 else {
      throw WickError.script("\(manifest.path): too many symbols for one strategy (\(symbols.count))")
    }
    wick_push_traceback_handler(L)  // Slot.handler
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, "on_candle")  // Slot.onCandle (may be nil)
    wick_remove(L, -2)
    pushContext()  // Slot.ctx
    lua_createtable(L, 0, 7)  // Slot.candle
    for key in ["symbol", "t", "open", "high", "low", "close", "volume"] { state.push(key) }
    symbolPointers = []
    for s in symbols {
      state.push(s)
      symbolPointers.append(UnsafePointer(wick_tostring(L, -1)))
    }
    positionRefs = Array(repeating: LUA_NOREF, count: symbols.count)
    cachedPositions = Array(repeating: nil, count: symbols.count)
    lastCandleSymbol = -1
    if manifest.hasOnBars { makeBarsTables() }
    guard manifest.hasInit else { return }
    try callModuleFunction("init", arguments: 0, symbol: nil, time: nil, host: host)
  }

  /// `ctx`: a plain writable table (scripts keep indicators and state in it) holding the host
  /// methods directly (one lookup per call, no metatable walk); `ctx.params` is read-only,
  /// `ctx.state` persists across reloads.
  private func pushContext() {
    let L = state.L
    lua_createtable(L, 0, 8)
    lua_rawgeti(L, wick_registryindex(), lua_Integer(readonlyRef))
    lua_createtable(L, 0, Int32(params.count))
    for p in params {
      state.pushValue(p.value)
      state.setRawField(-2, p.name)
    }
    state.push("params")
    _ = wick_pcall(L, 2, 1, 0)  // readonly(params, "params") cannot fail
    state.setRawField(-2, "params")
    wick_newtable(L)
    state.setRawField(-2, "state")
    lua_rawgeti(L, wick_registryindex(), lua_Integer(readonlyRef))
    state.pushValue(.list(symbols.map(ParamValue.string)))
    state.push("symbols")
    _ = wick_pcall(L, 2, 1, 0)  // readonly(list, "symbols") cannot fail
    state.setRawField(-2, "symbols")
    for f in HostFunction.contextMethods {
      wick_push_host_function(L, f.rawValue)
      state.setRawField(-2, f.luaName)
    }
  }

  private func makeBarsTables() {
    let L = state.L
    lua_createtable(L, 0, Int32(symbols.count))
    barTableRefs = []
    for i in symbols.indices {
      lua_createtable(L, 0, 7)
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

  /// Writes the candle into the table at `table` with pre-interned keys and raw sets: no
  /// allocation, no hashing of C strings.
  @inline(__always) private func fill(_ table: Int32, _ c: Candle) {
    let L = state.L
    lua_pushvalue(L, Slot.keyTime)
    lua_pushinteger(L, lua_Integer(c.time))
    lua_rawset(L, table)
    lua_pushvalue(L, Slot.keyOpen)
    lua_pushnumber(L, c.open)
    lua_rawset(L, table)
    lua_pushvalue(L, Slot.keyHigh)
    lua_pushnumber(L, c.high)
    lua_rawset(L, table)
    lua_pushvalue(L, Slot.keyLow)
    lua_pushnumber(L, c.low)
    lua_rawset(L, table)
    lua_pushvalue(L, Slot.keyClose)
    lua_pushnumber(L, c.close)
    lua_rawset(L, table)
    lua_pushvalue(L, Slot.keyVolume)
    lua_pushnumber(L, c.volume)
    lua_rawset(L, table)
  }

  public func onCandle(symbol: Int, candle: Candle, host: StrategyHost) throws {
    guard manifest.hasOnCandle else { return }
    let L = state.L
    if symbol != lastCandleSymbol {
      lua_pushvalue(L, Slot.keySymbol)
      lua_pushvalue(L, Slot.firstSymbol + Int32(symbol))
      lua_rawset(L, Slot.candle)
      lastCandleSymbol = symbol
    }
    fill(Slot.candle, candle)
    self.host = host
    lua_pushvalue(L, Slot.onCandle)
    lua_pushvalue(L, Slot.ctx)
    lua_pushvalue(L, Slot.candle)
    let status = wick_pcall(L, 2, 0, Slot.handler)
    self.host = nil
    if status != LUA_OK { throw failure(callback: "on_candle", symbol: symbols[symbol], time: candle.time) }
  }

  public func onBars(time: Int64, bars: UnsafeBufferPointer<Candle>, host: StrategyHost) throws {
    guard manifest.hasOnBars else { return }
    let L = state.L
    for i in 0..<bars.count {
      lua_rawgeti(L, wick_registryindex(), lua_Integer(barTableRefs[i]))
      fill(state.top, bars[i])
      state.pop()
    }
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, "on_bars")
    wick_remove(L, -2)
    lua_pushvalue(L, Slot.ctx)
    lua_pushinteger(L, lua_Integer(time))
    lua_rawgeti(L, wick_registryindex(), lua_Integer(barsRef))
    self.host = host
    let status = wick_pcall(L, 3, 0, Slot.handler)
    self.host = nil
    if status != LUA_OK { throw failure(callback: "on_bars", symbol: nil, time: time) }
  }

  /// Calls `module[name](ctx, <arguments already pushed>)`.
  func callModuleFunction(_ name: String, arguments: Int32, symbol: String?, time: Int64?, host: StrategyHost) throws {
    let L = state.L
    lua_rawgeti(L, wick_registryindex(), lua_Integer(moduleRef))
    state.rawField(-1, name)
    wick_remove(L, -2)
    lua_pushvalue(L, Slot.ctx)
    self.host = host
    currentCallback = name
    let status = wick_pcall(L, 1 + arguments, 0, Slot.handler)
    self.host = nil
    if status != LUA_OK { throw failure(callback: name, symbol: symbol, time: time) }
  }

  /// Pops the error message and turns it into a `WickError.script` with context.
  func failure(callback: String, symbol: String?, time: Int64?) -> WickError {
    let raw = state.string(at: -1) ?? "error object is not a string"
    state.pop()
    return .script(ScriptFailure.message(raw, callback: callback, symbol: symbol, time: time, limitHit: state.limitExceeded))
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
