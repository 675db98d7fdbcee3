-- The sandbox's deterministic table.sort (wick_sort.h): total orders, ties, invalid order
-- functions, comparators that error or mutate the table, proxies with metamethods.
local function run()
  local out = 0
  for _, n in ipairs({ 0, 1, 2, 3, 7, 64, 129, 1000 }) do
    local t = {}
    for i = 1, n do t[i] = (i * 7919) % 101 end
    table.sort(t); out = out + (t[1] or 0)
    table.sort(t, function(a, b) return a > b end)
    pcall(table.sort, t, function(a, b) return true end)          -- invalid order function
    pcall(table.sort, t, function(a, b) error("cmp") end)
    pcall(table.sort, t, function(a, b) t[#t + 1] = a; return a < b end)
    pcall(table.sort, t, function(a, b) t[1] = nil; return false end)
    local mixed = { 1, "a", 2, {} }
    pcall(table.sort, mixed)
    local backing = { 3, 1, 2 }
    pcall(table.sort, setmetatable({}, { __index = backing, __newindex = backing,
      __len = function() return #backing end }))
    pcall(table.sort, setmetatable({}, { __len = function() return 2 ^ 40 end }))
  end
  return out
end
return {
  name = "sort", timeframe = "1m", symbols = { "BTCUSDT" },
  init = function(ctx) ctx.state.out = run() end,
  on_candle = function(ctx, c) local t = { c.close, c.open, c.high, c.low }; table.sort(t) end,
}
