-- peak_reversal — seed 000's "shortest peak reversal": a short-biased highest-high breakdown
-- on 5m candles, traded with 3× leverage (set leverage in the risk config; 3× is the default).
--
-- Idea: a fresh peak is a candle whose high is the highest of the last `highest_high_lookback`
-- candles. When, within `confirm_candles` after such a peak, a candle closes below the peak
-- candle's low, the peak has failed: go short with the stop just above the peak's high
-- (`stop_buffer` as a fraction). Exits are structured, chosen by `exit_type`:
--   fixed_r   take profit at `take_r` × the stop distance
--   trailing  trailing stop at the initial stop distance
--   time      close after `max_hold_candles` candles
--   opposite  close when price makes a new highest high (the opposite signal)
--
-- Params: highest_high_lookback (48), exit_type, take_r (2), max_hold_candles (24),
--         confirm_candles (6), stop_buffer (0.001), allow_long (false: mirror setup on troughs)
--
-- Source: seed 000 (BacktestEngine sweeps highest_high_lookback and the exit type).
local exits = require "exits"

-- A setup (the latest peak, or trough when allow_long) fails when price closes beyond the
-- opposite side of its candle within confirm_candles: trade the failure, stop beyond the extreme.
local function try_setup(ctx, c, setup, side, trigger, extreme, tag)
  local p = ctx.params
  setup.age = setup.age + 1
  if setup.age > p.confirm_candles then return false end
  local sign = side == "short" and 1 or -1
  if (c.close - trigger) * sign >= 0 then return false end
  local stop = extreme * (1 + sign * p.stop_buffer)
  local order = exits.plan{ style = p.exit_type, side = side, entry = c.close, stop = stop, take_r = p.take_r }
  ctx:enter{ symbol = c.symbol, side = side, stop = order.stop, take = order.take, trail = order.trail, tag = tag }
  return true
end

return {
  name = "peak_reversal",
  timeframe = "5m",
  symbols = { "BTCUSDT" },
  warmup = function(p) return math.max(50, p.highest_high_lookback) end,
  params = {
    highest_high_lookback = { default = 48, min = 5, max = 1000, step = 1 },
    exit_type = { default = "fixed_r", choices = { "fixed_r", "trailing", "time", "opposite" } },
    take_r = { default = 2, min = 0.2, max = 20 },
    max_hold_candles = { default = 24, min = 1, max = 10000, step = 1 },
    confirm_candles = { default = 6, min = 1, max = 100, step = 1 },
    stop_buffer = { default = 0.001, min = 0, max = 0.1 },
    allow_long = { default = false },
  },

  init = function(ctx)
    local n = ctx.params.highest_high_lookback
    ctx.highest = wick.highest(n)
    ctx.lowest = wick.lowest(n)
    ctx.tf_ms = 5 * 60000
  end,

  on_candle = function(ctx, c)
    local p = ctx.params
    local prev_high, prev_low = ctx.highest:value(), ctx.lowest:value()
    local hh = ctx.highest:update(c.high)
    local ll = ctx.lowest:update(c.low)
    if not hh then return end
    -- Remember the latest peak (trough): the candle whose high (low) is the window's extreme.
    if c.high >= hh then ctx.peak = { high = c.high, low = c.low, age = 0 } end
    if c.low <= ll then ctx.trough = { high = c.high, low = c.low, age = 0 } end
    local new_high = prev_high and c.high > prev_high
    local new_low = prev_low and c.low < prev_low

    local pos = ctx:position(c.symbol)
    if pos then
      local against = (pos.side == "short" and new_high) or (pos.side == "long" and new_low)
      if exits.should_exit{ style = p.exit_type, position = pos, now = c.t, timeframe_ms = ctx.tf_ms,
                            max_candles = p.max_hold_candles, opposite = against } then
        ctx:exit{ symbol = c.symbol, reason = p.exit_type }
      end
      return
    end

    local peak, trough = ctx.peak, ctx.trough
    if peak and try_setup(ctx, c, peak, "short", peak.low, peak.high, "peak_breakdown") then
      ctx.peak = nil
    elseif p.allow_long and trough and try_setup(ctx, c, trough, "long", trough.high, trough.low, "trough_breakout") then
      ctx.trough = nil
    end
  end,
}
