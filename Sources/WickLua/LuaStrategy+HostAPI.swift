import CLua
import Foundation
import WickCore

/// The `ctx` methods, `print`, `require` and the indicator bindings. Each runs in a Swift frame
/// called by the C trampoline: it must not raise a Lua error itself. It returns the number of
/// results, or `fail(...)` (-1 with a message) and the trampoline raises after we return.
extension LuaStrategy {
  func call(_ function: HostFunction, _ L: OpaquePointer) -> Int32 {
    switch function {
    case .print: return log(L, firstArgument: 1)
    case .log: return log(L, firstArgument: 2)
    case .require: return requirePlugin(L)
    case .enter: return enter(L)
    case .exit: return exit(L)
    case .equity:
      guard let host else { return notInCallback(function) }
      lua_pushnumber(L, host.equity())
      return 1
    case .history: return history(L)
    case .enterPair: return enterPair(L)
    case .exitPair: return exitPair(L)
    case .cancel: return cancel(L)
    case .orders: return orders(L)
    case .sma, .ema, .stddev, .zscore, .highest, .lowest, .atr, .rsi, .ols:
      return newIndicator(function, L)
    case .indicatorUpdate:
      return fail("internal: indicator:update is served by its C closure (wick_indicator_update)")
    case .indicatorValue, .indicatorIntercept, .indicatorResidualStd, .indicatorZScore:
      return indicatorValue(L, function)
    case .macd, .bbands, .adx, .stoch, .stochrsi, .cci, .mfi, .obv, .wma, .dema, .tema, .kama,
      .roc, .willr, .natr, .keltner, .donchian, .vwap, .supertrend, .psar:
      return newMultiIndicator(function, L)
    case .multiIndicatorValue: return multiIndicatorValue(L)
    case .session: return session(L)
    case .swings: return newSwings(L)
    case .regime: return newRegime(L)
    case .featureUpdate: return featureUpdate(L)
    case .featureValue: return featureValue(L)
    }
  }

  /// Pushes "file:line: message" and returns -1 so the trampoline raises it.
  func fail(_ message: String) -> Int32 {
    state.push(state.whereString() + message)
    return -1
  }

  private func notInCallback(_ f: HostFunction) -> Int32 {
    fail("ctx:\(f.luaName) is only available inside init, on_candle and on_bars")
  }

  // MARK: Symbols

  /// Resolves a symbol argument (a string, or nil when the run has one symbol) to its index.
  func symbolIndex(_ v: FieldValue) -> Int? {
    if v.type <= 0 { return symbols.count == 1 ? 0 : nil }
    guard v.type == LUA_TSTRING, let p = v.string else { return nil }
    for i in symbolPointers.indices where symbolPointers[i] == UnsafePointer(p) { return i }
    return symbols.firstIndex(of: String(cString: p))
  }

  /// Resolves the symbol argument at stack index `index`.
  func symbolIndex(_ L: OpaquePointer, at index: Int32) -> Int? {
    symbolIndex(fieldValue(L, at: index))
  }

  private func unknownSymbol(_ given: FieldValue, function: String) -> Int32 {
    let name = given.text.map { "'\($0)'" } ?? "(missing)"
    return fail(
      "\(function): unknown symbol \(name); this run trades \(symbols.joined(separator: ", "))")
  }

  // MARK: ctx methods

  static let logLineLimit = 4096

  private func log(_ L: OpaquePointer, firstArgument: Int32) -> Int32 {
    if host is ReplayHost { return 0 }  // a reload's warmup replay already logged once
    // Over the callback's cap: dropped before any string is built.
    guard outputBudget.admitLine() else { return 0 }
    var parts: [String] = []
    let n = lua_gettop(L)
    if firstArgument <= n {
      for i in firstArgument...n {
        switch lua_type(L, i) {
        case LUA_TSTRING: parts.append(state.string(at: i) ?? "")
        case LUA_TNUMBER:
          let d = wick_tonumber(L, i)
          parts.append(lua_isinteger(L, i) != 0 ? String(wick_tointeger(L, i)) : formatNumber(d))
        case LUA_TBOOLEAN: parts.append(lua_toboolean(L, i) != 0 ? "true" : "false")
        case LUA_TNIL: parts.append("nil")
        default: parts.append(String(cString: lua_typename(L, lua_type(L, i))))
        }
      }
    }
    var line = parts.joined(separator: " ")
    // Kept lines live outside the Lua memory cap: bound each one.
    if line.utf8.count > Self.logLineLimit {
      line =
        String(decoding: line.utf8.prefix(Self.logLineLimit), as: UTF8.self)
        + "… (cut at \(Self.logLineLimit) bytes)"
    }
    let stamp = host.map { UTCTime.iso($0.now) + " " } ?? ""
    var notices: [String] = []
    let fits = outputBudget.admitBytes(line.utf8.count, now: host?.now ?? 0, notices: &notices)
    for notice in notices { emitLog(stamp + notice) }
    if fits { emitLog(stamp + line) }
    return 0
  }

  /// Keeps a line for the report (within the line and byte limits) and hands it to `onLog`.
  func emitLog(_ line: String) {
    let bytes = line.utf8.count
    if logs.count < logLimit, logBytes + bytes <= logByteLimit {
      logs.append(line)
      logBytes += bytes
    }
    onLog?(line)
  }

  /// After a callback: says how many lines its cap dropped. One compare when it logged nothing.
  @inline(__always) func endCallbackOutput(_ callback: @autoclosure () -> String, time: Int64?) {
    guard outputBudget.linesThisCallback != 0 else { return }
    if let notice = outputBudget.endCallback(callback()) {
      emitLog((time.map { UTCTime.iso($0) + " " } ?? "") + notice)
    }
  }

  /// `true, qty` for an accepted intent, `false, "code: detail"` for a refused one.
  private func pushOutcome(_ outcome: IntentOutcome) -> Int32 {
    switch outcome {
    case .accepted(let qty):
      lua_pushboolean(state.L, 1)
      lua_pushnumber(state.L, qty)
    case .refused(let r):
      lua_pushboolean(state.L, 0)
      state.push(r.description)
    }
    return 2
  }

  /// The `long` and `short` legs of a pair read by `readFields`, as symbol indices; nil after
  /// pushing the error (the caller returns -1).
  private func pairLegs(_ function: String) -> (long: Int, short: Int)? {
    var legs = (long: 0, short: 0)
    for key in [FieldKey.long, .short] {
      let v = field(key)
      guard v.type == LUA_TSTRING, let i = symbolIndex(v) else {
        _ = unknownSymbol(v, function: "\(function) '\(key.luaName)'")
        return nil
      }
      if key == .long { legs.long = i } else { legs.short = i }
    }
    return legs
  }

  private func enter(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:enter"
    guard let host else { return notInCallback(.enter) }
    guard lua_type(L, 2) == LUA_TTABLE else {
      return fail(
        "\(f) expects a table: ctx:enter{ symbol = c.symbol, side = \"long\", stop = ... }")
    }
    if let e = readFields(L, table: 2, allowed: FieldKey.enter, function: f) { return fail(e) }
    guard let symbol = symbolIndex(field(.symbol)) else {
      return unknownSymbol(field(.symbol), function: f)
    }
    guard let side = sideField() else { return fail("\(f): 'side' must be \"long\" or \"short\"") }
    let stop: Double?
    let take: Double?
    let trail: Double?
    let risk: Double?
    let limit: Double?
    let expire: Double?
    let postOnly: Bool
    let add: Bool
    do {
      stop = try numberField(.stop, f)
      take = try numberField(.take, f)
      trail = try numberField(.trail, f)
      risk = try numberField(.risk, f)
      limit = try numberField(.limit, f)
      expire = try numberField(.expire, f)
      postOnly = try boolField(.postOnly, f)
      add = try boolField(.add, f)
    } catch { return fail(error.detail) }
    if let trail, trail <= 0 {
      return fail("\(f): 'trail' must be a positive price distance")
    }
    if let limit, limit <= 0 {
      return fail("\(f): 'limit' must be a positive price")
    }
    if limit == nil, postOnly || expire != nil {
      return fail(
        "\(f): '\(postOnly ? "post_only" : "expire")' applies to limit orders only: add limit = price"
      )
    }
    if let expire, expire < 1 || expire != expire.rounded() || expire > 1_000_000 {
      return fail("\(f): 'expire' must be a whole number of candles from 1 to 1000000")
    }
    let intent = OrderIntent(
      symbol: symbol, side: side, stop: stop, take: take, trail: trail, risk: risk,
      tag: field(.tag).text, limit: limit, postOnly: postOnly, expire: expire.map { Int($0) },
      add: add)
    return pushOutcome(host.enter(intent))
  }

  private func cancel(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:cancel"
    guard let host else { return notInCallback(.cancel) }
    var given = fieldValue(L, at: 2)
    if given.type == LUA_TTABLE {
      if let e = readFields(L, table: 2, allowed: FieldKey.cancel, function: f) { return fail(e) }
      given = field(.symbol)
    }
    guard let symbol = symbolIndex(given) else { return unknownSymbol(given, function: f) }
    lua_pushboolean(L, host.cancel(symbol: symbol) ? 1 : 0)
    return 1
  }

  /// `ctx:orders(symbol)`: a list of `{symbol, side, qty, price, post_only, placed_at,
  /// candles_left?, add}` tables, one per resting limit entry (empty when none rests).
  private func orders(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:orders"
    guard let host else { return notInCallback(.orders) }
    guard let symbol = symbolIndex(L, at: 2) else {
      return unknownSymbol(fieldValue(L, at: 2), function: f)
    }
    let orders = host.orders(symbol: symbol)
    lua_createtable(L, Int32(orders.count), 0)
    for (i, o) in orders.enumerated() {
      lua_createtable(L, 0, 8)
      state.push(symbols[symbol])
      state.setRawField(-2, "symbol")
      state.push(o.side.rawValue)
      state.setRawField(-2, "side")
      lua_pushnumber(L, o.qty)
      state.setRawField(-2, "qty")
      lua_pushnumber(L, o.price)
      state.setRawField(-2, "price")
      lua_pushboolean(L, o.postOnly ? 1 : 0)
      state.setRawField(-2, "post_only")
      lua_pushboolean(L, o.add ? 1 : 0)
      state.setRawField(-2, "add")
      lua_pushinteger(L, lua_Integer(o.placedAt))
      state.setRawField(-2, "placed_at")
      if let left = o.candlesLeft {
        lua_pushinteger(L, lua_Integer(left))
        state.setRawField(-2, "candles_left")
      }
      lua_rawseti(L, -2, lua_Integer(i + 1))
    }
    return 1
  }

  private func exit(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:exit"
    guard let host else { return notInCallback(.exit) }
    var reason: String? = nil
    var fraction = 1.0
    var given = fieldValue(L, at: 2)
    if given.type == LUA_TTABLE {
      if let e = readFields(L, table: 2, allowed: FieldKey.exit, function: f) { return fail(e) }
      reason = field(.reason).text
      given = field(.symbol)
      do {
        if let v = try numberField(.fraction, f) {
          guard v > 0, v <= 1 else {
            return fail("\(f): 'fraction' must be in (0, 1]: the part of the position to close")
          }
          fraction = v
        }
      } catch { return fail(error.detail) }
    }
    guard let symbol = symbolIndex(given) else { return unknownSymbol(given, function: f) }
    let done =
      fraction < 1
      ? host.exit(symbol: symbol, fraction: fraction, reason: reason)
      : host.exit(symbol: symbol, reason: reason)
    lua_pushboolean(L, done ? 1 : 0)
    return 1
  }

  /// Pushes the Lua table describing `p`, reusing the previous one while the position is unchanged.
  /// Runs at a callback's base frame (from `syncPositions`), where the symbol names sit in their
  /// fixed slots.
  func pushPositionTable(_ p: Position, symbol: Int) {
    let L = state.L
    if cachedPositions[symbol] == p, positionRefs[symbol] != LUA_NOREF {
      lua_rawgeti(L, wick_registryindex(), lua_Integer(positionRefs[symbol]))
      return
    }
    lua_createtable(L, 0, 9)
    let table = state.top
    pushFieldKeys()
    let keys = state.top
    /// Sets `table[key]` to the value `push` leaves on the stack.
    func set(_ key: FieldKey, _ push: () -> Void) {
      lua_rawgeti(L, keys, lua_Integer(key.rawValue + 1))
      push()
      lua_rawset(L, table)
    }
    let sideName: FieldKey = p.side == .long ? .long : .short
    set(.side) { lua_rawgeti(L, keys, lua_Integer(sideName.rawValue + 1)) }
    set(.qty) { lua_pushnumber(L, p.qty) }
    set(.entry) { lua_pushnumber(L, p.entry) }
    if let stop = p.stop { set(.stop) { lua_pushnumber(L, stop) } }
    if let take = p.take { set(.take) { lua_pushnumber(L, take) } }
    if let trail = p.trail { set(.trail) { lua_pushnumber(L, trail) } }
    set(.openedAt) { lua_pushinteger(L, lua_Integer(p.openedAt)) }
    set(.symbol) { lua_pushvalue(L, Slot.firstSymbol + Int32(symbol)) }
    state.pop()
    if positionRefs[symbol] != LUA_NOREF {
      luaL_unref(L, wick_registryindex(), positionRefs[symbol])
    }
    lua_pushvalue(L, -1)
    positionRefs[symbol] = luaL_ref(L, wick_registryindex())
    cachedPositions[symbol] = p
  }

  private func history(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:history"
    guard let host else { return notInCallback(.history) }
    guard let symbol = symbolIndex(L, at: 2) else {
      return unknownSymbol(fieldValue(L, at: 2), function: f)
    }
    guard lua_type(L, 3) == LUA_TNUMBER else { return fail("\(f)(symbol, n): n must be a number") }
    let n = Int(wick_tointeger(L, 3))
    var k = 0
    var named = ""
    if lua_type(L, 4) > LUA_TNIL {  // neither nil nor absent
      let declared =
        manifest.timeframes.count > 1
        ? manifest.timeframes : [host.baseTimeframe ?? manifest.timeframe].compactMap { $0 }
      guard let text = state.string(at: 4), let tf = try? Timeframe(parsing: text),
        let index = declared.firstIndex(of: tf)
      else {
        return fail(
          "\(f)(symbol, n, timeframe): timeframe '\(state.string(at: 4) ?? "?")' is not one the strategy declares (\(declared.map(\.description).joined(separator: ", ")))"
        )
      }
      k = index
      named = " for \(tf)"
    }
    let limit = warmup(timeframe: k)
    guard n >= 1, n <= max(limit, 1) else {
      return fail("\(f): n = \(n) must be between 1 and the strategy's warmup\(named) (\(limit))")
    }
    let candles = host.history(symbol: symbol, count: n, timeframe: k)
    lua_createtable(L, Int32(candles.count), 0)
    for (i, c) in candles.enumerated() {
      lua_createtable(L, 0, 8)
      state.push(symbols[symbol])
      state.setRawField(-2, "symbol")
      setTimeframeField(state.top, timeframe: k)
      lua_pushinteger(L, lua_Integer(c.time))
      state.setRawField(-2, "t")
      for (key, value) in [
        ("open", c.open), ("high", c.high), ("low", c.low), ("close", c.close),
        ("volume", c.volume),
      ] {
        lua_pushnumber(L, value)
        state.setRawField(-2, key)
      }
      lua_rawseti(L, -2, lua_Integer(i + 1))
    }
    return 1
  }

  private func enterPair(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:enter_pair"
    guard let host else { return notInCallback(.enterPair) }
    guard lua_type(L, 2) == LUA_TTABLE else {
      return fail(
        "\(f) expects a table: ctx:enter_pair{ long = \"A\", short = \"B\", hedge = h, stop_z = 3.5 }"
      )
    }
    if let e = readFields(L, table: 2, allowed: FieldKey.enterPair, function: f) { return fail(e) }
    guard let legs = pairLegs(f) else { return -1 }
    guard legs.long != legs.short else {
      return fail("\(f): the long and short legs must be different symbols")
    }
    let hedge: Double?
    let entryZ: Double?
    let stopZ: Double?
    let spreadStd: Double?
    let risk: Double?
    do {
      hedge = try numberField(.hedge, f)
      entryZ = try numberField(.entryZ, f)
      stopZ = try numberField(.stopZ, f)
      spreadStd = try numberField(.spreadStd, f)
      risk = try numberField(.risk, f)
    } catch { return fail(error.detail) }
    guard let hedge, hedge > 0 else {
      return fail("\(f): 'hedge' must be a positive number")
    }
    let pair = PairIntent(
      long: legs.long, short: legs.short, hedge: hedge, entryZ: entryZ, stopZ: stopZ,
      spreadStd: spreadStd, risk: risk, tag: field(.tag).text)
    return pushOutcome(host.enterPair(pair))
  }

  private func exitPair(_ L: OpaquePointer) -> Int32 {
    let f = "ctx:exit_pair"
    guard let host else { return notInCallback(.exitPair) }
    guard lua_type(L, 2) == LUA_TTABLE else {
      return fail("\(f) expects a table: ctx:exit_pair{ long = \"A\", short = \"B\" }")
    }
    if let e = readFields(L, table: 2, allowed: FieldKey.exitPair, function: f) { return fail(e) }
    guard let legs = pairLegs(f) else { return -1 }
    lua_pushboolean(
      L, host.exitPair(long: legs.long, short: legs.short, reason: field(.reason).text) ? 1 : 0)
    return 1
  }

  // MARK: Indicators

  private func newIndicator(_ kind: HostFunction, _ L: OpaquePointer) -> Int32 {
    let name = "wick.\(kind.luaName)"
    guard lua_type(L, 1) == LUA_TNUMBER,
      lua_isinteger(L, 1) != 0 || wick_tonumber(L, 1) == wick_tonumber(L, 1).rounded()
    else {
      return fail("\(name)(period): period must be a whole number")
    }
    let period = Int(wick_tonumber(L, 1))
    let minimum = kind == .ols ? 2 : 1
    guard period >= minimum, period <= 1_000_000 else {
      return fail("\(name)(period): period \(period) must be between \(minimum) and 1000000")
    }
    guard indicators.count < 100_000 else {
      return fail("\(name): too many indicators (100000); create them once in init, not per candle")
    }
    // Indicator buffers live in Swift but count against the strategy's memory cap (two doubles a
    // slot covers the largest, highest/lowest). Refusing one trips the (sticky) memory limit.
    let bytes = (period + 1) * 16 + 256
    guard state.memoryUsed + bytes <= state.limits.memoryBytes else {
      state.runtime.pointee.memory_tripped = 1
      wick_trip(state.runtime, WICK_TRIP_MEMORY)
      return fail("\(name)(\(period)): memory limit exceeded")
    }
    state.runtime.pointee.used += bytes
    let indicator: StreamingIndicator
    switch kind {
    case .sma: indicator = SMA(period: period)
    case .ema: indicator = EMA(period: period)
    case .stddev: indicator = StdDev(period: period)
    case .zscore: indicator = ZScore(period: period)
    case .highest: indicator = RollingExtreme(period: period, kind: .highest)
    case .lowest: indicator = RollingExtreme(period: period, kind: .lowest)
    case .atr: indicator = ATR(period: period)
    case .rsi: indicator = RSI(period: period)
    default: indicator = RollingOLS(period: period)
    }
    // An indicator is a table of methods bound to its index: `ind:update(x)` is one table lookup
    // and a C call, with no metatable walk.
    let index = lua_Integer(indicators.count)
    indicators.append(indicator)
    let methods: [HostFunction] =
      kind == .ols ? HostFunction.indicatorMethods : [.indicatorUpdate, .indicatorValue]
    lua_createtable(L, 0, Int32(methods.count * 2))  // room: `ind:update` rarely collides
    let box = IndicatorBox(indicator)
    indicatorBoxes.append(box)
    for m in methods {
      if m == .indicatorUpdate {
        // The per-candle call goes straight to C and back, skipping the general dispatcher.
        wick_push_indicator_update(
          L, Unmanaged.passUnretained(box).toOpaque(), Int32(indicator.arity))
      } else {
        wick_push_bound_host_function(L, m.rawValue, index)
      }
      state.setRawField(-2, m.luaName)
    }
    return 1
  }

  @inline(__always) private func indicator(_ L: OpaquePointer) -> StreamingIndicator? {
    guard lua_type(L, 1) == LUA_TTABLE else { return nil }
    let i = Int(wick_bound_object(L))
    return i >= 0 && i < indicators.count ? indicators[i] : nil
  }

  /// `value()` for every indicator; `intercept()`, `residual_std()` and `zscore()` for `wick.ols`.
  private func indicatorValue(_ L: OpaquePointer, _ f: HostFunction) -> Int32 {
    guard let ind = indicator(L) else {
      return fail("indicator:\(f.luaName) must be called with ':' on an indicator")
    }
    let v: Double?
    if f == .indicatorValue {
      v = ind.value
    } else {
      guard let ols = ind as? RollingOLS else {
        return fail("indicator:\(f.luaName) exists on wick.ols only")
      }
      v =
        f == .indicatorIntercept
        ? ols.intercept : f == .indicatorResidualStd ? ols.residualStd : ols.zscore
    }
    if let v { lua_pushnumber(L, v) } else { lua_pushnil(L) }
    return 1
  }
}
