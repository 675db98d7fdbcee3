-- Long-only SMA crossover with a far stop that never fires: Wick's trade list must equal
-- backtesting.py's on the same candles (Benchmarks/compare/peer.py runs the same rules).
return {
  name = "sma_cross_compare",
  timeframe = "1m",
  symbols = { "BTCUSDT" },
  warmup = 60,
  params = {
    fast = { default = 5, min = 2, max = 200 },
    slow = { default = 20, min = 3, max = 400 },
  },
  init = function(ctx)
    ctx.f = wick.sma(ctx.params.fast)
    ctx.s = wick.sma(ctx.params.slow)
  end,
  on_candle = function(ctx, c)
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
