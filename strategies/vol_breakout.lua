-- vol_breakout — seed 001's volatility breakout on closed 5m candles.
--
-- Idea: when a candle closes above the highest high (below the lowest low) of the previous
-- `lookback_candles` candles, enter in the breakout's direction. The stop sits
-- `sl_range_mult` × ATR(lookback) away (never closer than `min_stop_distance`); the target is
-- either a fixed multiple of that risk (`tp_mode = "fixed"`, `fixed_tp_r`) or a trailing stop of
-- the same distance (`tp_mode = "trailing"`). Every intent carries its stop (mandatory).
--
-- Params (seed 001's StrategyConfig):
--   lookback_candles   20      candles in the breakout box and the ATR
--   tp_mode            "fixed" fixed | trailing
--   fixed_tp_r         1.8     take-profit in multiples of the stop distance (fixed mode)
--   sl_range_mult      1.0     stop distance in ATRs
--   min_stop_distance  0       absolute floor for the stop distance (price units)
--   risk_tag           "vol_breakout_5m_closed"  tag on every order
--
-- Source: seed 001 (VolatilityBreakoutStrategy, closed-candle-only evaluation).
local levels = require "levels"
local exits = require "exits"

return {
  name = "vol_breakout",
  timeframe = "5m",
  symbols = { "BTCUSDT" },
  warmup = function(p) return math.max(21, p.lookback_candles + 1) end,  -- the box, then a close
  params = {
    lookback_candles = { default = 20, min = 2, max = 500, step = 1 },
    tp_mode = { default = "fixed", choices = { "fixed", "trailing" } },
    fixed_tp_r = { default = 1.8, min = 0.1, max = 20 },
    sl_range_mult = { default = 1.0, min = 0.1, max = 20 },
    min_stop_distance = { default = 0, min = 0 },
    risk_tag = { default = "vol_breakout_5m_closed" },
  },

  init = function(ctx)
    local n = ctx.params.lookback_candles
    ctx.box = levels.window(n)
    ctx.atr = wick.atr(n)
  end,

  on_candle = function(ctx, c)
    local hi, lo = ctx.box:update(c)
    local atr = ctx.atr:update(c.high, c.low, c.close)
    if not hi or not atr or ctx:position(c.symbol) then return end
    local p = ctx.params
    local side
    if c.close > hi then side = "long" elseif c.close < lo then side = "short" else return end
    local distance = math.max(atr * p.sl_range_mult, p.min_stop_distance)
    if distance <= 0 then return end
    local sign = side == "long" and 1 or -1
    local stop = c.close - sign * distance
    local order = exits.plan{ style = p.tp_mode == "fixed" and "fixed_r" or "trailing", side = side,
                              entry = c.close, stop = stop, take_r = p.fixed_tp_r }
    local ok, why = ctx:enter{ symbol = c.symbol, side = side, stop = order.stop, take = order.take,
                               trail = order.trail, tag = p.risk_tag }
    if not ok then ctx:log("refused:", why) end
  end,
}
