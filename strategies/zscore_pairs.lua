-- zscore_pairs — seed 002's mean-reversion pairs trading on 4h candles.
--
-- Idea: for each configured pair (a, b), estimate the hedge ratio β with a rolling OLS of a's
-- close on b's close over `lookback` candles; the spread is the residual a − α − β·b and its
-- z-score is the latest residual over the window's residual standard deviation (every point
-- of the window measured with the same, current β). When |z| ≥ `entry_z`, buy the cheap leg and sell the rich one (both legs as one
-- unit, the short leg sized by the hedge ratio); exit when |z| ≤ `exit_z`; stop out when
-- |z| ≥ `stop_z`. One position per pair, at most `max_open` pairs at once, `risk` of equity
-- per trade sized to the distance between the entry z and the stop z in spread units.
--
-- Params: pairs (list of { a = "...", b = "..." }; `wick pairs scan --out pairs.json` writes a
--         valid params file), lookback 60, entry_z 1.0, exit_z 0.5, stop_z 3.5, max_open 5,
--         risk 0.02
--
-- Source: seed 002 (Live Mean Reversion Trading System).
return {
  name = "zscore_pairs",
  timeframe = "4h",
  symbols = { "BTCUSDT", "ETHUSDT" },
  warmup = function(p) return math.max(60, p.lookback) end,  -- the OLS window fills first
  params = {
    pairs = { default = { { a = "BTCUSDT", b = "ETHUSDT" } }, description = "pairs to trade" },
    lookback = { default = 60, min = 10, max = 1000, step = 1 },
    entry_z = { default = 1.0, min = 0.1, max = 10 },
    exit_z = { default = 0.5, min = 0, max = 10 },
    stop_z = { default = 3.5, min = 0.5, max = 20 },
    max_open = { default = 5, min = 1, max = 100, step = 1 },
    risk = { default = 0.02, min = 0.001, max = 0.05 },
  },

  init = function(ctx)
    local p = ctx.params
    assert(p.exit_z < p.entry_z and p.entry_z < p.stop_z, "need exit_z < entry_z < stop_z")
    ctx.known = {}
    for _, s in ipairs(ctx.symbols) do ctx.known[s] = true end
    ctx.books, ctx.by_tag = {}, {}
    for i, pair in ipairs(p.pairs) do
      assert(type(pair.a) == "string" and type(pair.b) == "string", "pairs[" .. i .. "] needs a and b")
      assert(ctx.known[pair.a] and ctx.known[pair.b],
             "pair " .. pair.a .. "/" .. pair.b .. " is not in this run's symbols (pass --symbols)")
      local book = { a = pair.a, b = pair.b, tag = pair.a .. "/" .. pair.b, ols = wick.ols(p.lookback) }
      ctx.books[i] = book
      ctx.by_tag[book.tag] = book
    end
  end,

  on_bars = function(ctx, t, bars)
    local p = ctx.params
    -- The legs of every pair in a position, by tag, in ctx.state: they survive a hot reload and
    -- a restart, and a pair the params no longer list (a re-scan dropped it) is still managed
    -- until it exits, without new entries. Tags are visited sorted: table order is not stable.
    ctx.state.held = ctx.state.held or {}
    local held = ctx.state.held
    local tags = {}
    for tag in pairs(held) do tags[#tags + 1] = tag end
    table.sort(tags)
    local open = 0
    for _, tag in ipairs(tags) do
      local legs = held[tag]
      if not ctx:position(legs.long) and not ctx:position(legs.short) then
        held[tag] = nil  -- closed by a stop or the risk layer
      else
        open = open + 1
        if not ctx.by_tag[tag] and ctx.known[legs.a] and ctx.known[legs.b] then
          local book = { a = legs.a, b = legs.b, tag = tag, ols = wick.ols(p.lookback), retiring = true }
          ctx.books[#ctx.books + 1] = book
          ctx.by_tag[tag] = book
        end
      end
    end
    for _, book in ipairs(ctx.books) do
      local a, b = bars[book.a].close, bars[book.b].close
      local beta = book.ols:update(a, b)
      if beta and beta > 0 then
        local z, sd = book.ols:zscore(), book.ols:residual_std()
        local legs = held[book.tag]
        if z and sd and sd > 0 then
          if legs then
            local az = math.abs(z)
            if az >= p.stop_z or az <= p.exit_z then
              ctx:exit_pair{ long = legs.long, short = legs.short, reason = az >= p.stop_z and "stop_z" or "exit_z" }
              held[book.tag] = nil
              open = open - 1
            end
          elseif not book.retiring and math.abs(z) >= p.entry_z and math.abs(z) < p.stop_z
                 and open < p.max_open then
            -- z > 0: a is rich → short a, long β·b. z < 0: a is cheap → long a, short β·b.
            -- spread_std is per unit of the long leg, which is what the host sizes.
            local order
            if z > 0 then
              order = { long = book.b, short = book.a, hedge = 1 / beta, spread_std = sd / beta }
            else
              order = { long = book.a, short = book.b, hedge = beta, spread_std = sd }
            end
            local ok = ctx:enter_pair{ long = order.long, short = order.short, hedge = order.hedge,
                                       entry_z = z, stop_z = z > 0 and p.stop_z or -p.stop_z,
                                       spread_std = order.spread_std, risk = p.risk, tag = book.tag }
            if ok then
              held[book.tag] = { long = order.long, short = order.short, a = book.a, b = book.b }
              open = open + 1
            end
          end
        end
      end
    end
  end,
}
