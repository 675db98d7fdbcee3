// `ind:update(...)`, the call a strategy makes for every indicator on every candle. The common
// case (called with ':' and numbers) reads the arguments straight from the stack slots, as
// Lua's own C functions do inside the core; anything else takes the checked path through the
// API, which raises the errors scripts see. Both compute the same thing: numbers (integers
// converted) are handed to the Swift update, which cannot fail and does not touch the state.
#include "lua.h"
#include "lauxlib.h"
#include "lobject.h"
#include "lstate.h"
#include "shim.h"

static int update_checked(lua_State *L, int arity) {
  if (lua_type(L, 1) != LUA_TTABLE)
    return luaL_error(L, "indicator:update must be called with ':' on an indicator");
  double v[3] = {0, 0, 0};
  for (int k = 0; k < arity; k++) {
    int t = lua_type(L, 2 + k);
    if (t != LUA_TNUMBER)
      return luaL_error(L, "indicator:update expects %s; argument %d is %s",
                        arity == 3 ? "high, low, close" : arity == 2 ? "y, x" : "a number", k + 1,
                        lua_typename(L, t));
    v[k] = lua_tonumberx(L, 2 + k, NULL);
  }
  double out = 0;
  if (wick_runtime_of(L)->indicator_update(lua_touserdata(L, lua_upvalueindex(1)), v[0], v[1], v[2], &out))
    lua_pushnumber(L, out);
  else
    lua_pushnil(L);
  return 1;
}

static inline __attribute__((always_inline)) int update(lua_State *L, int arity) {
  CallInfo *ci = L->ci;
  StkId base = ci->func + 1;
  if (__builtin_expect(L->top - base < 1 + arity || !ttistable(s2v(base)), 0))
    return update_checked(L, arity);
  double v[3] = {0, 0, 0};
  for (int k = 0; k < arity; k++) {
    const TValue *o = s2v(base + 1 + k);
    if (ttisfloat(o))
      v[k] = fltvalue(o);
    else if (ttisinteger(o))
      v[k] = cast_num(ivalue(o));
    else
      return update_checked(L, arity);
  }
  void *indicator = pvalue(&clCvalue(s2v(ci->func))->upvalue[0]);
  wick_runtime *rt = (wick_runtime *)G(L)->ud;
  double out = 0;
  // A C function always has LUA_MINSTACK free slots: pushing one result needs no check.
  if (rt->indicator_update(indicator, v[0], v[1], v[2], &out)) {
    setfltvalue(s2v(L->top), out);
  } else {
    setnilvalue(s2v(L->top));
  }
  L->top++;
  return 1;
}

int wick_indicator_update1(lua_State *L) { return update(L, 1); }
int wick_indicator_update2(lua_State *L) { return update(L, 2); }
int wick_indicator_update3(lua_State *L) { return update(L, 3); }
