import CLua
import Foundation
import Testing

@testable import WickLua

/// The sandbox's table.sort is deterministic: stock Lua 5.4 reseeds its pivot from clock() and
/// time() once a partition comes out unbalanced, so the order of ties could change between runs.
@Suite struct SortTests {
  /// 5,000 records with five distinct keys; the first, middle and last hold the smallest key, so
  /// the first partition is badly unbalanced and stock Lua would pick later pivots at random.
  static let tiesScript = """
    local n = 5000
    local rows = {}
    for i = 1, n do rows[i] = { id = i, key = 1 + (i * 7919) % 5 } end
    rows[1].key, rows[(1 + n) // 2].key, rows[n].key = 0, 0, 0
    table.sort(rows, function(a, b) return a.key < b.key end)
    local ids, sum = {}, 0
    for i = 1, n do
      if i > 1 then assert(rows[i - 1].key <= rows[i].key) end
      sum = (sum * 31 + rows[i].id) % 2147483647
      if i <= 300 then ids[i] = rows[i].id end
    end
    print(sum .. ' ' .. table.concat(ids, ','))
    """

  /// Sorts in a fresh sandbox and returns what the script printed.
  func sortedTies() throws -> String {
    let (strategy, host) = try started(strategySource(onCandle: Self.tiesScript))
    try strategy.onCandle(symbol: 0, candle: candle(0), host: host)
    return try #require(strategy.logs.last)
  }

  /// Spends CPU time, so clock() (and with luck time()) differ between the two sorts.
  func busyWork(seconds: Double) {
    let start = Date()
    var x = 1.0
    while Date().timeIntervalSince(start) < seconds {
      x = (x * 1.000001).truncatingRemainder(dividingBy: 7)
    }
    #expect(x > 0)
  }

  @Test func tiesComeOutInTheSameOrderEveryRun() throws {
    let first = try sortedTies()
    busyWork(seconds: 1.1)
    let second = try sortedTies()
    busyWork(seconds: 0.3)
    let third = try sortedTies()
    #expect(first == second)
    #expect(first == third)
  }

  /// Stock table.sort and the sandbox's, side by side in a plain Lua state. Up to 128 elements
  /// stock Lua never picks a random pivot, so the two must agree on everything: the permutation
  /// (ties included), comparator calls' effects, errors. Beyond that they must agree on the
  /// sorted result wherever the order is total.
  static let differentialScript = #"""
    local bounded = ...
    package.loaded.wick = { sort = bounded }  -- so argument errors can name it
    local stock = table.sort
    math.randomseed(20240607)
    local mismatches, cases = {}, 0
    local function compare(what, a, b)
      cases = cases + 1
      if a ~= b and #mismatches < 20 then
        mismatches[#mismatches + 1] = what .. "\n  stock:   " .. a .. "\n  bounded: " .. b
      end
    end
    local function show(t, ok, err)
      if not ok then return "err|" .. tostring(err):gsub("'wick%.sort'", "'table.sort'") end
      local out = {}
      for i = 1, #t do
        local v = t[i]
        out[i] = type(v) == "table" and ("#" .. tostring(v.id)) or (math.type(v) or type(v)) .. ":" .. tostring(v)
      end
      return table.concat(out, ",")
    end
    local function both(what, make, cmp)
      local a, b = make(), make()
      compare(what, show(a, pcall(stock, a, cmp)), show(b, pcall(bounded, b, cmp)))
    end

    local meta = { __lt = function(x, y) return x.v < y.v end }
    local orders = {
      { "default", nil },
      { "greater", function(x, y) return x > y end },
      { "by key", function(x, y) return x.k < y.k end },
      { "by key desc", function(x, y) return x.k > y.k end },
      { "non-strict <=", function(x, y) return x <= y end },
      { "always", function() return true end },
      { "never", function() return false end },
      { "inconsistent", function(x, y) return (x + 2 * y) % 3 == 0 end },
      { "error", function(x, y) if x == 3 then error("comparator says no") end return x < y end },
    }
    local function numbers(n, range) local t = {} for i = 1, n do t[i] = math.random(range) end return t end
    local function records(n, range)
      local t = {} for i = 1, n do t[i] = { id = i, k = math.random(range) } end return t
    end
    for _ = 1, 300 do
      local n, range = math.random(0, 128), math.random(1, 40)
      local seed = math.random(1 << 30)
      for _, o in ipairs(orders) do
        local name, cmp = o[1], o[2]
        local make
        if name:find("key") then
          make = function() math.randomseed(seed) return records(n, range) end
        else
          make = function() math.randomseed(seed) return numbers(n, range) end
        end
        both(name .. " n=" .. n .. " range=" .. range, make, cmp)
      end
      both("__lt n=" .. n, function()
        math.randomseed(seed)
        local t = {} for i = 1, n do t[i] = setmetatable({ id = i, v = math.random(range) }, meta) end
        return t
      end)
      both("mixed ints and floats n=" .. n, function()
        math.randomseed(seed)
        local t = {} for i = 1, n do t[i] = math.random(range) + (i % 2 == 0 and 0.5 or 0) end return t
      end)
      both("strings n=" .. n, function()
        math.randomseed(seed)
        local t = {} for i = 1, n do t[i] = tostring(math.random(range)) end return t
      end)
    end

    -- Large arrays with total orders: the same sorted result.
    for _, n in ipairs({ 129, 1000, 20000 }) do
      local seed = math.random(1 << 30)
      both("large distinct n=" .. n, function()
        math.randomseed(seed)
        local t = {} for i = 1, n do t[i] = math.random() end return t
      end)
      both("large sorted n=" .. n, function() local t = {} for i = 1, n do t[i] = i end return t end)
      both("large reversed n=" .. n, function() local t = {} for i = 1, n do t[i] = n - i end return t end)
      both("large equal n=" .. n, function() local t = {} for i = 1, n do t[i] = 7 end return t end)
      both("large strings n=" .. n, function()
        math.randomseed(seed)
        local t = {} for i = 1, n do t[i] = string.format("%09d", i * 7919 % 1000003) end return t
      end, function(x, y) return x > y end)
    end

    -- Argument checks and proxies through __index / __newindex / __len.
    both("not a table", function() return 5 end)
    both("bad order", function() return { 3, 1, 2 } end, 42)
    both("too big", function() return setmetatable({}, { __len = function() return math.maxinteger end }) end)
    both("compare error", function() return { 1, "x", 2, 3 } end)
    both("proxy", function()
      local backing = { 5, 2, 8, 1, 9, 3 }
      return setmetatable({}, { __index = backing, __newindex = backing, __len = function() return #backing end })
    end)
    -- An empty table with those metamethods sorts its backing store: compare that too.
    local function proxied(sort)
      local backing = { 5, 2, 8, 1, 9, 3 }
      sort(setmetatable({}, { __index = backing, __newindex = backing, __len = function() return #backing end }))
      return table.concat(backing, ",")
    end
    compare("proxy backing", proxied(stock), proxied(bounded))
    return cases, table.concat(mismatches, "\n")
    """#

  @Test func agreesWithLuasSort() throws {
    let (cases, mismatches) = try runDifferential(Self.differentialScript) {
      wick_push_sandbox_sort($0, nil)
    }
    #expect(cases > 3_000)
    #expect(mismatches.isEmpty, "\(mismatches)")
  }
}
