-- sma_cross.lua with a second timeframe declared: the same 1m crossover, plus every closed 1h
-- candle (resampled from the 1m series) delivered to on_candle. `make bench` prints what the
-- second timeframe costs against sma_cross.lua in the same run.
return {
  name = "sma_cross_1h",
  timeframes = { "1m", "1h" },
  symbols = { "BTCUSDT" },
  warmup = 60,
  params = {
    fast = { default = 5, min = 2, max = 200 },
    slow = { default = 20, min = 3, max = 400 },
  },
  init = function(ctx)
    ctx.f = wick.sma(ctx.params.fast)
    ctx.s = wick.sma(ctx.params.slow)
    ctx.hours = 0
  end,
  on_candle = function(ctx, c)
    if c.timeframe == "1h" then
      ctx.hours = ctx.hours + 1
      return
    end
    local f, s = ctx.f:update(c.close), ctx.s:update(c.close)
    if not f or not s then return end
    local pf, ps = ctx.pf, ctx.ps
    ctx.pf, ctx.ps = f, s
    if not pf then return end
    local pos = ctx:position(c.symbol)
    if not pos and pf < ps and f > s then
      ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.5 }
    elseif pos and pf > ps and f < s then
      ctx:exit{ symbol = c.symbol }
    end
  end,
}
