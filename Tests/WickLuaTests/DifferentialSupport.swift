import CLua
import Testing

/// Runs a differential Lua script in a plain (unsandboxed) state, with the sandbox's replacement
/// (pushed by `pushReplacement`) as its one argument. The script returns how many cases it
/// compared against stock Lua and its mismatches, one a line.
func runDifferential(
  _ script: String, pushReplacement: (OpaquePointer) -> Void
) throws -> (cases: lua_Integer, mismatches: String) {
  let L = try #require(luaL_newstate())
  defer { lua_close(L) }
  luaL_openlibs(L)
  let loaded = script.withCString { luaL_loadstring(L, $0) }
  #expect(loaded == LUA_OK, "\(String(cString: wick_tostring(L, -1)))")
  pushReplacement(L)
  let status = lua_pcallk(L, 1, 2, 0, 0, nil)
  #expect(status == LUA_OK, "\(String(cString: wick_tostring(L, -1)))")
  return (wick_tointeger(L, -2), String(cString: wick_tostring(L, -1)))
}
