-- The sandbox's bounded string matcher (wick_pattern.h) over the patterns its differential test
-- uses, including malformed ones and back-references; every call is pcall'ed: errors are fine,
-- memory or UB reports are not.
local subjects = { "", "a", "abc", "key=value; k2=v2", "((a)(b))", "2024-01-01", "aaaaaaaaaaaaaaaaaaaaaaab",
  "  spaced  ", "\0bin\0ary\0", string.rep("ab", 200) }
local patterns = { "(%w+)=(%w+)", "()a()", "%b()", "%b)(", "%f[%w]%w+", "%f[%W]", "%f[^%z]",
  "(a*(.)%w(%s*))", "a-b", "%1", "(a)%1", "(.)%1", "(.)(.)%2%1", "%", "[a", "[^", "[]", "[^]", "(",
  ")", "%b", "%bx", "%f", "%fa", "%f[a", "%z", "^(%d+)%-(%d+)", "(%d%d%d%d)-(%d%d)-(%d%d)", ".-",
  ".-$", "^.-b", ".*", ".+", "(.*)(.*)", "(.-)(.-)$", "(.?)", "%b()%b()", "%f[%a]%a*%f[%A]",
  "[%]%-]", "(a+)+b", "((((((((((a))))))))))", string.rep("(", 40), string.rep("a*", 30) .. "b" }
-- One subject per candle, so that no callback comes near its time budget under ASan.
local function sweep(s)
  local n = 0
  do
    for _, p in ipairs(patterns) do
      n = n + select("#", pcall(string.find, s, p))
      n = n + select("#", pcall(string.match, s, p, 2))
      pcall(string.gsub, s, p, "<%0>")
      pcall(string.gsub, s, p, "%1", 2)
      pcall(string.gsub, s, p, { a = "A" })
      pcall(string.gsub, s, p, function(x) return x end)
      local ok, it = pcall(string.gmatch, s, p)
      if ok then for _ = 1, 5 do if not pcall(it) then break end end end
    end
  end
  return n
end
return {
  name = "patterns", timeframe = "1m", symbols = { "BTCUSDT" },
  init = function(ctx) ctx.state.n, ctx.state.i = 0, 0 end,
  on_candle = function(ctx, c)
    ctx.state.i = ctx.state.i % #subjects + 1
    ctx.state.n = ctx.state.n + sweep(subjects[ctx.state.i]) + #string.format("%.2f", c.close)
  end,
}
