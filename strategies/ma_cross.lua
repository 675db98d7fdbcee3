-- ma_cross — seed 004's moving-average strategy ("TGT QR Trading System").
--
-- Idea: a 60-period simple moving average of 1m closes (the seed's "1-hour MA on 1-minute
-- data"). Go long when the close is more than `threshold` above the MA, short when it is more
-- than `threshold` below; protect every entry with a `stop_pct` stop and a `take_pct` target.
--
-- Params:
--   period     MA length in candles (default 60)
--   threshold  distance from the MA that counts as a signal, as a fraction (default 0.001 = 0.1%)
--   stop_pct   stop distance from the entry reference, as a fraction (default 0.02 = 2%)
--   take_pct   take-profit distance, as a fraction (default 0.04 = 4%)
--   allow_short  trade the short side too (default true)
--   min_quote_volume  skip signals while the rolling quote volume (close × volume summed over
--              `volume_window` candles) is below this (default 500,000; 0 disables)
--   volume_window  candles in the rolling volume sum (default 1440 = 24h of 1m candles)
--   eval_every  evaluate only on candles that close on a multiple of this many minutes (seed
--              004 runs every 15 minutes; default 1 = every candle). Indicators still see every
--              candle, and the decision uses only the candle that just closed: no lookahead.
--              `[schedule] eval_every = "15m"` in wick.toml does the same for any script (and
--              trades exactly like this param on the default params); use one or the other.
--
-- Source: seed 004 (MA_PERIOD = 60, 0.1% threshold, STOP_LOSS_PCT = 0.02, TAKE_PROFIT_PCT = 0.04,
-- 500K+ USD volume filter, STRATEGY_INTERVAL_MINUTES = 15).
return {
  name = "ma_cross",
  timeframe = "1m",
  symbols = { "BTCUSDT" },
  -- The longest window the params ask for (the volume sum only when its filter is on), never
  -- under the 60 this script always had: a run starting, or a set_param raising a window,
  -- warms on this many candles instead of trading blind until the window fills.
  warmup = function(p)
    return math.max(60, p.period, p.min_quote_volume > 0 and p.volume_window or 0)
  end,
  params = {
    period = { default = 60, min = 5, max = 500, step = 5, description = "MA length in candles" },
    threshold = { default = 0.001, min = 0, max = 0.05, description = "signal distance from the MA" },
    stop_pct = { default = 0.02, min = 0.001, max = 0.2, description = "stop distance" },
    take_pct = { default = 0.04, min = 0.001, max = 0.5, description = "take-profit distance" },
    allow_short = { default = true, description = "also trade below the MA" },
    min_quote_volume = { default = 500000, min = 0, description = "rolling quote volume floor" },
    volume_window = { default = 1440, min = 1, max = 100000, step = 1, description = "candles in the volume sum" },
    eval_every = { default = 1, min = 1, max = 1440, step = 1, description = "minutes between evaluations" },
  },

  init = function(ctx)
    local p = ctx.params
    ctx.ma = wick.sma(p.period)
    ctx.quote_volume = wick.sma(p.volume_window)
    ctx.eval_ms = p.eval_every * 60000
    -- Copy the params used per candle into ctx: ctx.params is a read-only proxy, and every read
    -- through it costs a metatable lookup.
    ctx.up, ctx.down = 1 + p.threshold, 1 - p.threshold
    ctx.stop_pct, ctx.take_pct, ctx.allow_short = p.stop_pct, p.take_pct, p.allow_short
    ctx.min_volume = p.min_quote_volume / p.volume_window   -- floor for the mean quote volume
  end,

  on_candle = function(ctx, c)
    local close = c.close
    local ma = ctx.ma:update(close)
    local qv = ctx.quote_volume:update(close * c.volume)
    if not ma then return end
    if ctx.eval_ms > 60000 and (c.t + 60000) % ctx.eval_ms ~= 0 then return end
    if ctx.min_volume > 0 and (not qv or qv < ctx.min_volume) then return end
    if ctx:position(c.symbol) then return end
    if close > ma * ctx.up then
      ctx:enter{ symbol = c.symbol, side = "long", stop = close * (1 - ctx.stop_pct),
                 take = close * (1 + ctx.take_pct), tag = "ma_up" }
    elseif ctx.allow_short and close < ma * ctx.down then
      ctx:enter{ symbol = c.symbol, side = "short", stop = close * (1 + ctx.stop_pct),
                 take = close * (1 - ctx.take_pct), tag = "ma_down" }
    end
  end,
}
