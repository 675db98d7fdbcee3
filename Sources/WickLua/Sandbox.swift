import CLua
import WickCore

/// The whole sandbox policy in one place (modelled on Redis' `script_lua.c`). Read top to bottom:
///
/// **Libraries: an allow-list.** `base` (without `dofile`, `loadfile`, `collectgarbage`,
/// `rawset`; `load` accepts source text only), `string` (without `dump`), `table`, `math`
/// (`math.random` seeded per run), `utf8`. No `io`, `os`, `debug`, `package`, `coroutine`, no C
/// modules. Naming a denied library is an error that says why. (`coroutine` is denied because a
/// hook armed on the main Lua thread does not reach a coroutine's own thread.)
///
/// **`require(name)`** is the host's: names match `[a-z0-9_.]+`, resolve to
/// `plugins/<a/b>.lua`, and load as text into this same sandbox (`LuaStrategy+Plugins.swift`).
///
/// **Globals are read-only**: writing one is an error; library tables are read-only proxies, so
/// one script cannot change what `string.format` means for a plugin. State lives in `ctx`.
///
/// **Limits** (`LuaLimits`, `[sandbox]` in wick.toml), enforced in C (`CLua/shim.h`):
/// - *Time*: a wall-clock budget per call, 1 s for `on_candle`/`on_bars`, 10 s for loading and
///   `init`. A call within budget runs with no hook at all (any count hook makes Lua trace every
///   instruction, ~28% of a candle's cost). The process-wide `Watchdog` thread notices a call that
///   overruns and signals its thread, whose handler arms the limit hook (`lua_sethook` is
///   async-signal-safe; lua.c arms its Ctrl-C hook the same way).
/// - *Memory*: a custom `lua_Alloc` with a cap (64 MB). Crossing it (after one emergency
///   collection) trips the limit; a little room above the cap is kept so the error and its
///   traceback can still be built. Host memory a script can make grow counts too: indicator
///   buffers are charged to the cap, and each kept log line is cut at 4 KB.
/// - *Sticky*: once a limit trips it stays tripped until control is back in the host. The hook
///   is armed with a count of 1 and raises on every instruction, so the script's own `pcall`,
///   `xpcall`, message handlers and `__close` methods cannot swallow the error and continue
///   (Redis does the same after SCRIPT KILL). An error raised from a hook leaves hooks off until
///   the catching pcall returns, so the sandbox's `xpcall` skips the script's message handler
///   once a limit has tripped. The first limit to trip is the error reported, with file:line,
///   the callback and the candle time; later symptoms are dropped.
///
/// **Where no hook fires**, each case has its own answer:
/// - *Pattern matching* (`string.find/match/gmatch/gsub`): Lua's matcher backtracks in C for
///   hours on patterns like `.-.-.-.-.-.-.-.-b`. The sandbox's functions are a bounded matcher
///   with Lua 5.4's semantics (`CLua/wick_pattern.h`, checked against the stock functions by a
///   differential test): past 50 M steps in one call it raises "stuck in string.find", and it
///   stops as soon as the time limit trips. Plain searches use a linear-time memmem.
/// - *`string.rep`*: an empty result (`string.rep("", 1e15)`) returns at once instead of looping;
///   any other result is bounded by the memory cap before Lua's loop starts.
/// - *`table.sort`*: the sandbox's own (`CLua/wick_sort.h`), for two reasons. Sorting millions
///   of values happens in C, so it checks the time limit as it goes (comparators and `__lt` run
///   Lua code, where the hook fires anyway). And Lua 5.4 seeds some pivots from `clock()` and
///   `time()`, so elements the comparator calls equal could come out in a different order on
///   each run; this is Lua's algorithm with a fixed seed instead (same comparisons, same errors;
///   a differential test checks it against the stock function).
/// - *`table.move`*: moving nils allocates nothing, so `table.move({}, 1, 1e15, 1)` would loop
///   for days; the sandbox's move checks the limits as it goes.
/// - *Finalizers*: Lua 5.4 runs `__gc` with hooks off, and marks an object for finalization
///   only if its metatable has `__gc` when set. The sandbox's `setmetatable` refuses such a
///   metatable; scripts cannot create userdata, so no other finalizer exists.
/// - Checked and left alone, because each is linear in its input and so bounded by the memory
///   cap: `string.format`, `byte`, `char`, `upper`, `lower`, `reverse`, `pack`/`unpack`,
///   `table.concat`, `insert`, `remove`, `unpack` (also bounded by the stack limit), `utf8.*`,
///   `tostring`/`tonumber`, and compiling source with `load`. Metamethods they call run Lua.
/// - *Anything not foreseen* (a C function we missed, the collector on pathological weak
///   tables): a hard deadline. A call still running `hardDeadlineSeconds` (2 s) past its budget
///   is given up: the watchdog marks the state abandoned and calls `LuaStrategy.onStuck`. A
///   backtest prints the error and exits 1; a live runner halts the strategy (exchange-side
///   stops stay) and records an incident. The state is never called again.
///
/// **Errors** name file:line, the callback and the candle time (`ScriptFailure`); a failing
/// strategy never crashes the host.
enum Sandbox {
  /// Builds the environment and returns it on the stack top, with the `readonly` helper below it.
  /// Expects the host functions table (`wick` API) on the stack top; consumes it.
  static let prelude = #"""
    local host_print, host_require, wick_api, seed, bounded = ...
    local G = _G
    -- The functions that could run unbounded in C are replaced in the library tables themselves
    -- (so error messages still say 'string.find') before anything is copied.
    for _, k in G.ipairs({ "find", "match", "gmatch", "gsub", "rep" }) do G.string[k] = bounded[k] end
    G.table.sort, G.table.move, G.setmetatable = bounded.sort, bounded.move, bounded.setmetatable
    G.xpcall = bounded.xpcall
    local rawload, setmetatable, error, type, next, pairs, tostring =
          load, setmetatable, error, type, next, pairs, tostring

    local denied = {
      io = "no file access", os = "no OS access", debug = "no debug library",
      package = "modules load through require from plugins/", dofile = "no file access",
      loadfile = "no file access", collectgarbage = "memory is managed by the host",
      rawset = "globals and library tables are read-only",
      coroutine = "no coroutines: the limits watch the main Lua thread",
    }

    local function readonly(t, name)
      return setmetatable({}, {
        __index = t,
        __newindex = function(_, k)
          error("attempt to modify read-only table '" .. name .. "' (field '" .. tostring(k) .. "')", 2)
        end,
        __pairs = function() return next, t, nil end,
        __len = function() return #t end,
        __metatable = false,
      })
    end

    local function copy(t, drop)
      local c = {}
      for k, v in pairs(t) do if not (drop and drop[k]) then c[k] = v end end
      return c
    end

    G.math.randomseed(seed)
    local safe_string = copy(G.string, { dump = true })
    safe_string.dump = function()
      error("string.dump is not available in the Wick sandbox (no bytecode in or out)", 2)
    end
    -- Method calls on strings (s:rep()) go through the string metatable: point it at the safe copy.
    local string_meta = G.getmetatable("")
    string_meta.__index = safe_string
    string_meta.__metatable = false

    local env = {}
    for _, k in G.ipairs({ "assert", "error", "ipairs", "next", "pairs", "pcall", "select", "tonumber",
                           "tostring", "type", "xpcall", "rawequal", "rawget", "rawlen", "setmetatable",
                           "getmetatable", "_VERSION" }) do
      env[k] = G[k]
    end
    env.string = readonly(safe_string, "string")
    env.table = readonly(copy(G.table), "table")
    env.math = readonly(copy(G.math), "math")
    env.utf8 = readonly(copy(G.utf8), "utf8")
    env.wick = readonly(wick_api, "wick")
    env.print = host_print
    env.require = host_require

    local ENV
    env.load = function(chunk, chunkname, mode, chunkenv)
      if type(chunk) ~= "string" then
        error("load: only source text is allowed in the Wick sandbox", 2)
      end
      return rawload(chunk, chunkname, "t", chunkenv or ENV)
    end

    setmetatable(env, {
      __index = function(_, k)
        local why = denied[k]
        if why then error("'" .. tostring(k) .. "' is not available in the Wick sandbox (" .. why .. ")", 2) end
      end,
      __metatable = false,
    })
    ENV = setmetatable({}, {
      __index = env,
      __newindex = function(_, k)
        error("attempt to write global '" .. tostring(k) ..
              "': globals are read-only in Wick; keep state in ctx or in locals", 2)
      end,
      __metatable = false,
    })
    return ENV, readonly
    """#

  /// Opens the allowed libraries and runs the prelude. Leaves nothing on the stack; stores the
  /// environment and the `readonly` helper in the registry under the returned references.
  static func install(in state: LuaState, seed: Int, apiTable: (LuaState) -> Void) throws -> (
    env: Int32, readonly: Int32
  ) {
    let L = state.L
    wick_open_safe_libraries(L)
    wick_push_traceback_handler(L)
    let handler = state.top
    let status = prelude.withCString { wick_loadtext(L, $0, prelude.utf8.count, "=sandbox") }
    guard status == LUA_OK else {
      throw WickError.script("sandbox prelude: \(state.string(at: -1) ?? "?")")
    }
    wick_push_host_function(L, HostFunction.print.rawValue)
    wick_push_host_function(L, HostFunction.require.rawValue)
    apiTable(state)
    lua_pushinteger(L, lua_Integer(seed))
    wick_push_sandbox_library(L, state.runtime)
    guard wick_pcall(L, 5, 2, handler) == LUA_OK else {
      throw WickError.script("sandbox prelude: \(state.string(at: -1) ?? "?")")
    }
    let readonly = luaL_ref(L, wick_registryindex())
    let env = luaL_ref(L, wick_registryindex())
    state.pop()  // handler
    return (env, readonly)
  }
}
