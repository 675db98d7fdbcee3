// See include/wick_candle.h. Uses Lua's internals (this is the vendored 5.4.4): a field's value
// lives in its hash node until the table is resized or the key is retired, so while the node
// array is the same and each remembered node still holds its key, writing a number into the node
// is exactly what a raw set of an existing field does (numbers need no GC barrier).
#include <stdlib.h>

#include "lua.h"
#include "lobject.h"
#include "lstate.h"
#include "lstring.h"
#include "ltable.h"
#include "wick_candle.h"
#include "shim.h"

struct wick_candle_slots {
  Table *table;
  Node *nodes;           // the node array the slots point into
  lu_byte lsizenode;
  TString *keys[6];
  Node *slot[6];
};

static int bind_slots(wick_candle_slots *s) {
  for (int k = 0; k < 6; k++) {
    const TValue *v = luaH_getshortstr(s->table, s->keys[k]);
    if (isabstkey(v)) return 0;
    // The value is the first field of its node (ltable.h's gval).
    s->slot[k] = (Node *)v;
  }
  s->nodes = s->table->node;
  s->lsizenode = s->table->lsizenode;
  return 1;
}

static int slots_valid(const wick_candle_slots *s) {
  if (s->table->node != s->nodes || s->table->lsizenode != s->lsizenode) return 0;
  for (int k = 0; k < 6; k++) {
    const Node *n = s->slot[k];
    if (!keyisshrstr(n) || keystrval(n) != s->keys[k]) return 0;
  }
  return 1;
}

typedef struct {
  wick_candle_slots *slots;
  lua_Integer time;
  lua_Number values[5];
} store_args;

/* The slow path's raw sets, run protected (a set may grow the table): the arguments are the
   store_args and the table. */
static int set_fields(lua_State *L) {
  store_args *a = (store_args *)lua_touserdata(L, 1);
  for (int k = 0; k < 6; k++) {
    lua_pushstring(L, getstr(a->slots->keys[k]));  // interned already: no allocation
    if (k == 0)
      lua_pushinteger(L, a->time);
    else
      lua_pushnumber(L, a->values[k - 1]);
    lua_rawset(L, 2);
  }
  return 0;
}

wick_candle_slots *wick_candle_bind(lua_State *L, int index, const char *const keys[6]) {
  wick_candle_slots *s = calloc(1, sizeof *s);
  if (s == NULL) return NULL;
  index = lua_absindex(L, index);
  s->table = (Table *)lua_topointer(L, index);
  for (int k = 0; k < 6; k++) {
    lua_pushstring(L, keys[k]);
    s->keys[k] = tsvalue(s2v(L->top - 1));
    lua_pushinteger(L, 0);
    lua_rawset(L, index);
  }
  if (!bind_slots(s)) {  // cannot happen: the fields were just set
    free(s);
    return NULL;
  }
  return s;
}

void wick_candle_free(wick_candle_slots *slots) { free(slots); }

int wick_candle_store(lua_State *L, wick_candle_slots *s, lua_Integer time, lua_Number open,
                      lua_Number high, lua_Number low, lua_Number close, lua_Number volume) {
  if (__builtin_expect(slots_valid(s), 1)) {
    setivalue(gval(s->slot[0]), time);
    setfltvalue(gval(s->slot[1]), open);
    setfltvalue(gval(s->slot[2]), high);
    setfltvalue(gval(s->slot[3]), low);
    setfltvalue(gval(s->slot[4]), close);
    setfltvalue(gval(s->slot[5]), volume);
    return 1;
  }
  store_args a = {s, time, {open, high, low, close, volume}};
  lua_pushcfunction(L, set_fields);
  lua_pushlightuserdata(L, &a);
  sethvalue(L, s2v(L->top), s->table);
  L->top++;
  if (lua_pcall(L, 2, 0, 0) != LUA_OK) return 0;  // the error stays on the stack
  return bind_slots(s);
}

int wick_candle_deliver(wick_runtime *rt, lua_State *L, wick_candle_slots *slots, int handler,
                        int function, int ctx, int candle, lua_Integer time, lua_Number open,
                        lua_Number high, lua_Number low, lua_Number close, lua_Number volume) {
  if (!wick_candle_store(L, slots, time, open, high, low, close, volume)) return LUA_ERRMEM;
  // lua_pushvalue thrice, without the index checks: the slots are the host's fixed ones.
  StkId base = L->ci->func;
  setobjs2s(L, L->top, base + function);
  setobjs2s(L, L->top + 1, base + ctx);
  setobjs2s(L, L->top + 2, base + candle);
  L->top += 3;
  return wick_pcall_runtime(rt, L, 2, 0, handler);
}
