// A deterministic table.sort for the sandbox.
//
// Lua 5.4's sort (ltablib.c) is a quicksort that, once a partition comes out badly unbalanced,
// picks later pivots at random with a seed taken from clock() and time(). Which pivot is chosen
// decides the order of elements the comparator calls equal (sorting records by one key), so the
// same script on the same data could order ties differently from one run to the next. This is
// the same algorithm, step for step (same comparisons, same swaps, same error messages), except
// that the "random" pivots come from a generator with a fixed seed: where stock Lua is
// deterministic (arrays of up to 128 elements, or any array that never partitions badly) the
// result is identical, and everywhere else it is the same on every run. It also checks the
// callback's time limit as it goes: with the default order, sorting millions of values happens
// in C where no hook fires.
#ifndef WICK_SORT_H
#define WICK_SORT_H

#include <limits.h>

/* Included by shim.h after the runtime: wick_limit_tripped and wick_check_table come from there. */

typedef unsigned int wick_sort_index;  /* ltablib's IdxT */

/* ltablib's RANLIMIT: intervals shorter than this always pivot on their middle element. */
#define WICK_SORT_RANLIMIT 100u

typedef struct wick_sort_state {
  lua_State *L;
  struct wick_runtime *rt;      /* NULL outside a sandbox (the differential test) */
  unsigned long long random;    /* the pivot generator: a fixed seed, so every run agrees */
  unsigned long long compares;  /* every 4096 comparisons, look at the time limit */
} wick_sort_state;

/* Replaces ltablib's l_randomizePivot (clock() + time()): a 64-bit LCG (Knuth's MMIX constants). */
static unsigned int wick_sort_next_pivot_seed(wick_sort_state *s) {
  s->random = s->random * 6364136223846793005ULL + 1442695040888963407ULL;
  return (unsigned int)(s->random >> 32);
}

/* a[i] = value on top, a[j] = value below it (ltablib's set2). */
static void wick_sort_set2(lua_State *L, wick_sort_index i, wick_sort_index j) {
  lua_seti(L, 1, i);
  lua_seti(L, 1, j);
}

/* Is the value at `a` less than the one at `b` (both negative indices)? The order function is
   argument 2, or nil for Lua's `<` (which calls __lt metamethods). */
static int wick_sort_less(wick_sort_state *s, int a, int b) {
  lua_State *L = s->L;
  if ((++s->compares & 4095) == 0 && s->rt != NULL && wick_limit_tripped(s->rt, L, "table.sort"))
    luaL_error(L, "time limit exceeded: stuck in table.sort");
  if (lua_isnil(L, 2)) return lua_compare(L, a, b, LUA_OPLT);
  lua_pushvalue(L, 2);
  lua_pushvalue(L, a - 1);  /* -1 for the function */
  lua_pushvalue(L, b - 2);  /* -2 for the function and `a` */
  lua_call(L, 2, 1);
  int less = lua_toboolean(L, -1);
  lua_pop(L, 1);
  return less;
}

/* Partitions a[lo..up] around the pivot P = a[up - 1] (on the stack top); returns P's place. */
static wick_sort_index wick_sort_partition(wick_sort_state *s, wick_sort_index lo, wick_sort_index up) {
  lua_State *L = s->L;
  wick_sort_index i = lo, j = up - 1;
  /* Invariant: a[lo .. i] <= P <= a[j .. up], a[up - 1] == P. */
  for (;;) {
    while (lua_geti(L, 1, ++i), wick_sort_less(s, -1, -2)) {
      if (i == up - 1) luaL_error(L, "invalid order function for sorting");
      lua_pop(L, 1);
    }
    while (lua_geti(L, 1, --j), wick_sort_less(s, -3, -1)) {
      if (j < i) luaL_error(L, "invalid order function for sorting");
      lua_pop(L, 1);
    }
    if (j < i) {
      lua_pop(L, 1);
      wick_sort_set2(L, up - 1, i);
      return i;
    }
    wick_sort_set2(L, i, j);
  }
}

/* A pivot in the middle half of [lo, up], from the generator's value. */
static wick_sort_index wick_sort_choose_pivot(wick_sort_index lo, wick_sort_index up, unsigned int rnd) {
  wick_sort_index r4 = (up - lo) / 4;
  return rnd % (r4 * 2) + (lo + r4);
}

/* ltablib's auxsort: median of three, recursion on the smaller side, a new pivot rule for the
   rest once a partition is too unbalanced. */
static void wick_sort_range(wick_sort_state *s, wick_sort_index lo, wick_sort_index up, unsigned int rnd) {
  lua_State *L = s->L;
  while (lo < up) {
    wick_sort_index p, n;
    lua_geti(L, 1, lo);
    lua_geti(L, 1, up);
    if (wick_sort_less(s, -1, -2)) wick_sort_set2(L, lo, up);
    else lua_pop(L, 2);
    if (up - lo == 1) break;
    p = (up - lo < WICK_SORT_RANLIMIT || rnd == 0) ? (lo + up) / 2 : wick_sort_choose_pivot(lo, up, rnd);
    lua_geti(L, 1, p);
    lua_geti(L, 1, lo);
    if (wick_sort_less(s, -2, -1)) {
      wick_sort_set2(L, p, lo);
    } else {
      lua_pop(L, 1);
      lua_geti(L, 1, up);
      if (wick_sort_less(s, -1, -2)) wick_sort_set2(L, p, up);
      else lua_pop(L, 2);
    }
    if (up - lo == 2) break;
    lua_geti(L, 1, p);       /* the pivot */
    lua_pushvalue(L, -1);
    lua_geti(L, 1, up - 1);
    wick_sort_set2(L, p, up - 1);
    p = wick_sort_partition(s, lo, up);
    /* a[lo .. p - 1] <= a[p] == P <= a[p + 1 .. up] */
    if (p - lo < up - p) {
      wick_sort_range(s, lo, p - 1, rnd);
      n = p - lo;
      lo = p + 1;
    } else {
      wick_sort_range(s, p + 1, up, rnd);
      n = up - p;
      up = p - 1;
    }
    if ((up - lo) / 128 > n) rnd = wick_sort_next_pivot_seed(s);
  }
}

/* table.sort(list [, comp]); upvalue 1 is the runtime (a light userdata, NULL outside a sandbox). */
static int wick_sandbox_table_sort(lua_State *L) {
  wick_check_table(L, 1, 1, 1, 1);
  lua_Integer n = luaL_len(L, 1);
  if (n > 1) {
    luaL_argcheck(L, n < INT_MAX, 1, "array too big");
    if (!lua_isnoneornil(L, 2)) luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_settop(L, 2);
    wick_sort_state s = { L, (struct wick_runtime *)lua_touserdata(L, lua_upvalueindex(1)), 0x5749434b534f5254ULL, 0 };
    wick_sort_range(&s, 1, (wick_sort_index)n, 0);
  }
  return 0;
}

/* Pushes the deterministic table.sort bound to `rt` (NULL: no limits, for tests). */
static inline void wick_push_sandbox_sort(lua_State *L, struct wick_runtime *rt) {
  lua_pushlightuserdata(L, rt);
  lua_pushcclosure(L, wick_sandbox_table_sort, 1);
}

#endif
