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
    ---@field warmup? integer|table<string, integer>|fun(p: table): integer|table<string, integer> candles replayed before trading (and after a hot reload); a function of the resolved params when a window follows a param
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
    ---@field open_interest? number open interest as of the close (`wick data fetch --open-interest`); nil where none is stored
    ---@field long_short_ratio? number accounts long / accounts short as of the close (`--long-short`); nil where none is stored
    ---@field liquidations_long? number long notional liquidated during the candle (`wick data record --liquidations`); nil where not recorded
    ---@field liquidations_short? number short notional liquidated during the candle; nil where not recorded

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

    ---@class wick.MACD: wick.Indicator
    local MACD = {}

    ---@param close number
    ---@return number? macd
    ---@return number? signal
    ---@return number? hist
    function MACD:update(close) end

    --- the last outputs of update again
    ---@return number? macd
    ---@return number? signal
    ---@return number? hist
    function MACD:value() end

    ---@class wick.BBands: wick.Indicator
    local BBands = {}

    ---@param close number
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function BBands:update(close) end

    --- the last outputs of update again
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function BBands:value() end

    ---@class wick.ADX: wick.Indicator
    local ADX = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? adx
    ---@return number? plus_di
    ---@return number? minus_di
    function ADX:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? adx
    ---@return number? plus_di
    ---@return number? minus_di
    function ADX:value() end

    ---@class wick.Stoch: wick.Indicator
    local Stoch = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? slowk
    ---@return number? slowd
    function Stoch:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? slowk
    ---@return number? slowd
    function Stoch:value() end

    ---@class wick.StochRSI: wick.Indicator
    local StochRSI = {}

    ---@param close number
    ---@return number? fastk
    ---@return number? fastd
    function StochRSI:update(close) end

    --- the last outputs of update again
    ---@return number? fastk
    ---@return number? fastd
    function StochRSI:value() end

    ---@class wick.CCI: wick.Indicator
    local CCI = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? cci
    function CCI:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? cci
    function CCI:value() end

    ---@class wick.MFI: wick.Indicator
    local MFI = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@param volume number
    ---@return number? mfi
    function MFI:update(high, low, close, volume) end

    --- the last outputs of update again
    ---@return number? mfi
    function MFI:value() end

    ---@class wick.OBV: wick.Indicator
    local OBV = {}

    ---@param close number
    ---@param volume number
    ---@return number? obv
    function OBV:update(close, volume) end

    --- the last outputs of update again
    ---@return number? obv
    function OBV:value() end

    ---@class wick.WMA: wick.Indicator
    local WMA = {}

    ---@param close number
    ---@return number? value
    function WMA:update(close) end

    --- the last outputs of update again
    ---@return number? value
    function WMA:value() end

    ---@class wick.DEMA: wick.Indicator
    local DEMA = {}

    ---@param close number
    ---@return number? value
    function DEMA:update(close) end

    --- the last outputs of update again
    ---@return number? value
    function DEMA:value() end

    ---@class wick.TEMA: wick.Indicator
    local TEMA = {}

    ---@param close number
    ---@return number? value
    function TEMA:update(close) end

    --- the last outputs of update again
    ---@return number? value
    function TEMA:value() end

    ---@class wick.KAMA: wick.Indicator
    local KAMA = {}

    ---@param close number
    ---@return number? value
    function KAMA:update(close) end

    --- the last outputs of update again
    ---@return number? value
    function KAMA:value() end

    ---@class wick.ROC: wick.Indicator
    local ROC = {}

    ---@param close number
    ---@return number? roc
    function ROC:update(close) end

    --- the last outputs of update again
    ---@return number? roc
    function ROC:value() end

    ---@class wick.WillR: wick.Indicator
    local WillR = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? willr
    function WillR:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? willr
    function WillR:value() end

    ---@class wick.NATR: wick.Indicator
    local NATR = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? natr
    function NATR:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? natr
    function NATR:value() end

    ---@class wick.Keltner: wick.Indicator
    local Keltner = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function Keltner:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function Keltner:value() end

    ---@class wick.Donchian: wick.Indicator
    local Donchian = {}

    ---@param high number
    ---@param low number
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function Donchian:update(high, low) end

    --- the last outputs of update again
    ---@return number? upper
    ---@return number? middle
    ---@return number? lower
    function Donchian:value() end

    ---@class wick.VWAP: wick.Indicator
    local VWAP = {}

    ---@param t integer epoch milliseconds UTC (c.t)
    ---@param high number
    ---@param low number
    ---@param close number
    ---@param volume number
    ---@return number? vwap
    function VWAP:update(t, high, low, close, volume) end

    --- the last outputs of update again
    ---@return number? vwap
    function VWAP:value() end

    ---@class wick.Supertrend: wick.Indicator
    local Supertrend = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return number? line
    ---@return integer? direction 1 up, −1 down
    function Supertrend:update(high, low, close) end

    --- the last outputs of update again
    ---@return number? line
    ---@return integer? direction
    function Supertrend:value() end

    ---@class wick.PSAR: wick.Indicator
    local PSAR = {}

    ---@param high number
    ---@param low number
    ---@return number? sar
    function PSAR:update(high, low) end

    --- the last outputs of update again
    ---@return number? sar
    function PSAR:value() end

    ---@class wick.Swings: wick.Indicator
    local Swings = {}

    ---@param t integer epoch milliseconds UTC (c.t)
    ---@param high number
    ---@param low number
    ---@return "high"|"low"|nil kind
    ---@return integer? time the pivot candle's open time
    ---@return number? price
    ---@return "HH"|"LH"|"HL"|"LL"|nil label nil for the first pivot of its kind
    function Swings:update(t, high, low) end

    --- the last pivot high's kind, time, price and label, then the last low's
    ---@return "high"|"low"|nil kind
    ---@return integer? time
    ---@return number? price
    ---@return "HH"|"LH"|"HL"|"LL"|nil label
    function Swings:value() end

    ---@class wick.Regime: wick.Indicator
    local Regime = {}

    ---@param high number
    ---@param low number
    ---@param close number
    ---@return "low"|"normal"|"high"|nil volatility
    ---@return "up"|"down"|"range"|nil trend
    ---@return number? atr_percentile
    ---@return number? adx
    ---@return number? slope
    function Regime:update(high, low, close) end

    --- the last outputs of update again
    ---@return "low"|"normal"|"high"|nil volatility
    ---@return "up"|"down"|"range"|nil trend
    ---@return number? atr_percentile
    ---@return number? adx
    ---@return number? slope
    function Regime:value() end

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

    --- MACD (TA-Lib MACD; defaults 12, 26, 9): update(close) → macd, signal, hist.
    --- Example: `wick.macd(12, 26, 9)`
    ---@param fastperiod? integer
    ---@param slowperiod? integer
    ---@param signalperiod? integer
    ---@return wick.MACD
    function wick.macd(fastperiod, slowperiod, signalperiod) end

    --- Bollinger bands (TA-Lib BBANDS, SMA; defaults 5, 2, 2): update(close) → upper, middle, lower.
    --- Example: `wick.bbands(20, 2)`
    ---@param timeperiod? integer
    ---@param nbdevup? number
    ---@param nbdevdn? number
    ---@return wick.BBands
    function wick.bbands(timeperiod, nbdevup, nbdevdn) end

    --- Average directional index with +DI and −DI (TA-Lib ADX, PLUS_DI, MINUS_DI; default 14).
    --- Example: `wick.adx(14)`
    ---@param timeperiod? integer
    ---@return wick.ADX
    function wick.adx(timeperiod) end

    --- Slow stochastic (TA-Lib STOCH, SMA smoothing; defaults 5, 3, 3).
    --- Example: `wick.stoch(14, 3, 3)`
    ---@param fastk_period? integer
    ---@param slowk_period? integer
    ---@param slowd_period? integer
    ---@return wick.Stoch
    function wick.stoch(fastk_period, slowk_period, slowd_period) end

    --- Stochastic RSI (TA-Lib STOCHRSI; defaults 14, 5, 3).
    --- Example: `wick.stochrsi(14, 5, 3)`
    ---@param timeperiod? integer
    ---@param fastk_period? integer
    ---@param fastd_period? integer
    ---@return wick.StochRSI
    function wick.stochrsi(timeperiod, fastk_period, fastd_period) end

    --- Commodity channel index (TA-Lib CCI; default 14).
    --- Example: `wick.cci(14)`
    ---@param timeperiod? integer
    ---@return wick.CCI
    function wick.cci(timeperiod) end

    --- Money flow index (TA-Lib MFI; default 14).
    --- Example: `wick.mfi(14)`
    ---@param timeperiod? integer
    ---@return wick.MFI
    function wick.mfi(timeperiod) end

    --- On-balance volume (TA-Lib OBV), warm at once.
    --- Example: `wick.obv()`
    ---@return wick.OBV
    function wick.obv() end

    --- Weighted moving average (TA-Lib WMA; default 30).
    --- Example: `wick.wma(30)`
    ---@param timeperiod? integer
    ---@return wick.WMA
    function wick.wma(timeperiod) end

    --- Double exponential moving average (TA-Lib DEMA; default 30).
    --- Example: `wick.dema(30)`
    ---@param timeperiod? integer
    ---@return wick.DEMA
    function wick.dema(timeperiod) end

    --- Triple exponential moving average (TA-Lib TEMA; default 30).
    --- Example: `wick.tema(30)`
    ---@param timeperiod? integer
    ---@return wick.TEMA
    function wick.tema(timeperiod) end

    --- Kaufman adaptive moving average (TA-Lib KAMA; default 30).
    --- Example: `wick.kama(30)`
    ---@param timeperiod? integer
    ---@return wick.KAMA
    function wick.kama(timeperiod) end

    --- Rate of change in percent (TA-Lib ROC; default 10).
    --- Example: `wick.roc(10)`
    ---@param timeperiod? integer
    ---@return wick.ROC
    function wick.roc(timeperiod) end

    --- Williams %R, −100 … 0 (TA-Lib WILLR; default 14).
    --- Example: `wick.willr(14)`
    ---@param timeperiod? integer
    ---@return wick.WillR
    function wick.willr(timeperiod) end

    --- Normalised ATR, ATR / close · 100 (TA-Lib NATR; default 14).
    --- Example: `wick.natr(14)`
    ---@param timeperiod? integer
    ---@return wick.NATR
    function wick.natr(timeperiod) end

    --- Keltner channel: EMA(n) ± m·ATR(n) (defaults 20, 2).
    --- Example: `wick.keltner(20, 2)`
    ---@param timeperiod? integer
    ---@param multiplier? number
    ---@return wick.Keltner
    function wick.keltner(timeperiod, multiplier) end

    --- Donchian channel over n candles including the current one (default 20).
    --- Example: `wick.donchian(20)`
    ---@param timeperiod? integer
    ---@return wick.Donchian
    function wick.donchian(timeperiod) end

    --- Volume-weighted average price anchored at 00:00 UTC; update(t, high, low, close, volume).
    --- Example: `wick.vwap()`
    ---@return wick.VWAP
    function wick.vwap() end

    --- Supertrend over ATR(n) bands (defaults 10, 3): update → line, direction (1 up, −1 down).
    --- Example: `wick.supertrend(10, 3)`
    ---@param timeperiod? integer
    ---@param multiplier? number
    ---@return wick.Supertrend
    function wick.supertrend(timeperiod, multiplier) end

    --- Parabolic SAR (TA-Lib SAR; defaults 0.02, 0.2).
    --- Example: `wick.psar(0.02, 0.2)`
    ---@param acceleration? number
    ---@param maximum? number
    ---@return wick.PSAR
    function wick.psar(acceleration, maximum) end

    --- Market-structure pivots confirmed n candles after them; update(t, high, low) → kind, time, price, label on the confirming candle.
    --- Example: `wick.swings(3)`
    ---@param n integer
    ---@return wick.Swings
    function wick.swings(n) end

    --- Volatility regime (ATR percentile) and trend regime (ADX and MA slope), streaming.
    --- Example: `wick.regime{ window = 100 }`
    ---@param options? { atr_period: integer?, window: integer?, low_percentile: number?, high_percentile: number?, adx_period: integer?, adx_threshold: number?, ma_period: integer?, slope_period: integer? }
    ---@return wick.Regime
    function wick.regime(options) end

    --- The trading session of an epoch-ms UTC time: "asia", "london", "new_york", the overlaps
    --- ("asia_london", "london_new_york", …) or "off"; windows from [sessions] in wick.toml.
    --- Example: `wick.session(0)`
    ---@param t integer epoch milliseconds UTC (c.t)
    ---@return string session
    function wick.session(t) end

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
