import CLua
import WickCore

/// `c.open_interest`, `c.long_short_ratio`, `c.liquidations_long`, `c.liquidations_short`:
/// written into the candle table only when the run has such series (`CandleExtras`), so a run
/// without them pays one nil check per candle. A value the run does not have is nil, never 0.
extension LuaStrategy {
  /// The setter runs in protected mode: a new key may grow the candle table, and an allocation
  /// error under the memory cap must not unwind through a Swift frame.
  static let extrasSetter = """
    return function(c, oi, ls, ll, lsh)
      -- NaN stands for "nothing stored" (NaN ~= NaN): the script sees nil
      c.open_interest = oi == oi and oi or nil
      c.long_short_ratio = ls == ls and ls or nil
      c.liquidations_long = ll == ll and ll or nil
      c.liquidations_short = lsh == lsh and lsh or nil
    end
    """

  /// Reads the run's series from the host once, and compiles the setter when there are any. A
  /// host that offers an object (even empty: a live runner fills it as data arrives) is asked
  /// on every candle; a backtest without stored series offers none.
  func installExtras(_ host: StrategyHost) throws {
    candleSpan = host.baseTimeframe?.milliseconds ?? 60_000
    extras = host.candleExtras
    guard extras != nil, extrasSetterRef == LUA_NOREF else { return }
    let (ok, message) = runChunk(
      text: Self.extrasSetter, chunkName: "=wick", results: 0, nested: false, keep: 1)
    guard ok else { throw WickError.script("internal: candle extras: \(message)") }
    extrasSetterRef = luaL_ref(state.L, wick_registryindex())
  }

  /// Writes the values known at the close of the candle opening at `time` into the table at
  /// `table` (an absolute index). False, with the error on the stack, when Lua failed.
  @inline(__always) func setExtras(_ extras: CandleExtras, table: Int32, symbol: Int, time: Int64)
    -> Bool
  {
    let L = state.L
    let v = extras.values(symbol: symbol, open: time, close: time + candleSpan)
    lua_rawgeti(L, wick_registryindex(), lua_Integer(extrasSetterRef))
    lua_pushvalue(L, table)
    lua_pushnumber(L, v.openInterest)
    lua_pushnumber(L, v.longShortRatio)
    lua_pushnumber(L, v.liquidationsLong)
    lua_pushnumber(L, v.liquidationsShort)
    return wick_pcall(L, 5, 0, Slot.handler) == LUA_OK
  }
}
