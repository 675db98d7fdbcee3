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

// Indicators of up to 5 inputs and 4 outputs. Kept apart from `update` above so the one-number
// indicators' path stays exactly as it was.
static int push_outputs(lua_State *L, int n, const double *out) {
  if (n == 0) {
    setnilvalue(s2v(L->top));
    L->top++;
    return 1;
  }
  // A C function has LUA_MINSTACK (20) free slots: four results need no check.
  for (int k = 0; k < n; k++) {
    setfltvalue(s2v(L->top), out[k]);
    L->top++;
  }
  return n;
}

static int update_multi_checked(lua_State *L) {
  int arity = (int)lua_tointegerx(L, lua_upvalueindex(2), NULL);
  const char *signature = lua_tostring(L, lua_upvalueindex(3));
  if (lua_type(L, 1) != LUA_TTABLE)
    return luaL_error(L, "%s must be called with ':' on the indicator", signature);
  double v[5] = {0, 0, 0, 0, 0};
  for (int k = 0; k < arity; k++) {
    int t = lua_type(L, 2 + k);
    if (t != LUA_TNUMBER)
      return luaL_error(L, "%s: argument %d must be a number, got %s", signature, k + 1,
                        lua_typename(L, t));
    v[k] = lua_tonumberx(L, 2 + k, NULL);
  }
  double out[4];
  int n = wick_runtime_of(L)->multi_indicator_update(lua_touserdata(L, lua_upvalueindex(1)), v, out);
  lua_settop(L, 0);
  return push_outputs(L, n, out);
}

int wick_indicator_update_multi(lua_State *L) {
  CallInfo *ci = L->ci;
  StkId base = ci->func + 1;
  CClosure *closure = clCvalue(s2v(ci->func));
  int arity = (int)ivalue(&closure->upvalue[1]);
  if (__builtin_expect(L->top - base < 1 + arity || !ttistable(s2v(base)), 0))
    return update_multi_checked(L);
  double v[5] = {0, 0, 0, 0, 0};
  for (int k = 0; k < arity; k++) {
    const TValue *o = s2v(base + 1 + k);
    if (ttisfloat(o))
      v[k] = fltvalue(o);
    else if (ttisinteger(o))
      v[k] = cast_num(ivalue(o));
    else
      return update_multi_checked(L);
  }
  wick_runtime *rt = (wick_runtime *)G(L)->ud;
  double out[4];
  int n = rt->multi_indicator_update(pvalue(&closure->upvalue[0]), v, out);
  return push_outputs(L, n, out);
}
