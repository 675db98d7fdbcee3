// The C side of Wick's Lua host.
//
// Swift cannot import Lua's function-like macros, so they are wrapped here as static inline
// functions. More importantly, every path on which Lua may `longjmp` (lua_error, the instruction
// budget hook, allocation failure under the memory cap) lives in C: no Swift frame may sit between
// a Lua error and the lua_pcall that catches it (see DESIGN.md, "Crossing the C boundary safely").
#ifndef WICK_CLUA_SHIM_H
#define WICK_CLUA_SHIM_H

#include <lua5.4/lua.h>
#include <lua5.4/lualib.h>
#include <lua5.4/lauxlib.h>
#include <stdlib.h>
#include <string.h>

/// Host functions are Swift functions behind one C trampoline. They return the number of results
/// pushed, or -1 after pushing an error message; the trampoline raises it once Swift has returned.
typedef int (*wick_dispatch_fn)(lua_State *L, void *host, int function_id);

/// A host indicator's update, called straight from its C closure (the per-candle fast path):
/// returns 1 with the value in *out, or 0 while the indicator is warming up. It must not touch
/// the Lua state.
typedef int (*wick_indicator_fn)(void *indicator, double a, double b, double c, double *out);

/// Per-state runtime: memory accounting, the instruction budget and the Swift dispatcher.
/// It is the allocator's user data, so C code reaches it from any lua_State with lua_getallocf.
typedef struct wick_runtime {
  size_t used;            // bytes currently allocated by this state
  size_t limit;           // memory cap in bytes
  long long ticks;        // hook ticks spent in the current callback
  long long budget;       // allowed ticks per callback (one tick = WICK_HOOK_STEP instructions)
  int enforce;            // 1 while Lua runs under a host pcall; 0 while a Swift frame is live
  int exceeded;           // 0 = no, 1 = memory cap hit, 2 = instruction budget hit
  wick_dispatch_fn dispatch;
  void *host;
  wick_indicator_fn indicator_update;
} wick_runtime;

#define WICK_HOOK_STEP 1000

static inline void *wick_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
  wick_runtime *rt = (wick_runtime *)ud;
  if (ptr == NULL) osize = 0;  // osize then encodes the object type, not a size
  if (nsize == 0) {
    free(ptr);
    rt->used -= osize;
    return NULL;
  }
  // Only refuse while Lua code runs: a refusal raises a Lua error, which must never unwind
  // through a Swift frame. Host calls may overshoot a little; the trampoline checks after them.
  if (rt->enforce && nsize > osize && rt->used + (nsize - osize) > rt->limit) {
    rt->exceeded = 1;
    return NULL;
  }
  void *p = realloc(ptr, nsize);
  if (p == NULL) return NULL;
  rt->used = rt->used - osize + nsize;
  return p;
}

static inline wick_runtime *wick_runtime_of(lua_State *L) {
  void *ud = NULL;
  lua_getallocf(L, &ud);
  return (wick_runtime *)ud;
}

static inline void wick_count_hook(lua_State *L, lua_Debug *ar) {
  (void)ar;
  wick_runtime *rt = wick_runtime_of(L);
  if (++rt->ticks > rt->budget) {
    rt->exceeded = 2;
    luaL_error(L, "instruction budget exceeded (%I instructions in one callback)",
               (lua_Integer)(rt->budget * WICK_HOOK_STEP));
  }
}

static inline lua_State *wick_newstate(wick_runtime *rt) {
  lua_State *L = lua_newstate(wick_alloc, rt);
  if (L != NULL) lua_sethook(L, wick_count_hook, LUA_MASKCOUNT, WICK_HOOK_STEP);
  return L;
}

static inline int wick_trampoline(lua_State *L) {
  wick_runtime *rt = wick_runtime_of(L);
  int fn = (int)lua_tointeger(L, lua_upvalueindex(1));
  int saved = rt->enforce;
  rt->enforce = 0;
  int n = rt->dispatch(L, rt->host, fn);
  rt->enforce = saved;
  if (n < 0) return lua_error(L);
  if (saved && rt->used > rt->limit) {
    rt->exceeded = 1;
    return luaL_error(L, "memory limit exceeded (%d MB)", (int)(rt->limit >> 20));
  }
  return n;
}

/// Pushes host function `function_id` as a Lua C closure.
static inline void wick_push_host_function(lua_State *L, int function_id) {
  lua_pushinteger(L, function_id);
  lua_pushcclosure(L, wick_trampoline, 1);
}

/// Pushes host function `function_id` bound to `object` (e.g. an indicator's index): the Swift
/// side reads it back with `wick_bound_object`, so a method call needs no lookup of `self`.
static inline void wick_push_bound_host_function(lua_State *L, int function_id, lua_Integer object) {
  lua_pushinteger(L, function_id);
  lua_pushinteger(L, object);
  lua_pushcclosure(L, wick_trampoline, 2);
}

/// The object a bound host function was created with (0 for unbound functions).
static inline lua_Integer wick_bound_object(lua_State *L) {
  return lua_tointegerx(L, lua_upvalueindex(2), NULL);
}

/// `ind:update(...)`: arguments are checked here, in C, where raising a Lua error is safe; the
/// Swift update runs between the checks and the push and cannot fail.
static inline int wick_indicator_update(lua_State *L) {
  if (lua_type(L, 1) != LUA_TTABLE)
    return luaL_error(L, "indicator:update must be called with ':' on an indicator");
  int arity = (int)lua_tointegerx(L, lua_upvalueindex(2), NULL);
  double v[3] = {0, 0, 0};
  for (int k = 0; k < arity; k++) {
    int t = lua_type(L, 2 + k);
    if (t != LUA_TNUMBER)
      return luaL_error(L, "indicator:update expects %s; argument %d is %s",
                        arity == 3 ? "high, low, close" : arity == 2 ? "y, x" : "a number", k + 1, lua_typename(L, t));
    v[k] = lua_tonumberx(L, 2 + k, NULL);
  }
  double out = 0;
  if (wick_runtime_of(L)->indicator_update(lua_touserdata(L, lua_upvalueindex(1)), v[0], v[1], v[2], &out))
    lua_pushnumber(L, out);
  else
    lua_pushnil(L);
  return 1;
}

/// Pushes the `update` closure of the indicator behind `indicator` (kept alive by the host).
static inline void wick_push_indicator_update(lua_State *L, void *indicator, int arity) {
  lua_pushlightuserdata(L, indicator);
  lua_pushinteger(L, arity);
  lua_pushcclosure(L, wick_indicator_update, 2);
}

/// Runs a Lua call in protected mode with the limits enforced and the budget reset.
static inline int wick_pcall(lua_State *L, int nargs, int nresults, int msgh) {
  wick_runtime *rt = wick_runtime_of(L);
  rt->ticks = 0;
  rt->exceeded = 0;
  rt->enforce = 1;
  int status = lua_pcall(L, nargs, nresults, msgh);
  rt->enforce = 0;
  return status;
}

/// A protected call made from inside a host function (e.g. `require` running a plugin): the
/// limits stay enforced and the instruction budget keeps counting for the current callback.
static inline int wick_pcall_nested(lua_State *L, int nargs, int nresults, int msgh) {
  wick_runtime *rt = wick_runtime_of(L);
  int saved = rt->enforce;
  rt->enforce = 1;
  int status = lua_pcall(L, nargs, nresults, msgh);
  rt->enforce = saved;
  return status;
}

static inline int wick_loadtext(lua_State *L, const char *buf, size_t size, const char *chunkname) {
  wick_runtime *rt = wick_runtime_of(L);
  rt->enforce = 1;
  int status = luaL_loadbufferx(L, buf, size, chunkname, "t");
  rt->enforce = 0;
  return status;
}

/// Message handler for wick_pcall: appends a traceback so errors name file:line of each frame.
static inline int wick_traceback(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}
static inline void wick_push_traceback_handler(lua_State *L) { lua_pushcfunction(L, wick_traceback); }

/// Pushes "file:line:" of the Lua function `level` frames up (for host-function error messages).
static inline void wick_where(lua_State *L, int level) { luaL_where(L, level); }

// Macro wrappers.
static inline int wick_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline int wick_upvalueindex(int i) { return lua_upvalueindex(i); }
static inline void wick_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline void wick_newtable(lua_State *L) { lua_newtable(L); }
static inline double wick_tonumber(lua_State *L, int i) { return lua_tonumberx(L, i, NULL); }
static inline lua_Integer wick_tointeger(lua_State *L, int i) { return lua_tointegerx(L, i, NULL); }
static inline const char *wick_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
static inline int wick_isnoneornil(lua_State *L, int i) { return lua_type(L, i) <= 0; }
static inline void wick_insert(lua_State *L, int i) { lua_insert(L, i); }
static inline void wick_remove(lua_State *L, int i) { lua_remove(L, i); }
static inline void wick_replace(lua_State *L, int i) { lua_replace(L, i); }
static inline void *wick_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 0); }
static inline int wick_getglobal_table(lua_State *L) { return lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS); }
static inline void wick_open_library(lua_State *L, const char *name, lua_CFunction open) {
  luaL_requiref(L, name, open, 1);
  lua_pop(L, 1);
}
static inline void wick_open_safe_libraries(lua_State *L) {
  wick_open_library(L, LUA_GNAME, luaopen_base);
  wick_open_library(L, LUA_STRLIBNAME, luaopen_string);
  wick_open_library(L, LUA_TABLIBNAME, luaopen_table);
  wick_open_library(L, LUA_MATHLIBNAME, luaopen_math);
  wick_open_library(L, LUA_UTF8LIBNAME, luaopen_utf8);
}
/// Sets the first upvalue (_ENV) of the function on top of the stack to the table at `env`.
static inline void wick_set_env(lua_State *L, int env) {
  lua_pushvalue(L, env);
  lua_setupvalue(L, -2, 1);
}

#endif
