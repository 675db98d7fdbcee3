import CLua
import WickCore

/// The whole sandbox policy in one place (modelled on Redis' `script_lua.c`). Read top to bottom:
///
/// - Libraries: an allow-list. `base` (without `dofile`, `loadfile`, `collectgarbage`, `rawset`;
///   `load` accepts source text only), `string` (without `dump`), `table`, `math` (`math.random`
///   seeded per run), `utf8`. No `io`, `os`, `debug`, `package`, no C modules. Naming one of the
///   denied libraries is an error that says so.
/// - `require(name)`: the host's. Names match `[a-z0-9_.]+`, resolve to `plugins/<a/b>.lua`, and are
///   loaded as text into this same sandbox (see `PluginLoader`).
/// - Globals are read-only: writing one is an error; library tables are read-only proxies too, so
///   one script cannot change what `string.format` means for a plugin. State lives in `ctx`.
/// - Limits: an instruction budget per callback (a count hook in C) and a memory cap (an
///   allocator in C); see `LuaLimits` and `CLua/shim.h`.
/// - Errors name file:line, the callback and the candle time (`ScriptFailure`).
enum Sandbox {
  /// Builds the environment and returns it on the stack top, with the `readonly` helper below it.
  /// Expects the host functions table (`wick` API) on the stack top; consumes it.
  static let prelude = #"""
    local host_print, host_require, wick_api, seed = ...
    local G = _G
    local rawload, setmetatable, error, type, next, pairs, tostring =
          load, setmetatable, error, type, next, pairs, tostring

    local denied = {
      io = "no file access", os = "no OS access", debug = "no debug library",
      package = "modules load through require from plugins/", dofile = "no file access",
      loadfile = "no file access", collectgarbage = "memory is managed by the host",
      rawset = "globals and library tables are read-only",
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
    guard wick_pcall(L, 4, 2, handler) == LUA_OK else {
      throw WickError.script("sandbox prelude: \(state.string(at: -1) ?? "?")")
    }
    let readonly = luaL_ref(L, wick_registryindex())
    let env = luaL_ref(L, wick_registryindex())
    state.pop()  // handler
    return (env, readonly)
  }
}
