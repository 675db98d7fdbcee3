-- The candle tables the host fills per callback (wick_candle.c) and the history behind them:
-- every field read, tables kept across callbacks, written to, and iterated.
return {
  name = "candles", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 20,
  init = function(ctx) ctx.state.kept = {} end,
  on_candle = function(ctx, c)
    local s = c.open + c.high + c.low + c.close + c.volume + c.t
    for k, v in pairs(c) do s = s + (type(v) == "number" and v or #tostring(k)) end
    pcall(function() c.close = -1; c.extra = "x"; c.open = nil end)
    table.insert(ctx.state.kept, c)
    local h = ctx:history("BTCUSDT", 20)
    for i = 1, #h do s = s + h[i].close + (h[i].volume or 0) end
    for _, old in ipairs(ctx.state.kept) do s = s + (old.high or 0) end
    pcall(ctx.history, ctx, "BTCUSDT", -1); pcall(ctx.history, ctx, "NOPE", 5)
    pcall(ctx.history, ctx, "BTCUSDT", 2 ^ 53); pcall(ctx.history, ctx, "BTCUSDT", 0 / 0)
    ctx.state.sum = s
  end,
}
