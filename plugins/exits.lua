-- exits — structured exits shared by strategies (seed 000's exit types, seed 001's tp_mode).
--
-- A strategy picks one exit style by name; this module turns it into the fields of ctx:enter
-- (take / trail) and into the per-candle checks the host cannot do itself (time stop,
-- opposite signal).
--
--   local exits = require "exits"
--   local order = exits.plan{ style = "fixed_r", side = "short", entry = c.close, stop = s, take_r = 2 }
--   ctx:enter{ symbol = c.symbol, side = "short", stop = order.stop, take = order.take, trail = order.trail }
--   ...
--   if exits.should_exit{ style = ..., position = pos, now = c.t, timeframe_ms = 300000,
--                         max_candles = 24, opposite = signal_against_us } then ctx:exit{ symbol = c.symbol } end
local M = {}

M.styles = { "fixed_r", "trailing", "time", "opposite" }

--- Entry fields for a style: fixed_r sets a take at `take_r` × the stop distance, trailing sets a
--- trail of the stop distance, time/opposite keep only the stop (they exit by signal).
function M.plan(o)
  local distance = math.abs(o.entry - o.stop)
  assert(distance > 0, "exits.plan: stop must differ from entry")
  local sign = o.side == "long" and 1 or -1
  local order = { stop = o.stop }
  if o.style == "fixed_r" then
    order.take = o.entry + sign * (o.take_r or 2) * distance
  elseif o.style == "trailing" then
    order.trail = distance
  end
  return order
end

--- True when a time stop or an opposite signal says the open position should go.
function M.should_exit(o)
  local pos = o.position
  if not pos then return false end
  if o.style == "time" then
    local held = (o.now - pos.opened_at) // o.timeframe_ms + 1
    return held >= (o.max_candles or 24)
  elseif o.style == "opposite" then
    return o.opposite == true
  end
  return false
end

return M
