// `ctx:position(symbol)`, which strategies call on most candles: a C closure over the positions
// table the host keeps in sync (see LuaStrategy.syncPositions), the default symbol (nil when the
// run trades several) and the list of traded symbols for the error. It behaves as the Lua
// function it replaces did:
//
//     local p = positions[symbol or default_symbol]
//     if p then return p end
//     if p == false then return nil end
//     error("ctx:position: unknown symbol '" .. tostring(symbol) .. "'; this run trades " .. traded, 2)
//
// but costs about half: a C call, one table lookup, no Lua frame.
#include "lua.h"
#include "lauxlib.h"
#include "lgc.h"
#include "lobject.h"
#include "lstate.h"
#include "ltable.h"
#include "shim.h"

static int unknown_symbol(lua_State *L) {
  lua_settop(L, 2);  // a missing symbol reads as nil, as the Lua parameter did
  luaL_where(L, 1);  // the caller's file:line, as error(..., 2) from the Lua function
  lua_pushliteral(L, "ctx:position: unknown symbol '");
  luaL_tolstring(L, 2, NULL);
  lua_pushliteral(L, "'; this run trades ");
  lua_pushvalue(L, lua_upvalueindex(3));
  lua_concat(L, 5);
  return lua_error(L);
}

static int position(lua_State *L) {
  CallInfo *ci = L->ci;
  CClosure *closure = clCvalue(s2v(ci->func));
  const TValue *symbol = L->top - ci->func > 2 ? s2v(ci->func + 2) : NULL;
  if (symbol == NULL || l_isfalse(symbol)) symbol = &closure->upvalue[1];
  Table *positions = hvalue(&closure->upvalue[0]);
  const TValue *p =
      ttisshrstring(symbol) ? luaH_getshortstr(positions, tsvalue(symbol)) : luaH_get(positions, symbol);
  if (ttisfalse(p)) {
    setnilvalue(s2v(L->top));
  } else if (!ttisnil(p)) {
    setobj2s(L, L->top, p);
  } else {
    return unknown_symbol(L);
  }
  // A C function always has LUA_MINSTACK free slots: pushing one result needs no check.
  L->top++;
  return 1;
}

void wick_push_position(lua_State *L) { lua_pushcclosure(L, position, 3); }
