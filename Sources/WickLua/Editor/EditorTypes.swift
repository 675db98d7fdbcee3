/// The LuaLS annotations of the strategy API: the text of `types/wick.lua`, which
/// `wick new strategy` writes beside the scripts so VS Code (sumneko.lua) and Neovim
/// (lua_ls) complete and type-check `ctx`, candles, intents and the `wick.*` indicators.
///
/// This is the one place to annotate a new part of the API. `EditorTypesTests` loads a script in
/// the real sandbox, lists what it can reach (every `ctx` field and method, every `wick.*`
/// constructor and the methods of what it returns, the candle's and the position's fields, the
/// fields each intent table accepts) and fails, naming the section below to extend, when
/// anything is exposed without an entry here or annotated without being exposed.
///
/// Conventions the test reads:
/// - `---@class wick.Context`, `wick.Candle`, `wick.Position`: one `---@field` per field;
///   `function Context:name(...)` per ctx method.
/// - an intent table is a class whose name ends in `Intent`, passed as the method's
///   `---@param` (`---@param intent wick.EnterIntent`): its `---@field`s are the keys the host
///   accepts.
/// - `function wick.name(...)` per constructor, with `---@return wick.Class` and a doc line
///   `--- Example: `wick.name(args)`` that the test evaluates to reach the object's methods;
///   a class's methods are its own `function Class:name` plus its parent's
///   (`---@class wick.SMA: wick.Indicator`).
public enum EditorTypes {
  public static let luaTypes = #"""
    ---@meta wick
    -- LuaLS annotations for Wick strategy scripts (written by `wick new strategy`; regenerate by
    -- deleting this file and running it again). Types only: nothing here runs.

    ------------------------------------------------------------------------------------------
    -- The strategy module table
    ------------------------------------------------------------------------------------------

    ---@class wick.ParamDeclaration
    ---@field default number|boolean|string|table value used when nothing overrides it
    ---@field min? number smallest allowed value (numbers only)
    ---@field max? number largest allowed value (numbers only)
    ---@field step? number grid step for `wick optimize` (numbers only)
    ---@field choices? string[] allowed values of a string param
    ---@field description? string shown by the dashboard and `wick optimize`

    ---@class wick.Strategy
    ---@field name? string defaults to the file name
    ---@field description? string
    ---@field version? string|number
    ---@field timeframe? string base timeframe such as "1m", "5m", "1h"
    ---@field symbols? string[] default symbols; the CLI or config may override them
    ---@field warmup? integer candles replayed before trading (and after a hot reload)
    ---@field params? table<string, wick.ParamDeclaration>
    ---@field init? fun(ctx: wick.Context) once per run, and after each reload
    ---@field on_candle? fun(ctx: wick.Context, c: wick.Candle) each closed candle
    ---@field on_bars? fun(ctx: wick.Context, t: integer, bars: table<string, wick.Candle>) all symbols' closed candles for open time t

    ------------------------------------------------------------------------------------------
    -- Candles and positions
    ------------------------------------------------------------------------------------------

    ---@class wick.Candle
    ---@field symbol string
    ---@field t integer open time, epoch milliseconds UTC
    ---@field open number
    ---@field high number
    ---@field low number
    ---@field close number
    ---@field volume number
    ---@field timeframe string the candle's timeframe ("5m", "1h"): scripts with several timeframes see each

    ---@class wick.Position
    ---@field symbol string
    ---@field side "long"|"short"
    ---@field qty number
    ---@field entry number average entry price
    ---@field stop? number
    ---@field take? number
    ---@field trail? number trailing stop distance
    ---@field opened_at integer epoch milliseconds UTC

    ------------------------------------------------------------------------------------------
    -- Intent tables (any other key is an error)
    ------------------------------------------------------------------------------------------

    ---@class wick.EnterIntent
    ---@field symbol? string required when the run trades more than one symbol
    ---@field side "long"|"short"
    ---@field stop? number stop price (mandatory when the risk config says so)
    ---@field take? number take-profit price
    ---@field trail? number trailing stop distance in price
    ---@field risk? number fraction of equity to risk, within the configured caps
    ---@field tag? string shown in the trade list
    ---@field limit? number rest at this price instead of entering at the next open
    ---@field post_only? boolean with `limit`: only add liquidity (refused if it would cross)
    ---@field expire? integer with `limit`: cancel after this many candles (default: good till cancelled)
    ---@field add? boolean add to the open position in the same direction (pyramiding)

    ---@class wick.ExitIntent
    ---@field symbol? string
    ---@field reason? string shown in the trade list
    ---@field fraction? number close this part of the position, 0 < fraction ≤ 1

    ---@class wick.RestingOrder
    ---@field symbol string
    ---@field side "long"|"short"
    ---@field qty number
    ---@field price number the limit price
    ---@field post_only boolean
    ---@field add boolean
    ---@field placed_at integer epoch milliseconds UTC
    ---@field candles_left? integer candles until it expires (nil: good till cancelled)

    ---@class wick.EnterPairIntent
    ---@field long string symbol bought
    ---@field short string symbol sold
    ---@field hedge number units of `short` per unit of `long` (> 0)
    ---@field entry_z? number
    ---@field stop_z? number
    ---@field spread_std? number
    ---@field risk? number
    ---@field tag? string

    ---@class wick.ExitPairIntent
    ---@field long string
    ---@field short string
    ---@field reason? string

    ------------------------------------------------------------------------------------------
    -- ctx
    ------------------------------------------------------------------------------------------

    ---@class wick.Context
    ---@field params table<string, any> read-only, validated against the declared ranges
    ---@field state table plain values the host persists across hot reloads and restarts
    ---@field symbols string[] the symbols of this run (read-only)
    ---@field [string] any scripts keep indicators and values in ctx
    local Context = {}

    --- Places an order intent; the host sizes it and may refuse it.
    ---@param intent wick.EnterIntent
    ---@return boolean accepted
    ---@return number|string qty_or_reason quantity when accepted, "code: detail" when refused
    function Context:enter(intent) end

    --- Closes the position of a symbol (a table `{ symbol, reason }` or the symbol itself).
    ---@param intent? wick.ExitIntent|string
    ---@return boolean closing true when there was a position to close
    function Context:exit(intent) end

    --- The open position of a symbol, or nil when flat.
    ---@param symbol? string
    ---@return wick.Position?
    function Context:position(symbol) end

    --- Account equity in quote currency.
    ---@return number
    function Context:equity() end

    --- Writes a log line (shown by the CLI, the report and the dashboard; bounded).
    ---@param ... any
    function Context:log(...) end

    --- The last `n` closed candles of a symbol, oldest first (n ≤ that timeframe's warmup).
    ---@param symbol? string
    ---@param n integer
    ---@param timeframe? string one of the script's timeframes (default: the base)
    ---@return wick.Candle[]
    function Context:history(symbol, n, timeframe) end

    --- Cancels the symbol's resting (limit) entry, if any.
    ---@param intent { symbol: string }|string
    ---@return boolean cancelled true when there was an order to cancel
    function Context:cancel(intent) end

    --- The resting (limit) orders of a symbol.
    ---@param symbol? string
    ---@return wick.RestingOrder[]
    function Context:orders(symbol) end

    --- Opens both legs of a pair at once.
    ---@param intent wick.EnterPairIntent
    ---@return boolean accepted
    ---@return number|string qty_or_reason
    function Context:enter_pair(intent) end

    --- Closes both legs of a pair.
    ---@param intent wick.ExitPairIntent
    ---@return boolean closing
    function Context:exit_pair(intent) end

    ------------------------------------------------------------------------------------------
    -- Indicators: create them in init, update them once per candle. Values are nil until warm.
    ------------------------------------------------------------------------------------------

    ---@class wick.Indicator
    local Indicator = {}

    ---@param x number
    ---@return number? value nil until warm
    function Indicator:update(x) end

    ---@return number? value the last value update returned
    function Indicator:value() end

    ---@class wick.SMA: wick.Indicator
    ---@class wick.EMA: wick.Indicator
    ---@class wick.StdDev: wick.Indicator
    ---@class wick.ZScore: wick.Indicator
    ---@class wick.Highest: wick.Indicator
    ---@class wick.Lowest: wick.Indicator
    ---@class wick.RSI: wick.Indicator

    ---@class wick.ATR: wick.Indicator
    local ATR = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? value
    function ATR:update(high, low, close) end

    ---@class wick.OLS: wick.Indicator
    local OLS = {}

    --- Feeds one observation of y = α + β·x; returns β (the hedge ratio).
    ---@param y number
    ---@param x number
    ---@return number? beta
    function OLS:update(y, x) end

    ---@return number? alpha
    function OLS:intercept() end

    ---@return number? std standard deviation of the window's residuals
    function OLS:residual_std() end

    ---@return number? z the latest residual in residual standard deviations
    function OLS:zscore() end

    ---@class wick
    wick = {}

    --- Simple moving average (TA-Lib SMA).
    --- Example: `wick.sma(20)`
    ---@param period integer
    ---@return wick.SMA
    function wick.sma(period) end

    --- Exponential moving average, α = 2/(period+1), seeded with the SMA (TA-Lib EMA).
    --- Example: `wick.ema(20)`
    ---@param period integer
    ---@return wick.EMA
    function wick.ema(period) end

    --- Population standard deviation (TA-Lib STDDEV, nbdev 1).
    --- Example: `wick.stddev(20)`
    ---@param period integer
    ---@return wick.StdDev
    function wick.stddev(period) end

    --- (x − mean) / stddev over the window including x; nil while the window is flat.
    --- Example: `wick.zscore(20)`
    ---@param period integer
    ---@return wick.ZScore
    function wick.zscore(period) end

    --- Highest of the last `period` values.
    --- Example: `wick.highest(20)`
    ---@param period integer
    ---@return wick.Highest
    function wick.highest(period) end

    --- Lowest of the last `period` values.
    --- Example: `wick.lowest(20)`
    ---@param period integer
    ---@return wick.Lowest
    function wick.lowest(period) end

    --- Average true range with Wilder's smoothing (TA-Lib ATR); update(high, low, close).
    --- Example: `wick.atr(14)`
    ---@param period integer
    ---@return wick.ATR
    function wick.atr(period) end

    --- Relative strength index with Wilder's smoothing (TA-Lib RSI).
    --- Example: `wick.rsi(14)`
    ---@param period integer
    ---@return wick.RSI
    function wick.rsi(period) end

    --- Rolling least squares y = α + β·x (a pair's hedge ratio); update(y, x).
    --- Example: `wick.ols(100)`
    ---@param period integer at least 2
    ---@return wick.OLS
    function wick.ols(period) end

    """#

  /// `.luarc.json` for the folder that holds `strategies/` and `types/`: Lua 5.4, the types
  /// above as a library, and the libraries the sandbox denies switched off, so completion never
  /// offers `io.open`.
  public static let luarc = #"""
    {
      "$schema": "https://raw.githubusercontent.com/LuaLS/vscode-lua/master/setting/schema.json",
      "runtime.version": "Lua 5.4",
      "runtime.builtin": {
        "io": "disable",
        "os": "disable",
        "debug": "disable",
        "package": "disable",
        "coroutine": "disable",
        "ffi": "disable",
        "jit": "disable"
      },
      "workspace.library": ["types"],
      "workspace.checkThirdParty": false,
      "diagnostics.globals": ["wick"]
    }

    """#
}
