/// A script whose params constrain each other: `fast < slow <= 2 * fast`, checked in `init`.
/// From the defaults (2, 3), fast = 5 alone and slow = 8 alone are both refused; together they
/// load.
public let linkedParamsScript = """
  return {
    name = "linked", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
    params = {
      fast = { default = 2, min = 1, max = 10 },
      slow = { default = 3, min = 2, max = 20 },
    },
    init = function(ctx)
      local p = ctx.params
      if p.fast >= p.slow or p.slow > 2 * p.fast then
        error("fast must be below slow and slow at most twice fast (fast " .. p.fast .. ", slow " .. p.slow .. ")")
      end
    end,
    on_candle = function(ctx, c)
      ctx.state.n = (ctx.state.n or 0) + 1
      local pos = ctx:position(c.symbol)
      if pos then
        if ctx.state.n % 2 == 0 then ctx:exit{ symbol = c.symbol, reason = "flip" } end
      elseif ctx.state.n % ctx.params.fast == 0 then
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9, take = c.close * 1.1 }
      end
    end,
  }
  """
