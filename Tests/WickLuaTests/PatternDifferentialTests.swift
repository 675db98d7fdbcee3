import CLua
import Testing

/// The sandbox's bounded pattern matcher against Lua's own string functions, run side by side in
/// a plain (unsandboxed) Lua state over fixed and generated patterns and subjects: results,
/// captures, positions and error messages must be identical.
@Suite struct PatternDifferentialTests {
  static let script = #"""
    -- Differential test: the sandbox's bounded matcher (`bounded`) against Lua's own string functions.
    local bounded = ...
    local stock = string
    -- Argument errors name the function as Lua finds it in package.loaded.
    package.loaded.bounded = bounded
    math.randomseed(20240101)

    local function show(ok, ...)
      local out = { ok and "ok" or "err" }
      if not ok then return "err|" .. tostring((...)):gsub("'bounded%.", "'string.") end
      for i = 1, select("#", ...) do
        local v = select(i, ...)
        out[#out + 1] = math.type(v) or type(v)
        out[#out + 1] = tostring(v)
      end
      return table.concat(out, "|")
    end

    local function collect(f, ...)
      local ok, it = pcall(f, ...)
      if not ok then return show(false, it) end
      local out = {}
      for _ = 1, 64 do
        local r = table.pack(pcall(it))
        if not r[1] then out[#out + 1] = show(false, r[2]) break end
        if r[2] == nil then break end
        out[#out + 1] = show(table.unpack(r, 1, r.n))
      end
      return table.concat(out, ";")
    end

    local replacements = {
      "<%0>", "%1", "[%2%1]", "%%", "x", "%", "%a", 7,
      { a = "A", hello = false, ["1"] = "one", x = 3 },
      function(...) return table.concat({ ... }, ",") end,
      function() return false end,
      function(a) return a == "a" and {} or nil end,
    }

    local mismatches, cases = {}, 0
    local function compare(what, a, b)
      cases = cases + 1
      if a ~= b and #mismatches < 20 then
        mismatches[#mismatches + 1] = what .. "\n  stock:   " .. a .. "\n  bounded: " .. b
      end
    end

    local function check(s, p)
      local q = string.format("%q %q", s, p)
      for _, init in ipairs({ 1, 2, 0, -1, -3, #s, #s + 1, #s + 2 }) do
        compare("find " .. q .. " " .. init, show(pcall(stock.find, s, p, init)), show(pcall(bounded.find, s, p, init)))
        compare("match " .. q .. " " .. init, show(pcall(stock.match, s, p, init)), show(pcall(bounded.match, s, p, init)))
      end
      compare("find plain " .. q, show(pcall(stock.find, s, p, 1, true)), show(pcall(bounded.find, s, p, 1, true)))
      compare("gmatch " .. q, collect(stock.gmatch, s, p), collect(bounded.gmatch, s, p))
      compare("gmatch init 3 " .. q, collect(stock.gmatch, s, p, 3), collect(bounded.gmatch, s, p, 3))
      for i, r in ipairs(replacements) do
        compare("gsub " .. q .. " repl " .. i, show(pcall(stock.gsub, s, p, r)), show(pcall(bounded.gsub, s, p, r)))
      end
      compare("gsub max 1 " .. q, show(pcall(stock.gsub, s, p, "<%0>", 1)), show(pcall(bounded.gsub, s, p, "<%0>", 1)))
    end

    local subjects = {
      "", "a", "aaa", "hello world", "  key = value  ", "(foo(bar))baz", "THE (quick) fox",
      "x=1, y=22, z=333", "a\0b\0c", "caf\195\169 \226\156\147", "[[nested]]", "a.b-c+d*e?f^g$h",
      "%d%%", string.rep("ab", 20), "line1\nline2\r\nline3\t", "2024-01-01T00:00:00Z", "f(a,b)",
      "1e10 -3.5 +4 0x1F", "THE END.", "\255\128\1", "abcabcabc", "((a)", "a)b(c",
    }
    local fixed = {
      "", "a", "^a", "a$", "^$", "$", "^", ".", "%a+", "%d+", "%s*", "[%w_]+", "[^%s]+",
      "(%w+)=(%w+)", "()a()", "%b()", "%b)(", "%f[%w]%w+", "%f[%W]", "%f[^%z]", "(a*(.)%w(%s*))", "a-b",
      "a?", "a?a", "[a-c]+", "[]]", "[^]]", "[%]]", "[a-]", "[-a]", "[a-%%]", "(h)(e)(l)(l)(o)",
      "%1", "(a)%1", "(.)%1", "(.)(.)%2%1", "%", "[a", "[^", "[]", "[^]", "(", ")", "%b", "%bx",
      "%f", "%fa", "%f[a", "%z", "^(%d+)%-(%d+)", "(%d%d%d%d)-(%d%d)-(%d%d)", ".-", ".-$", "^.-b",
      "x*$", "[%a-z]", "[a-%d]", "%g+", "%p", "%c", "%u%l*", "%x+", "%W+", "%S", "[^%a%d]",
      "(()(%w+)())", string.rep("(", 33) .. "x", "a+?", "()", "%0", "%9", "(a)%2", "(a%1)",
      "(()", "())", "%w-%.", "[%a%d]+%s*", "^%s*(.-)%s*$", "%a*$", "\0", "a\0", "[\0-\1]",
      "[\128-\255]+", "%.", "%%", "%%d", "%)", "[(]", "[.]", "%^a", "a%$", "^^a", "$a", "a$$",
      ".*", ".+", "(.*)(.*)", "(.-)(.-)$", "(.?)", "%b()%b()", "%f[%a]%a*%f[%A]", "[%]%-]",
      "[a-c-e]", "[c-a]", "[%w-]", "%d%d?%d?", "(%a)(%a)(%a)%3%2%1",
    }
    for _, s in ipairs(subjects) do
      for _, p in ipairs(fixed) do check(s, p) end
    end

    local tokens = { "a", "b", ".", "%a", "%d", "%s", "%w", "[ab]", "[^a]", "[a-c]", "*", "+", "-", "?",
      "(", ")", "()", "^", "$", "%b()", "%f[%a]", "%1", "%2", "%%", "x", "(", ")", "%", "[", "]" }
    local letters = { "a", "b", "(", ")", " ", "1", "x", "%", "ab", "ba", "" }
    for _ = 1, 1500 do
      local p, s = {}, {}
      for _ = 1, math.random(1, 6) do p[#p + 1] = tokens[math.random(#tokens)] end
      for _ = 1, math.random(0, 10) do s[#s + 1] = letters[math.random(#letters)] end
      check(table.concat(s), table.concat(p))
    end

    -- Method calls and numbers as subjects go through the same argument checks.
    compare("number subject", show(pcall(stock.find, 12345, "3")), show(pcall(bounded.find, 12345, "3")))
    compare("nil subject", show(pcall(stock.find, nil, "3")), show(pcall(bounded.find, nil, "3")))
    compare("bad repl", show(pcall(stock.gsub, "abc", "b", true)), show(pcall(bounded.gsub, "abc", "b", true)))
    compare("bad repl value", show(pcall(stock.gsub, "abc", "b", function() return {} end)),
      show(pcall(bounded.gsub, "abc", "b", function() return {} end)))

    return cases, table.concat(mismatches, "\n")
    """#

  @Test func boundedMatcherAgreesWithLua() throws {
    let (cases, mismatches) = try runDifferential(Self.script) {
      wick_push_bounded_patterns($0, nil)
    }
    #expect(cases > 100_000)
    #expect(mismatches.isEmpty, "\(mismatches)")
  }

  @Test func catastrophicPatternsStopAtTheStepBudget() throws {
    let L = try #require(luaL_newstate())
    defer { lua_close(L) }
    luaL_openlibs(L)
    wick_push_bounded_patterns(L, nil)
    lua_setglobal(L, "bounded")
    let probe = """
      local ok, err = pcall(bounded.find, string.rep("a", 5000), ".-.-.-.-.-.-.-.-b")
      return err
      """
    _ = probe.withCString { luaL_loadstring(L, $0) }
    #expect(lua_pcallk(L, 0, 1, 0, 0, nil) == LUA_OK)
    #expect(String(cString: wick_tostring(L, -1)).hasPrefix("stuck in string.find"))
  }
}
