-- levels — price-level helpers shared by breakout strategies.
--
--   local levels = require "levels"
--   local box = levels.window(20)          -- highest high / lowest low of the *previous* 20 candles
--   local hi, lo = box:update(c)           -- nil until warm; excludes the current candle
local M = {}

local Window = {}
Window.__index = Window

--- Tracks the highest high and lowest low of the previous `n` candles (the current candle is
--- added only after the values are read, so a breakout compares against the past only).
function M.window(n)
  return setmetatable({ hi = wick.highest(n), lo = wick.lowest(n), prev_hi = nil, prev_lo = nil }, Window)
end

function Window:update(c)
  local hi, lo = self.prev_hi, self.prev_lo
  self.prev_hi = self.hi:update(c.high)
  self.prev_lo = self.lo:update(c.low)
  return hi, lo
end

--- Price moved `fraction` beyond `level` in the direction of `side`.
function M.beyond(price, level, side, fraction)
  fraction = fraction or 0
  if side == "long" then return price > level * (1 + fraction) end
  return price < level * (1 - fraction)
end

return M
