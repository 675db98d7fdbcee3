/// A strategy that trades often: enters every `every` candles when flat, exits on the next even
/// count. `ctx.state.n` survives reloads and restarts. The paper, live and `wick run` tests all
/// drive it.
public let flipScript = """
  return {
    name = "flip", timeframe = "1m", symbols = { "BTCUSDT" }, warmup = 3,
    params = { every = { default = 3, min = 1, max = 50 } },
    on_candle = function(ctx, c)
      ctx.state.n = (ctx.state.n or 0) + 1
      local pos = ctx:position(c.symbol)
      if pos then
        if ctx.state.n % 2 == 0 then ctx:exit{ symbol = c.symbol, reason = "flip" } end
      elseif ctx.state.n % ctx.params.every == 0 then
        ctx:enter{ symbol = c.symbol, side = "long", stop = c.close * 0.9, take = c.close * 1.1 }
      end
    end,
  }
  """
